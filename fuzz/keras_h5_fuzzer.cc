// A Keras .h5 file (HDF5: model_config attribute and model_weights groups) ->
// ReadKeras -> Keras converter -> optimizer -> serialized model.
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  std::string path = fuzz::WriteScratch("model.h5", {reinterpret_cast<const char*>(data), size});
  auto file = converter::keras::ReadKeras(path);
  if (!file.ok()) return 0;
  converter::ConvertOptions options;
  auto converted = converter::ConvertKerasModel(*file, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}

// A Keras file -> ReadKeras -> Keras converter -> optimizer -> serialized
// model. Built twice (fuzz/BUILD): keras_h5_fuzzer feeds it as an .h5 file
// (HDF5: model_config attribute and model_weights groups), keras_zip_fuzzer
// as a Keras 3 .keras zip (config.json, metadata.json, model.weights.h5);
// ReadKeras picks the format by the file name.
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "fuzz/fuzz_util.h"

#ifdef ONNXSMITH_FUZZ_KERAS_ZIP
constexpr char kScratchName[] = "model.keras";
#else
constexpr char kScratchName[] = "model.h5";
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  std::string path = fuzz::WriteScratch(kScratchName, {reinterpret_cast<const char*>(data), size});
  auto file = converter::keras::ReadKeras(path);
  if (!file.ok()) return 0;
  converter::ConvertOptions options;
  auto converted = converter::ConvertKerasModel(*file, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}

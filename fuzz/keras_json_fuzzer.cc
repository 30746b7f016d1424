// A Keras model config (config.json of a .keras, model_config of a .h5) ->
// ParseJson -> Keras converter (no weights: layers that need them fail
// cleanly) -> optimizer -> serialized model. Reaches the JSON accessors and
// the layer handlers without going through zip or HDF5.
#include "converter/keras/json_util.h"
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  namespace keras = converter::keras;
  auto json = keras::ParseJson({reinterpret_cast<const char*>(data), size}, "config.json");
  if (!json.ok()) return 0;
  keras::KerasModelFile file;
  file.format = keras::KerasModelFile::Format::kKerasV3;
  file.path = "fuzz.keras";
  file.keras_version = "3.8.0";
  file.config = *std::move(json);
  converter::ConvertOptions options;
  auto converted = converter::ConvertKerasModel(file, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}

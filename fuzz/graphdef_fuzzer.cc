// GraphDef bytes (binary or text, sniffed like the CLI does) -> converter ->
// optimizer -> ONNX checker -> serialized model.
#include "converter/tf/graphdef_reader.h"
#include "converter/tf_converter.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto graph = converter::ParseGraphDef(bytes, "fuzz.pb");
  if (!graph.ok()) return 0;
  converter::ConvertOptions options;
  auto converted = converter::ConvertGraphDef(*graph, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}

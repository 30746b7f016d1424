// An ONNX ModelProto as `optimize` and `inspect` read it -> FromModelProto ->
// optimizer (shape inference, constant folding on the evaluator, rewrites) ->
// ONNX checker -> serialized model.
#include "fuzz/fuzz_util.h"
#include "ir/onnx_proto.h"
#include "onnx/onnx_pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size)) || !proto.has_graph()) return 0;
  auto model = ir::FromModelProto(proto);
  if (!model.ok()) return 0;
  fuzz::OptimizeAndExport(*model);
  return 0;
}

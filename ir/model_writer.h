// Checking and writing a converted model with the two overlapped: the ONNX
// checker works on the ModelProto while the main graph's initializers (most
// of the bytes) are serialized straight from the IR on another thread. The
// file is byte for byte what WriteModelProto(ToModelProto(model)) writes,
// and it is written only after the check passed.
#ifndef ONNXSMITH_IR_MODEL_WRITER_H_
#define ONNXSMITH_IR_MODEL_WRITER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/model_io.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::ir {

struct CheckedModel {
  onnx::ModelProto proto;  // ToModelProto(model), completed by the checker
  ValidationReport validation;
  // GraphProto.initializer fields (tag, length, TensorProto) of the main
  // graph, in ToGraphProto's order.
  std::vector<std::string> initializer_fields;
};

// ToModelProto + ValidateModel (unless !check: then validation says why not)
// on this thread, SerializeInitializerFields on a TBB task meanwhile.
absl::StatusOr<CheckedModel> ToCheckedModel(const Model& model, bool check,
                                            const std::string& skipped_reason);

// The initializer fields of `graph`, each serialized on a TBB worker.
std::vector<std::string> SerializeInitializerFields(const Graph& graph);

// Writes m.proto atomically (as WriteModelProto), splicing in the
// pre-serialized initializer fields instead of serializing them again.
absl::Status WriteCheckedModel(CheckedModel& m, const std::string& path);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_MODEL_WRITER_H_

// Reading and writing ONNX files, and validating them with ONNX's checker.
#ifndef ONNXSMITH_IR_MODEL_IO_H_
#define ONNXSMITH_IR_MODEL_IO_H_

#include <string>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::ir {

// Highest ai.onnx opset libonnx 1.12's checker and shape inference know.
inline constexpr int64_t kMaxCheckerOpset = 17;

struct ValidationReport {
  bool checked = false;        // false when the opset is past the checker
  bool shapes_inferred = false;
  std::string skipped_reason;  // why not, when not
};

// Runs onnx::checker::check_model and strict shape inference on `proto`
// (shape inference fills value_info in place). Opsets past the checker's
// are skipped, and the report says so.
absl::StatusOr<ValidationReport> ValidateModel(onnx::ModelProto* proto);

// Serializes and writes atomically: the file at `path` is either the whole
// model or untouched.
absl::Status WriteModelProto(const onnx::ModelProto& proto, const std::string& path);

absl::StatusOr<onnx::ModelProto> ReadModelProto(const std::string& path);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_MODEL_IO_H_

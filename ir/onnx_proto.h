// Conversion between the IR and ONNX's protobuf messages.
#ifndef ONNXSMITH_IR_ONNX_PROTO_H_
#define ONNXSMITH_IR_ONNX_PROTO_H_

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::ir {

void ToTypeProto(const ValueType& type, onnx::TypeProto* proto);
ValueType FromTypeProto(const onnx::TypeProto& proto);
void ToTensorProto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto);
// `model_dir`: where external data (see external_data.h) is read from; empty
// when the proto did not come from a file (external tensors are then refused).
absl::StatusOr<Tensor> FromTensorProto(const onnx::TensorProto& proto,
                                       const std::string& model_dir = "");

// With `data_limit` >= 0, initializers of that many raw bytes or more get
// name, type and dims but no data (the writer streams their bytes).
void ToGraphProto(const Graph& graph, onnx::GraphProto* proto, int64_t data_limit = -1);
absl::StatusOr<Graph> FromGraphProto(const onnx::GraphProto& proto,
                                     const std::string& model_dir = "");

onnx::ModelProto ToModelProto(const Model& model, int64_t data_limit = -1);
absl::StatusOr<Model> FromModelProto(const onnx::ModelProto& proto,
                                     const std::string& model_dir = "");

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_ONNX_PROTO_H_

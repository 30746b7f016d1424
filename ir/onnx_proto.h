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
absl::StatusOr<Tensor> FromTensorProto(const onnx::TensorProto& proto);

void ToGraphProto(const Graph& graph, onnx::GraphProto* proto);
absl::StatusOr<Graph> FromGraphProto(const onnx::GraphProto& proto);

onnx::ModelProto ToModelProto(const Model& model);
absl::StatusOr<Model> FromModelProto(const onnx::ModelProto& proto);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_ONNX_PROTO_H_

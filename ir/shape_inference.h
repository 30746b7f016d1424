// Per-node type and shape inference with ONNX's own operator schemas, so that
// handlers know the dtype and shape of every value as the graph grows.
#ifndef ONNXSMITH_IR_SHAPE_INFERENCE_H_
#define ONNXSMITH_IR_SHAPE_INFERENCE_H_

#include <memory>
#include <string>

#include "ir/graph.h"

namespace onnxsmith::ir {

class ShapeInferencer {
 public:
  explicit ShapeInferencer(int opset);
  ~ShapeInferencer();

  // Records the type of a value (graph input or constant); constants small
  // enough are also made visible as data (e.g. Reshape's shape input).
  void SetType(const std::string& value, const ValueType& type);
  void SetConstant(const std::string& value, const Tensor& tensor);
  ValueType TypeOf(const std::string& value) const;

  // Infers the outputs of `node` from what is known of its inputs. Unknown
  // ops, opsets the schemas cannot describe, and inference failures leave the
  // outputs unknown: the full checker at the end is the authority.
  void InferNode(const Node& node);

 private:
  void InferReshapeRank(const Node& node);
  void InferReductionWithAxesInput(const Node& node);
  void InferBroadcastComparison(const Node& node);

  struct State;
  std::unique_ptr<State> state_;
};

// Conversions between our types and ONNX's TypeProto live in ir/onnx_proto.h.

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_SHAPE_INFERENCE_H_

// Emits ONNX nodes and constants through a GraphBuilder, at one opset and
// under one name scope: the one place where an ONNX op's form at an opset is
// written (axes as an attribute or an input, layout transposes, casts). The
// TF NodeContext and the Keras LayerContext are emitters scoped to the node
// or layer they convert; a subgraph body gets its own GraphBuilder nested in
// the enclosing one and an emitter over it.
#ifndef ONNXSMITH_CONVERTER_EMIT_ONNX_EMITTER_H_
#define ONNXSMITH_CONVERTER_EMIT_ONNX_EMITTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "converter/emit/graph_builder.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

class OnnxEmitter {
 public:
  // Nodes and constants are named "<scope>/<op or hint>" (made unique).
  OnnxEmitter(GraphBuilder* builder, std::string scope, int opset);

  int opset() const { return opset_; }
  const std::string& scope() const { return scope_; }
  GraphBuilder& builder() { return *builder_; }

  // Types: what inference (or SetType) knows of a value.
  ir::ValueType TypeOf(const std::string& value) const { return builder_->TypeOf(value); }
  void SetType(const std::string& value, ir::ValueType type);
  // Static dims of `value` (-1 for unknown dims), or nullopt if its rank is unknown.
  std::optional<std::vector<int64_t>> StaticDims(const std::string& value) const;
  // The constant contents of `value`, or nullptr.
  const ir::Tensor* FindConst(const std::string& value) const {
    return builder_->FindConst(value);
  }

  // --- nodes: return their outputs; output types are inferred ---
  std::vector<std::string> AddNodeMulti(const std::string& op_type,
                                        std::vector<std::string> inputs, int num_outputs,
                                        std::vector<ir::Attribute> attrs = {},
                                        const std::string& domain = "");
  std::string AddNode(const std::string& op_type, std::vector<std::string> inputs,
                      std::vector<ir::Attribute> attrs = {});

  // --- constants (initializers of the builder's graph) ---
  std::string AddConst(ir::Tensor value, const std::string& hint = "const");
  std::string ConstInt64s(const std::vector<int64_t>& values, const std::string& hint = "const");
  // A scalar of `dtype` (any numeric ONNX type) holding `value`.
  std::string ConstScalar(ir::DataType dtype, double value, const std::string& hint = "const");
  std::string ConstFloats(std::vector<int64_t> dims, const std::vector<float>& values,
                          const std::string& hint = "const");
  std::string ConstFloat(float value, const std::string& hint = "const") {
    return ConstFloats({}, {value}, hint);
  }

  // --- opset-correct forms ---
  // An identity `perm` returns x itself.
  std::string Transpose(const std::string& x, const std::vector<int64_t>& perm);
  // Channels-last <-> channels-first for a tensor of `rank` (layout.h).
  std::string ToChannelsFirst(const std::string& x, int rank);
  std::string ToChannelsLast(const std::string& x, int rank);
  // Axes are an input from opset 13 (our floor) on.
  std::string Unsqueeze(const std::string& x, const std::vector<int64_t>& axes);
  // No axes: every size-1 dim, found at run time.
  std::string Squeeze(const std::string& x, const std::vector<int64_t>& axes);
  std::string Reshape(const std::string& x, const std::vector<int64_t>& shape);
  // x itself when it already has type `to`.
  std::string Cast(const std::string& x, ir::DataType to);
  // ReduceX with axes as an attribute (opset < 18; ReduceSum: < 13) or an input.
  std::string Reduce(const std::string& op, const std::string& x, const std::vector<int64_t>& axes,
                     bool keepdims);

 protected:
  // Types the output of a shape-preserving or broadcasting elementwise op
  // from its inputs when ONNX inference leaves it unknown (libonnx knows
  // schemas up to opset 17: Mish-18, Gelu-20...). The Keras frontend needs
  // it; TF handlers read their operand types from TF's "T" attributes.
  void set_elementwise_type_fallback(bool on) { elementwise_type_fallback_ = on; }

 private:
  void TypeElementwiseOutput(const std::string& op_type, const std::vector<std::string>& inputs,
                             const std::string& output);

  GraphBuilder* builder_;
  std::string scope_;
  int opset_;
  bool elementwise_type_fallback_ = false;
};

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_ONNX_EMITTER_H_

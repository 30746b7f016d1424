// An emitter converting one source op, a TF node or a Keras layer call: its
// positional inputs as ONNX values, and errors that name it. The frontends'
// contexts (handlers/node_context.h, keras/layer_context.h) add what is their
// own (TF attributes; Keras config, weights and masks).
#ifndef ONNXSMITH_CONVERTER_EMIT_OP_CONTEXT_H_
#define ONNXSMITH_CONVERTER_EMIT_OP_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "converter/emit/onnx_emitter.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

class OpContext : public OnnxEmitter {
 public:
  // `subject` names the op in errors, e.g. "node 'conv' (Conv2D)".
  OpContext(GraphBuilder* builder, std::string scope, int opset, std::string subject,
            std::vector<std::string> inputs);

  // The converters check the input count against the arity the handler
  // registered before the handler runs.
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // Input i's ONNX value; "" past the inputs (an optional input not given).
  const std::string& input(int i) const;
  ir::ValueType input_type(int i) const { return TypeOf(input(i)); }
  ir::DataType input_dtype(int i) const { return input_type(i).dtype; }
  std::optional<int> input_rank(int i) const { return input_type(i).rank(); }
  // Static dims of input i (-1 for unknown dims), or nullopt if the rank is unknown.
  std::optional<std::vector<int64_t>> input_dims(int i) const { return StaticDims(input(i)); }
  // The constant value of input i, or nullptr if it is not a constant.
  const ir::Tensor* const_input(int i) const { return FindConst(input(i)); }

  // An InvalidArgument error naming the op: "<subject>: <message>".
  absl::Status Error(const std::string& message) const;
  // An Unimplemented error: "<subject>: unsupported: <what>".
  absl::Status Unsupported(const std::string& what) const;

 private:
  std::string subject_;
  std::vector<std::string> inputs_;
};

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_OP_CONTEXT_H_

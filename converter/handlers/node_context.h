// What a handler sees of the TF node it converts: its attributes, its inputs
// as ONNX values (with the types known so far and constant contents where the
// producer is a constant), and a builder that emits ONNX nodes into the graph.
#ifndef ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_
#define ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/tf/proto/node_def.pb.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

class GraphBuilder;

class NodeContext {
 public:
  NodeContext(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
              GraphBuilder* builder);

  const tf::NodeDef& node() const { return node_; }
  const std::string& name() const { return node_.name(); }
  const std::string& op_type() const { return node_.op(); }
  int opset() const { return opset_; }

  // --- inputs (data inputs only; control inputs are dropped) ---
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // Input i's ONNX value; past the node's inputs, "" (a damaged graph: a
  // MaxPool without its input), remembered so that the converter fails with
  // an error naming the node instead of reading out of bounds.
  const std::string& input(int i) const;
  // The number of inputs a handler asked for beyond the node's, or 0.
  int missing_inputs() const { return missing_inputs_; }
  ir::ValueType input_type(int i) const;
  ir::DataType input_dtype(int i) const { return input_type(i).dtype; }
  std::optional<int> input_rank(int i) const { return input_type(i).rank(); }
  // Static dims of input i (-1 for unknown dims), or nullopt if the rank is unknown.
  std::optional<std::vector<int64_t>> input_dims(int i) const;
  // The constant value of input i, or nullptr if it is not a constant.
  const ir::Tensor* const_input(int i) const;
  // Input i as a constant integer list, or an error naming the node.
  absl::StatusOr<std::vector<int64_t>> const_ints(int i) const;

  // --- attributes ---
  bool has_attr(const std::string& name) const;
  absl::StatusOr<int64_t> attr_int(const std::string& name) const;
  int64_t attr_int(const std::string& name, int64_t default_value) const;
  float attr_float(const std::string& name, float default_value) const;
  bool attr_bool(const std::string& name, bool default_value) const;
  std::string attr_string(const std::string& name, const std::string& default_value) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;
  // A type attribute ("T", "dtype", "DstT", ...) as an ONNX type.
  absl::StatusOr<ir::DataType> attr_type(const std::string& name) const;

  // --- emission ---
  // Adds an ONNX node; returns its outputs. Output types are inferred.
  std::vector<std::string> AddNodeMulti(const std::string& op_type,
                                        std::vector<std::string> inputs, int num_outputs,
                                        std::vector<ir::Attribute> attrs = {},
                                        const std::string& domain = "");
  std::string AddNode(const std::string& op_type, std::vector<std::string> inputs,
                      std::vector<ir::Attribute> attrs = {});
  // Adds a constant initializer and returns its value name.
  std::string AddConst(ir::Tensor value, const std::string& hint = "const");
  std::string ConstInt64s(const std::vector<int64_t>& values, const std::string& hint = "const");
  // A scalar of `dtype` (any numeric ONNX type) holding `value`.
  std::string ConstScalar(ir::DataType dtype, double value, const std::string& hint = "const");

  // Binds TF output `k` of this node to an ONNX value.
  void SetOutput(int k, const std::string& value);
  // Marks TF output `k` as an alias of `value` (no ONNX node, e.g. Identity).
  void SetOutputAlias(int k, const std::string& value) { SetOutput(k, value); }
  // Records a known type for an ONNX value (for values inference cannot see).
  void SetType(const std::string& value, ir::ValueType type);

  // An InvalidArgument error naming this node and op.
  absl::Status Error(const std::string& message) const;
  absl::Status Unsupported(const std::string& what) const;

  // Helpers that emit an opset-correct node.
  std::string Transpose(const std::string& x, const std::vector<int64_t>& perm);
  std::string Unsqueeze(const std::string& x, const std::vector<int64_t>& axes);
  std::string Squeeze(const std::string& x, const std::vector<int64_t>& axes);
  std::string Cast(const std::string& x, ir::DataType to);

 private:
  const tf::NodeDef& node_;
  std::vector<std::string> inputs_;
  int opset_;
  GraphBuilder* builder_;
  mutable int missing_inputs_ = 0;
};

// Layout permutations between TF's NHWC and ONNX's NCHW, for rank `rank`.
std::vector<int64_t> NhwcToNchwPerm(int rank);
std::vector<int64_t> NchwToNhwcPerm(int rank);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_NODE_CONTEXT_H_

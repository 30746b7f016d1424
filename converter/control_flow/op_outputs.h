// Output-arg layouts of TF ops, so GraphDef references ("node:k") can be
// written as FunctionDef references ("node:out_arg:index") and back. A frozen
// GraphDef carries no OpDefs; the layouts come from a table generated from
// TensorFlow's op registry (tools/op_outputs/gen_op_outputs.py).
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_OP_OUTPUTS_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_OP_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/tf/proto/node_def.pb.h"

namespace onnxsmith::converter::control_flow {

// One output arg of an op: a single tensor, or a list whose length is the
// int attr `number_attr` or the length of the type-list attr `type_list_attr`.
struct OutputArg {
  std::string name;
  std::string number_attr;
  std::string type_list_attr;
};

// The op's output args, or nullptr when the table does not know the op.
const std::vector<OutputArg>* FindOutputArgs(const std::string& op);

// Every op the table knows, sorted.
std::vector<std::string> KnownOps();

// "node:out_arg:index" for flat output `k` of `node`; an error names the node
// when its op is unknown or `k` is out of range.
absl::StatusOr<std::string> FunctionOutputRef(const tf::NodeDef& node, int k);

// The flat output index of `node`'s output arg `arg`, element `index`.
absl::StatusOr<int> FlatOutputIndex(const tf::NodeDef& node, const std::string& arg, int index);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_OP_OUTPUTS_H_

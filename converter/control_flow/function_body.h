// Converting TF function bodies (While/If/Case branches from the graph's
// function library) into ONNX: a body is flattened into a GraphDef by the
// function inliner (its arguments become Placeholders, nested calls are
// inlined), then its nodes run through the same handlers as the top-level
// graph, either into the enclosing graph (a While's condition before the
// loop) or into a nested ONNX subgraph (Loop body, If branch). Values of the
// enclosing graphs are read by name, as ONNX allows.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_BODY_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_BODY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "converter/emit/graph_builder.h"
#include "converter/tf/graph_util.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/node_def.pb.h"
#include "converter/tf/tf_graph.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

class NodeContext;

struct FunctionEnv;

// Converts one TF node of a body with its registered handler: the top-level
// converter's ConvertTfNode (node_converter.h), passed in so that this
// library does not depend on //converter, which links it.
using ConvertNodeFn = absl::Status (*)(const tf::NodeDef& node, std::vector<std::string> inputs,
                                       int opset, GraphBuilder* builder,
                                       const FunctionEnv* functions, const tf::GraphDef* graph_def);

// What control-flow handlers need of the graph being converted.
struct FunctionEnv {
  const OpCatalog* catalog = nullptr;
  int depth = 0;  // bodies nested around the node being converted
  ConvertNodeFn convert_node = nullptr;
};

inline constexpr int kMaxBodyNesting = 32;

// A function body as a GraphDef: one Placeholder per argument, the body
// (nested calls inlined), and an IdentityN over the returned values.
struct FlatFunction {
  std::string name;  // the function's
  tf::GraphDef graph;
  std::vector<std::string> arg_nodes;  // per argument
  std::vector<TensorRef> outputs;      // per returned value
  // The returned value `k` is argument `k` unchanged (through Identity ops):
  // a loop invariant.
  bool PassesThrough(int k) const;
};

// The function the control-flow node in `ctx` names in attribute `attr`
// (`index` into a list attribute, or -1), flattened; errors name the node,
// the attribute and the function (missing, wrong arity).
absl::StatusOr<FlatFunction> FlattenFunction(const NodeContext& ctx, const std::string& attr,
                                             int index, int num_inputs, int num_outputs);

// Converts `f` into `builder`'s graph with argument i bound to `args[i]`;
// returns the values of its outputs.
absl::StatusOr<std::vector<std::string>> ConvertFunctionInto(const NodeContext& ctx,
                                                             const FlatFunction& f,
                                                             const std::vector<std::string>& args,
                                                             GraphBuilder* builder);

// Makes `value` output `name_hint` of the body `builder` builds (through an
// Identity: a body output must be a value of its own graph).
void AddBodyOutput(GraphBuilder* builder, const std::string& value, const std::string& name_hint,
                   const ir::ValueType& type);

// The ONNX type a loop-carried / branch output takes: its dtype (or the
// sequence `known` is), and TF's declared shape (`output_shapes[k]`), with
// unknown dims where TF says so.
ir::ValueType DeclaredType(const NodeContext& ctx, int k, const ir::ValueType& known,
                           const std::string& type_list_attr);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_BODY_H_

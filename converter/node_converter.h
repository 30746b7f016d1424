// Converting one TF node with its registered handler, shared by the
// top-level converter (tf_converter.cc) and the function-body converter
// (control_flow/function_body.cc): look the handler up at the opset, check
// the input arity, run it, then let `_output_shapes` fill what inference left.
#ifndef ONNXSMITH_CONVERTER_NODE_CONVERTER_H_
#define ONNXSMITH_CONVERTER_NODE_CONVERTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "converter/emit/graph_builder.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/node_def.pb.h"

namespace onnxsmith::converter {

struct FunctionEnv;

// `inputs` are the node's data inputs as ONNX values; `functions` (may be
// null) gives control-flow handlers the graph's function library, and
// `graph_def` (may be null) the whole graph to handlers that read nodes off
// their data path (a lookup table's initializer).
absl::Status ConvertTfNode(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
                           GraphBuilder* builder, const FunctionEnv* functions,
                           const tf::GraphDef* graph_def = nullptr);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_NODE_CONVERTER_H_

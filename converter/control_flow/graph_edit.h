// GraphDef editing shared by the v1 control-flow raising steps: parsed input
// references, a name/consumer index, node removal and unique names.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_GRAPH_EDIT_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_GRAPH_EDIT_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter::control_flow {

// A GraphDef input: "node" / "node:k" (port k), or "^node" (control, port -1).
struct InputRef {
  std::string node;
  int port = 0;
  bool control() const { return port < 0; }
  std::string Tensor() const;  // "node:k"
};
InputRef ParseInput(const std::string& input);

// Names and consumers of a GraphDef's nodes; rebuild after every edit.
class GraphIndex {
 public:
  // Fails, naming the nodes, when an input names a node that is not there.
  static absl::StatusOr<GraphIndex> Build(const tf::GraphDef& graph);

  const tf::GraphDef& graph() const { return *graph_; }
  int size() const { return graph_->node_size(); }
  const tf::NodeDef& node(int i) const { return graph_->node(i); }
  int IndexOf(const std::string& name) const;  // -1 when absent
  const tf::NodeDef* Find(const std::string& name) const;
  // Nodes reading node i (data or control), each once.
  const std::vector<int>& Consumers(int i) const { return consumers_[i]; }
  // Parsed inputs of node i.
  const std::vector<InputRef>& Inputs(int i) const { return inputs_[i]; }

 private:
  const tf::GraphDef* graph_ = nullptr;
  absl::flat_hash_map<std::string, int> by_name_;
  std::vector<std::vector<int>> consumers_;
  std::vector<std::vector<InputRef>> inputs_;
};

// Removes the nodes named in `names`.
void RemoveNodes(tf::GraphDef* graph, const absl::flat_hash_set<std::string>& names);

// Removes, repeatedly, the nodes of `candidates` that nothing reads any more.
absl::Status RemoveUnused(tf::GraphDef* graph, absl::flat_hash_set<std::string> candidates);

// `base` or `base_<n>`, free among the graph's node names.
std::string UniqueNodeName(const tf::GraphDef& graph, const std::string& base);
// A function name made of `base` (sanitized), free in the graph's library.
std::string UniqueFunctionName(const tf::GraphDef& graph, const std::string& base);

// The type attr `attr` of `node`, or DT_INVALID.
tf::DataType TypeAttr(const tf::NodeDef& node, const std::string& attr);

// The dtype of output `port` of `node` from its attributes (T, dtype, ...).
absl::StatusOr<tf::DataType> OutputType(const tf::NodeDef& node, int port);

// "node 'a' (Op)" for messages.
std::string Describe(const tf::NodeDef& node);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_GRAPH_EDIT_H_

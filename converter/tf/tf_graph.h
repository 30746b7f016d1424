// A read-only view of a GraphDef: nodes by name, data edges parsed from
// "node:k" strings, control edges ("^node") set apart, and the subgraph the
// requested outputs need.
#ifndef ONNXSMITH_CONVERTER_TF_TF_GRAPH_H_
#define ONNXSMITH_CONVERTER_TF_TF_GRAPH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter {

struct TensorRef {
  std::string node;
  int output = 0;
  std::string name() const { return node + ":" + std::to_string(output); }
};

// "node", "node:k"; control inputs ("^node") return nullopt.
std::optional<TensorRef> ParseTensorRef(const std::string& input);

class TfGraph {
 public:
  static absl::StatusOr<TfGraph> Build(const tf::GraphDef& graph);

  const tf::NodeDef* Find(const std::string& name) const;
  const std::vector<TensorRef>& DataInputs(const tf::NodeDef* node) const;
  const tf::GraphDef& graph_def() const { return *graph_; }
  // How error messages name a node: 'name' (Op), or, for a node without a
  // name, its index in the GraphDef: #12 (Op, unnamed).
  std::string Describe(const tf::NodeDef* node) const;

  // Nodes whose outputs no other node reads (excluding ops without outputs).
  std::vector<const tf::NodeDef*> Sinks() const;
  // Highest output index any node reads from `node` (0 if none).
  int MaxOutputRead(const std::string& node) const;

  // Nodes needed to compute `outputs`, not looking past `cut` tensors
  // (the chosen inputs). In GraphDef order.
  std::vector<const tf::NodeDef*> Needed(const std::vector<TensorRef>& outputs,
                                         const absl::flat_hash_set<std::string>& cut) const;

  // Orders `nodes` so producers come first; error naming a node on a cycle.
  absl::StatusOr<std::vector<const tf::NodeDef*>> TopologicalOrder(
      const std::vector<const tf::NodeDef*>& nodes,
      const absl::flat_hash_set<std::string>& cut) const;

 private:
  const tf::GraphDef* graph_ = nullptr;
  absl::flat_hash_map<std::string, const tf::NodeDef*> by_name_;
  absl::flat_hash_map<const tf::NodeDef*, std::vector<TensorRef>> inputs_;
  absl::flat_hash_map<std::string, int> max_output_read_;
};

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_TF_GRAPH_H_

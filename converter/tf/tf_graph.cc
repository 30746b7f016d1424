#include "converter/tf/tf_graph.h"

#include <deque>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

std::optional<TensorRef> ParseTensorRef(const std::string& input) {
  if (input.empty() || input[0] == '^') return std::nullopt;
  TensorRef ref;
  const size_t colon = input.rfind(':');
  int index = 0;
  if (colon != std::string::npos && absl::SimpleAtoi(input.substr(colon + 1), &index) &&
      index >= 0) {
    ref.node = input.substr(0, colon);
    ref.output = index;
  } else {
    ref.node = input;
  }
  return ref;
}

absl::StatusOr<TfGraph> TfGraph::Build(const tf::GraphDef& graph) {
  TfGraph g;
  g.graph_ = &graph;
  for (const auto& node : graph.node()) {
    if (!g.by_name_.emplace(node.name(), &node).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two nodes are named '", node.name(), "'"));
    }
  }
  for (const auto& node : graph.node()) {
    auto& ins = g.inputs_[&node];
    for (const std::string& in : node.input()) {
      if (in.empty() || in == "^") {
        return absl::InvalidArgumentError(
            absl::StrCat("node '", node.name(), "' (", node.op(), ") has an empty input name"));
      }
      auto ref = ParseTensorRef(in);
      if (!ref) {
        if (!g.by_name_.count(in.substr(1))) {
          return absl::InvalidArgumentError(absl::StrCat(
              "node '", node.name(), "' has a control input from unknown node '", in.substr(1), "'"));
        }
        continue;
      }
      if (!g.by_name_.count(ref->node)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node '", node.name(), "' (", node.op(), ") reads '", in,
            "', but no node is named '", ref->node, "' (truncated graph?)"));
      }
      int& m = g.max_output_read_[ref->node];
      m = std::max(m, ref->output);
      ins.push_back(*ref);
    }
  }
  return g;
}

const tf::NodeDef* TfGraph::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const std::vector<TensorRef>& TfGraph::DataInputs(const tf::NodeDef* node) const {
  return inputs_.at(node);
}

int TfGraph::MaxOutputRead(const std::string& node) const {
  auto it = max_output_read_.find(node);
  return it == max_output_read_.end() ? 0 : it->second;
}

std::vector<const tf::NodeDef*> TfGraph::Sinks() const {
  // Ops that produce nothing, or only feed training/saving.
  static const auto* kNoOutputs = new absl::flat_hash_set<std::string>{
      "NoOp", "Assert", "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore",
      "AssignVariableOp", "Assign", "AssignAdd", "AssignSub", "Print", "PrintV2",
      "MergeV2Checkpoints", "ShardedFilename", "StringJoin", "Const", "VarIsInitializedOp",
      "Placeholder", "VarHandleOp", "VariableV2"};
  absl::flat_hash_set<std::string> read;
  for (const auto& [node, ins] : inputs_) {
    for (const TensorRef& r : ins) read.insert(r.node);
  }
  std::vector<const tf::NodeDef*> sinks;
  for (const auto& node : graph_->node()) {
    if (!read.count(node.name()) && !kNoOutputs->count(node.op())) sinks.push_back(&node);
  }
  return sinks;
}

std::vector<const tf::NodeDef*> TfGraph::Needed(
    const std::vector<TensorRef>& outputs, const absl::flat_hash_set<std::string>& cut) const {
  absl::flat_hash_set<const tf::NodeDef*> seen;
  std::deque<const tf::NodeDef*> work;
  auto visit = [&](const TensorRef& t) {
    if (cut.count(t.name())) return;
    const tf::NodeDef* n = Find(t.node);
    if (n != nullptr && seen.insert(n).second) work.push_back(n);
  };
  for (const TensorRef& t : outputs) visit(t);
  while (!work.empty()) {
    const tf::NodeDef* n = work.front();
    work.pop_front();
    for (const TensorRef& in : DataInputs(n)) visit(in);
  }
  std::vector<const tf::NodeDef*> ordered;
  for (const auto& node : graph_->node()) {
    if (seen.count(&node)) ordered.push_back(&node);
  }
  return ordered;
}

std::string TfGraph::Describe(const tf::NodeDef* node) const {
  if (!node->name().empty()) return absl::StrCat("'", node->name(), "' (", node->op(), ")");
  int index = 0;
  while (index < graph_->node_size() && &graph_->node(index) != node) ++index;
  return absl::StrCat("#", index, " (", node->op(), ", unnamed)");
}

absl::StatusOr<std::vector<const tf::NodeDef*>> TfGraph::TopologicalOrder(
    const std::vector<const tf::NodeDef*>& nodes,
    const absl::flat_hash_set<std::string>& cut) const {
  absl::flat_hash_set<const tf::NodeDef*> members(nodes.begin(), nodes.end());
  absl::flat_hash_map<const tf::NodeDef*, int> pending;
  absl::flat_hash_map<const tf::NodeDef*, std::vector<const tf::NodeDef*>> users;
  for (const tf::NodeDef* n : nodes) {
    int& p = pending[n];
    for (const TensorRef& in : DataInputs(n)) {
      if (cut.count(in.name())) continue;
      const tf::NodeDef* producer = Find(in.node);
      if (!members.count(producer)) continue;
      ++p;
      users[producer].push_back(n);
    }
  }
  std::deque<const tf::NodeDef*> ready;
  for (const tf::NodeDef* n : nodes) {
    if (pending[n] == 0) ready.push_back(n);
  }
  std::vector<const tf::NodeDef*> order;
  while (!ready.empty()) {
    const tf::NodeDef* n = ready.front();
    ready.pop_front();
    order.push_back(n);
    for (const tf::NodeDef* u : users[n]) {
      if (--pending[u] == 0) ready.push_back(u);
    }
  }
  if (order.size() != nodes.size()) {
    for (const tf::NodeDef* n : nodes) {
      if (pending[n] > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the graph has a cycle through node ", Describe(n),
            "; TF1 control flow (Enter/Merge/NextIteration) is not supported"));
      }
    }
  }
  return order;
}

}  // namespace onnxsmith::converter

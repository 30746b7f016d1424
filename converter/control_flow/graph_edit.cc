#include "converter/control_flow/graph_edit.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "converter/tf/tf_graph.h"

namespace onnxsmith::converter::control_flow {

std::string InputRef::Tensor() const { return absl::StrCat(node, ":", port); }

InputRef ParseInput(const std::string& input) {
  InputRef ref;
  if (!input.empty() && input[0] == '^') {
    ref.node = input.substr(1);
    ref.port = -1;
    return ref;
  }
  if (std::optional<TensorRef> t = ParseTensorRef(input)) {
    ref.node = t->node;
    ref.port = t->output;
  }
  return ref;
}

absl::StatusOr<GraphIndex> GraphIndex::Build(const tf::GraphDef& graph) {
  GraphIndex index;
  index.graph_ = &graph;
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!index.by_name_.emplace(graph.node(i).name(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two nodes are named '", graph.node(i).name(), "'"));
    }
  }
  index.consumers_.resize(graph.node_size());
  index.inputs_.resize(graph.node_size());
  for (int i = 0; i < graph.node_size(); ++i) {
    const tf::NodeDef& node = graph.node(i);
    for (const std::string& input : node.input()) {
      InputRef ref = ParseInput(input);
      int producer = index.IndexOf(ref.node);
      if (producer < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            Describe(node), " reads '", input, "', but the graph has no node '", ref.node, "'"));
      }
      index.inputs_[i].push_back(ref);
      std::vector<int>& c = index.consumers_[producer];
      if (c.empty() || c.back() != i) c.push_back(i);
    }
  }
  return index;
}

int GraphIndex::IndexOf(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

const tf::NodeDef* GraphIndex::Find(const std::string& name) const {
  int i = IndexOf(name);
  return i < 0 ? nullptr : &graph_->node(i);
}

void RemoveNodes(tf::GraphDef* graph, const absl::flat_hash_set<std::string>& names) {
  if (names.empty()) return;
  google::protobuf::RepeatedPtrField<tf::NodeDef> kept;
  for (tf::NodeDef& node : *graph->mutable_node()) {
    if (!names.contains(node.name())) *kept.Add() = std::move(node);
  }
  graph->mutable_node()->Swap(&kept);
}

absl::Status RemoveUnused(tf::GraphDef* graph, absl::flat_hash_set<std::string> candidates) {
  while (true) {
    auto index = GraphIndex::Build(*graph);
    if (!index.ok()) return index.status();
    absl::flat_hash_set<std::string> dead;
    for (const std::string& name : candidates) {
      int i = index->IndexOf(name);
      if (i >= 0 && index->Consumers(i).empty()) dead.insert(name);
    }
    if (dead.empty()) return absl::OkStatus();
    for (const std::string& name : dead) candidates.erase(name);
    RemoveNodes(graph, dead);
  }
}

std::string UniqueNodeName(const tf::GraphDef& graph, const std::string& base) {
  absl::flat_hash_set<std::string> names;
  for (const tf::NodeDef& node : graph.node()) names.insert(node.name());
  if (!names.contains(base)) return base;
  for (int n = 1;; ++n) {
    std::string name = absl::StrCat(base, "_", n);
    if (!names.contains(name)) return name;
  }
}

std::string UniqueFunctionName(const tf::GraphDef& graph, const std::string& base) {
  std::string clean;
  for (char c : base) clean.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  absl::flat_hash_set<std::string> names;
  for (const tf::FunctionDef& f : graph.library().function()) names.insert(f.signature().name());
  for (int n = 0;; ++n) {
    std::string name = absl::StrCat(clean, "_", n);
    if (!names.contains(name)) return name;
  }
}

tf::DataType TypeAttr(const tf::NodeDef& node, const std::string& attr) {
  auto it = node.attr().find(attr);
  if (it == node.attr().end() || it->second.value_case() != tf::AttrValue::kType) {
    return tf::DT_INVALID;
  }
  return it->second.type();
}

absl::StatusOr<tf::DataType> OutputType(const tf::NodeDef& node, int port) {
  for (const char* attr : {"T", "dtype", "out_type", "output_type", "DstT"}) {
    tf::DataType t = TypeAttr(node, attr);
    if (t != tf::DT_INVALID) return t;
  }
  for (const char* attr : {"Tout", "T", "_output_types"}) {
    auto it = node.attr().find(attr);
    if (it != node.attr().end() && it->second.list().type_size() > port) {
      return it->second.list().type(port);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(Describe(node), ": the type of output ", port, " is not known"));
}

std::string Describe(const tf::NodeDef& node) {
  return absl::StrCat("node '", node.name(), "' (", node.op(), ")");
}

}  // namespace onnxsmith::converter::control_flow

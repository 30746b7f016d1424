#include "ir/graph.h"

#include <algorithm>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace onnxsmith::ir {

Attribute Attribute::Int(std::string name, int64_t v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kInt;
  a.i = v;
  return a;
}
Attribute Attribute::Float(std::string name, float v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kFloat;
  a.f = v;
  return a;
}
Attribute Attribute::String(std::string name, std::string v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kString;
  a.s = std::move(v);
  return a;
}
Attribute Attribute::Ints(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute Attribute::Floats(std::string name, std::vector<float> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
Attribute Attribute::Strings(std::string name, std::vector<std::string> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kStrings;
  a.strings = std::move(v);
  return a;
}
Attribute Attribute::TensorValue(std::string name, Tensor v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kTensor;
  a.t = std::move(v);
  return a;
}
Attribute Attribute::GraphValue(std::string name, std::shared_ptr<Graph> v) {
  Attribute a;
  a.name = std::move(name);
  a.kind = Kind::kGraph;
  a.g = std::move(v);
  return a;
}

std::string DescribeNode(const Node& node, size_t index) {
  if (!node.name.empty()) return absl::StrCat("'", node.name, "'");
  return absl::StrCat("#", index, " (", node.domain.empty() ? "" : absl::StrCat(node.domain, "::"),
                      node.op_type, ", unnamed)");
}

const Attribute* Node::FindAttr(const std::string& attr_name) const {
  for (const Attribute& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

int64_t Node::GetInt(const std::string& attr_name, int64_t default_value) const {
  const Attribute* a = FindAttr(attr_name);
  return a && a->kind == Attribute::Kind::kInt ? a->i : default_value;
}

Node* Graph::AddNode(Node node) {
  nodes.push_back(std::make_unique<Node>(std::move(node)));
  return nodes.back().get();
}

const Tensor* Graph::FindInitializer(const std::string& value) const {
  auto it = initializers.find(value);
  return it == initializers.end() ? nullptr : &it->second;
}

bool Graph::IsGraphInput(const std::string& value) const {
  return std::any_of(inputs.begin(), inputs.end(),
                     [&](const ValueInfo& v) { return v.name == value; });
}

bool Graph::IsGraphOutput(const std::string& value) const {
  return std::any_of(outputs.begin(), outputs.end(),
                     [&](const ValueInfo& v) { return v.name == value; });
}

Graph::Index Graph::BuildIndex() const {
  Index index;
  for (const auto& n : nodes) {
    for (const std::string& out : n->outputs) {
      if (!out.empty()) index.producer[out] = n.get();
    }
    for (const std::string& in : n->inputs) {
      if (!in.empty()) index.consumers[in].push_back(n.get());
    }
  }
  return index;
}

absl::Status Graph::TopologicalSort() {
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i]->outputs) {
      if (!out.empty()) producer[out] = i;
    }
  }
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<size_t>> users(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& in : nodes[i]->inputs) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        ++pending[i];
        users[it->second].push_back(i);
      } else if (!IsInitializer(in) && !IsGraphInput(in)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node '", nodes[i]->name, "' (", nodes[i]->op_type, ") reads undefined value '", in,
            "'"));
      }
    }
  }
  std::deque<size_t> ready;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes.size());
  while (!ready.empty()) {
    size_t i = ready.front();
    ready.pop_front();
    for (size_t u : users[i]) {
      if (--pending[u] == 0) ready.push_back(u);
    }
    sorted.push_back(std::move(nodes[i]));
  }
  if (sorted.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i]) {
        // Put the graph back as it was apart from the moved nodes' order.
        std::string node = DescribeNode(*nodes[i], i);
        for (auto& n : sorted) nodes.push_back(std::move(n));
        nodes.erase(std::remove(nodes.begin(), nodes.end(), nullptr), nodes.end());
        return absl::InvalidArgumentError(
            absl::StrCat("the graph has a cycle through node ", node));
      }
    }
  }
  nodes = std::move(sorted);
  return absl::OkStatus();
}

void Graph::RemoveDeadNodes() {
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (const std::string& out : nodes[k]->outputs) {
      if (!out.empty()) producer[out] = k;
    }
  }
  absl::flat_hash_set<std::string> live;
  std::vector<bool> keep(nodes.size(), false);
  std::vector<std::string> work;
  for (const ValueInfo& v : outputs) work.push_back(v.name);
  while (!work.empty()) {
    std::string value = std::move(work.back());
    work.pop_back();
    if (!live.insert(value).second) continue;
    auto it = producer.find(value);
    if (it == producer.end() || keep[it->second]) continue;
    keep[it->second] = true;
    const Node& n = *nodes[it->second];
    for (const std::string& in : n.inputs) work.push_back(in);
    for (const Attribute& a : n.attributes) {
      // Subgraphs may read outer-scope values by name.
      if (a.kind != Attribute::Kind::kGraph || !a.g) continue;
      for (const auto& sub : a.g->nodes) {
        for (const std::string& in : sub->inputs) work.push_back(in);
      }
    }
  }
  size_t w = 0;
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (keep[k]) nodes[w++] = std::move(nodes[k]);
  }
  nodes.resize(w);
  for (auto it = initializers.begin(); it != initializers.end();) {
    it = live.count(it->first) ? std::next(it) : initializers.erase(it);
  }
  for (auto it = value_types.begin(); it != value_types.end();) {
    it = live.count(it->first) ? std::next(it) : value_types.erase(it);
  }
}

int64_t IrVersionForOpset(int64_t opset) {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

}  // namespace onnxsmith::ir

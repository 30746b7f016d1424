#include "ir/graph.h"

#include <algorithm>

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

ValueType MakeType(DataType dtype, const std::vector<int64_t>& dims) {
  ValueType t;
  t.dtype = dtype;
  std::vector<Dim> d;
  d.reserve(dims.size());
  for (int64_t v : dims) d.push_back({v, ""});
  t.shape = std::move(d);
  return t;
}

std::vector<const Graph*> Subgraphs(const Node& node) {
  std::vector<const Graph*> out;
  for (const Attribute& a : node.attributes) {
    if (a.kind == Attribute::Kind::kGraph && a.g) out.push_back(a.g.get());
  }
  return out;
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

Graph Graph::Clone() const {
  Graph c;
  c.name = name;
  c.inputs = inputs;
  c.outputs = outputs;
  c.value_types = value_types;
  c.initializers = initializers;
  c.nodes.reserve(nodes.size());
  for (const auto& n : nodes) {
    Node copy = *n;
    for (Attribute& a : copy.attributes) {
      if (a.kind == Attribute::Kind::kGraph && a.g) a.g = std::make_shared<Graph>(a.g->Clone());
    }
    c.AddNode(std::move(copy));
  }
  return c;
}

int64_t IrVersionForOpset(int64_t opset) {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

}  // namespace onnxsmith::ir

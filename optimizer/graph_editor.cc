#include "optimizer/graph_editor.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace onnxsmith::optimizer {

namespace {

void CollectNames(const ir::Graph& g, absl::flat_hash_set<std::string>& values,
                  absl::flat_hash_set<std::string>& nodes) {
  for (const auto& v : g.inputs) values.insert(v.name);
  for (const auto& v : g.outputs) values.insert(v.name);
  for (const auto& [name, t] : g.initializers) values.insert(name);
  for (const auto& [name, t] : g.value_types) values.insert(name);
  for (const auto& n : g.nodes) {
    nodes.insert(n->name);
    for (const auto& v : n->inputs) values.insert(v);
    for (const auto& v : n->outputs) values.insert(v);
    for (const auto& a : n->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) CollectNames(*a.g, values, nodes);
    }
  }
}

}  // namespace

bool IsNondeterministic(const ir::Node& n) {
  static const auto* kRandom = new absl::flat_hash_set<std::string>{
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial",
      "Bernoulli"};
  if (!IsOnnxDomain(n)) return false;
  if (kRandom->count(n.op_type)) return true;
  if (n.op_type != "Dropout") return false;
  const ir::Attribute* is_test = n.FindAttr("is_test");
  return (n.inputs.size() > 2 && !n.inputs[2].empty()) || (is_test && is_test->i == 0);
}

// ---------------------------------------------------------------------------

GraphEditor::GraphEditor(ir::Graph& graph, int64_t opset) : graph_(graph), opset_(opset) {
  for (const auto& v : graph_.outputs) {
    outputs_.insert(v.name);
    ++output_count_[v.name];
  }
  for (const auto& v : graph_.inputs) inputs_.insert(v.name);
  const size_t n = graph_.nodes.size();
  producer_.reserve(n + n / 2);
  consumers_.reserve(n + n / 2 + graph_.initializers.size());
  original_index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    IndexNode(graph_.nodes[i].get());
    original_index_[graph_.nodes[i].get()] = static_cast<int64_t>(i);
  }
}

void GraphEditor::EnsureNames() {
  if (names_collected_) return;
  names_collected_ = true;
  CollectNames(graph_, names_, node_names_);
}

void GraphEditor::IndexNode(ir::Node* node) {
  for (const auto& o : node->outputs) {
    if (!o.empty()) producer_[o] = node;
  }
  for (const auto& in : node->inputs) {
    if (!in.empty()) consumers_[in].push_back(node);
  }
  if (HasSubgraph(*node)) {
    for (const auto& r : ir::ImplicitInputs(*node)) implicit_[r].push_back(node);
  }
}

bool GraphEditor::HasSubgraph(const ir::Node& node) {
  for (const ir::Attribute& a : node.attributes) {
    if (a.kind == ir::Attribute::Kind::kGraph && a.g) return true;
  }
  return false;
}

void GraphEditor::EraseOne(std::vector<ir::Node*>& v, const ir::Node* n) {
  auto it = std::find(v.begin(), v.end(), n);
  if (it != v.end()) v.erase(it);
}

void GraphEditor::UnindexNode(ir::Node* node) {
  for (const auto& o : node->outputs) {
    auto it = producer_.find(o);
    if (it != producer_.end() && it->second == node) producer_.erase(it);
  }
  for (const auto& in : node->inputs) {
    if (!in.empty()) EraseOne(consumers_[in], node);
  }
  if (!HasSubgraph(*node)) return;
  for (const auto& r : ir::ImplicitInputs(*node)) {
    auto& v = implicit_[r];
    v.erase(std::remove(v.begin(), v.end(), node), v.end());
  }
}

ir::Node* GraphEditor::Producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? nullptr : it->second;
}

const std::vector<ir::Node*>& GraphEditor::Consumers(const std::string& value) const {
  static const std::vector<ir::Node*>* const kEmpty = new std::vector<ir::Node*>();
  auto it = consumers_.find(value);
  return it == consumers_.end() ? *kEmpty : it->second;
}

bool GraphEditor::HasImplicitUses(const std::string& value) const {
  auto it = implicit_.find(value);
  return it != implicit_.end() && !it->second.empty();
}

size_t GraphEditor::NumUses(const std::string& value) const {
  size_t n = Consumers(value).size();
  auto it = implicit_.find(value);
  if (it != implicit_.end()) n += it->second.size();
  auto oc = output_count_.find(value);
  if (oc != output_count_.end()) n += oc->second;
  return n;
}

bool GraphEditor::OnlyUsedBy(const std::string& value, const ir::Node* node) const {
  if (IsGraphOutput(value) || HasImplicitUses(value)) return false;
  const auto& c = Consumers(value);
  if (c.empty()) return false;
  return std::all_of(c.begin(), c.end(), [&](const ir::Node* n) { return n == node; });
}

const ir::Tensor* GraphEditor::Constant(const std::string& value) const {
  if (inputs_.count(value)) return nullptr;
  return graph_.FindInitializer(value);
}


std::optional<ir::ValueType> GraphEditor::TypeOf(const std::string& value) const {
  auto it = graph_.value_types.find(value);
  if (it != graph_.value_types.end()) return it->second;
  for (const auto& v : graph_.inputs) {
    if (v.name == value) return v.type;
  }
  for (const auto& v : graph_.outputs) {
    if (v.name == value) return v.type;
  }
  if (const ir::Tensor* t = graph_.FindInitializer(value)) {
    ir::ValueType vt;
    vt.dtype = t->dtype();
    std::vector<ir::Dim> dims;
    for (int64_t d : t->dims()) dims.push_back({d, ""});
    vt.shape = std::move(dims);
    return vt;
  }
  return std::nullopt;
}

ir::DataType GraphEditor::DataTypeOf(const std::string& value) const {
  auto t = TypeOf(value);
  return t ? t->dtype : ir::DataType::kUndefined;
}

std::optional<int> GraphEditor::RankOf(const std::string& value) const {
  auto t = TypeOf(value);
  if (!t) return std::nullopt;
  return t->rank();
}

std::optional<std::vector<int64_t>> GraphEditor::DimsOf(const std::string& value) const {
  auto t = TypeOf(value);
  if (!t || !t->shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : *t->shape) dims.push_back(d.known() ? d.size : -1);
  return dims;
}

std::optional<std::vector<int64_t>> GraphEditor::StaticShapeOf(const std::string& value) const {
  auto dims = DimsOf(value);
  if (!dims) return std::nullopt;
  for (int64_t d : *dims) {
    if (d < 0) return std::nullopt;
  }
  return dims;
}

ir::Node* GraphEditor::AddNode(ir::Node node) {
  EnsureNames();
  if (node.name.empty() || node_names_.count(node.name)) {
    node.name = NewNodeName(node.name.empty() ? node.op_type : node.name);
  } else {
    node_names_.insert(node.name);
  }
  for (const auto& o : node.outputs) names_.insert(o);
  graph_.nodes.push_back(std::make_unique<ir::Node>(std::move(node)));
  ir::Node* n = graph_.nodes.back().get();
  IndexNode(n);
  modified_ = true;
  return n;
}

void GraphEditor::RemoveNode(ir::Node* node) {
  if (IsRemoved(node)) return;
  UnindexNode(node);
  removed_.insert(node);
  modified_ = true;
}

bool GraphEditor::RemoveIfUnused(ir::Node* node) {
  if (IsRemoved(node)) return false;
  for (const auto& o : node->outputs) {
    if (!o.empty() && NumUses(o) > 0) return false;
  }
  RemoveNode(node);
  return true;
}

void GraphEditor::SetInput(ir::Node* node, size_t slot, const std::string& value) {
  if (slot >= node->inputs.size()) node->inputs.resize(slot + 1);
  std::string& cur = node->inputs[slot];
  if (cur == value) return;
  if (!IsRemoved(node)) {
    if (!cur.empty()) EraseOne(consumers_[cur], node);
    if (!value.empty()) consumers_[value].push_back(node);
  }
  cur = value;
  modified_ = true;
}

void GraphEditor::AbsorbConsumer(ir::Node* producer, ir::Node* consumer) {
  const std::string y = consumer->outputs[0];
  RemoveNode(consumer);
  SetOutput(producer, 0, y);
}

void GraphEditor::AddInput(ir::Node* node, const std::string& value) {
  node->inputs.push_back("");
  SetInput(node, node->inputs.size() - 1, value);
}

void GraphEditor::SetOutput(ir::Node* node, size_t slot, const std::string& value) {
  std::string& cur = node->outputs[slot];
  if (cur == value) return;
  if (!IsRemoved(node)) {
    auto it = producer_.find(cur);
    if (it != producer_.end() && it->second == node) producer_.erase(it);
    if (!value.empty()) producer_[value] = node;
  }
  names_.insert(value);
  cur = value;
  modified_ = true;
}

void GraphEditor::RenameInSubgraphs(ir::Node* node, const std::string& from,
                                    const std::string& to) {
  std::function<void(ir::Graph&)> rename = [&](ir::Graph& g) {
    for (auto& n : g.nodes) {
      for (auto& in : n->inputs) {
        if (in == from) in = to;
      }
      for (auto& a : n->attributes) {
        if (a.kind == ir::Attribute::Kind::kGraph && a.g) rename(*a.g);
      }
    }
    for (auto& o : g.outputs) {
      if (o.name == from) o.name = to;
    }
  };
  for (auto& a : node->attributes) {
    if (a.kind == ir::Attribute::Kind::kGraph && a.g) rename(*a.g);
  }
}

void GraphEditor::ReplaceAllUses(const std::string& from, const std::string& to) {
  if (from == to) return;
  std::vector<ir::Node*> readers = Consumers(from);
  consumers_.erase(from);
  for (ir::Node* n : readers) {
    for (auto& in : n->inputs) {
      if (in == from) in = to;
    }
  }
  auto& dst = consumers_[to];
  dst.insert(dst.end(), readers.begin(), readers.end());
  auto it = implicit_.find(from);
  if (it != implicit_.end()) {
    std::vector<ir::Node*> owners = std::move(it->second);
    implicit_.erase(it);
    absl::flat_hash_set<ir::Node*> done;
    for (ir::Node* n : owners) {
      if (done.insert(n).second) RenameInSubgraphs(n, from, to);
    }
    auto& idst = implicit_[to];
    idst.insert(idst.end(), owners.begin(), owners.end());
  }
  modified_ = true;
}

bool GraphEditor::CanBypass(const ir::Node* node, const std::string& in,
                            const std::string& out) const {
  if (in.empty() || out.empty() || in == out) return false;
  if (!IsGraphOutput(out)) return true;
  const ir::Node* p = Producer(in);
  return p != nullptr && p != node && !IsGraphOutput(in) && !IsGraphInput(in);
}

bool GraphEditor::Bypass(ir::Node* node, const std::string& in, const std::string& out) {
  if (!CanBypass(node, in, out)) return false;
  RemoveNode(node);
  if (!IsGraphOutput(out)) {
    ReplaceAllUses(out, in);
    return true;
  }
  ir::Node* p = Producer(in);
  size_t slot = 0;
  while (p->outputs[slot] != in) ++slot;
  ReplaceAllUses(in, out);
  SetOutput(p, slot, out);
  graph_.value_types.erase(in);
  return true;
}

std::string GraphEditor::NewValueName(const std::string& base) {
  EnsureNames();
  std::string name = base;
  while (name.empty() || names_.count(name)) name = absl::StrCat(base, "__", ++name_counter_);
  names_.insert(name);
  return name;
}

std::string GraphEditor::NewNodeName(const std::string& base) {
  EnsureNames();
  std::string name = base;
  while (name.empty() || node_names_.count(name)) {
    name = absl::StrCat(base, "__", ++name_counter_);
  }
  node_names_.insert(name);
  return name;
}

std::string GraphEditor::AddInitializer(const std::string& base, ir::Tensor tensor) {
  std::string name = NewValueName(base);
  graph_.initializers[name] = std::move(tensor);
  const_memo_[name] = true;
  modified_ = true;
  return name;
}

void GraphEditor::SetType(const std::string& value, ir::ValueType type) {
  graph_.value_types[value] = std::move(type);
}

// ---------------------------------------------------------------------------

std::optional<std::vector<int64_t>> TransposePerm(const GraphEditor& ed, const ir::Node& n) {
  const ir::Attribute* a = n.FindAttr("perm");
  if (a && a->kind == ir::Attribute::Kind::kInts) {
    std::vector<int64_t> perm = a->ints;
    std::vector<bool> seen(perm.size(), false);
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[p]) return std::nullopt;
      seen[p] = true;
    }
    return perm;
  }
  if (a) return std::nullopt;
  if (n.inputs.empty()) return std::nullopt;
  auto rank = ed.RankOf(n.inputs[0]);
  if (!rank) return std::nullopt;
  std::vector<int64_t> perm(*rank);
  for (int i = 0; i < *rank; ++i) perm[i] = *rank - 1 - i;
  return perm;
}

bool IsIdentityPerm(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

std::vector<int64_t> InversePerm(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int64_t>(i);
  return inv;
}

std::vector<int64_t> PermuteDims(const std::vector<int64_t>& in, const std::vector<int64_t>& perm) {
  std::vector<int64_t> out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = in[perm[i]];
  return out;
}

std::optional<ir::ValueType> PermuteType(const std::optional<ir::ValueType>& t,
                                         const std::vector<int64_t>& perm) {
  if (!t) return std::nullopt;
  ir::ValueType out;
  out.dtype = t->dtype;
  if (t->shape && t->shape->size() == perm.size()) {
    std::vector<ir::Dim> dims(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) dims[i] = (*t->shape)[perm[i]];
    out.shape = std::move(dims);
  }
  return out;
}

std::optional<IntList> AxesOf(const GraphEditor& ed, const ir::Node& n, const std::string& attr,
                              size_t input_slot) {
  IntList out;
  if (const ir::Attribute* a = n.FindAttr(attr)) {
    if (a->kind == ir::Attribute::Kind::kInts) {
      out.present = true;
      out.values = a->ints;
      return out;
    }
    if (a->kind == ir::Attribute::Kind::kInt) {
      out.present = true;
      out.values = {a->i};
      return out;
    }
    return std::nullopt;
  }
  if (n.inputs.size() > input_slot && !n.inputs[input_slot].empty()) {
    const ir::Tensor* t = ed.Constant(n.inputs[input_slot]);
    if (!t) return std::nullopt;
    auto v = t->ToInt64s();
    if (!v.ok()) return std::nullopt;
    out.present = true;
    out.values = *std::move(v);
  }
  return out;
}

ir::Attribute* MutableAttr(ir::Node& n, const std::string& name) {
  for (auto& a : n.attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void SetIntsAttr(ir::Node& n, const std::string& name, std::vector<int64_t> v) {
  if (ir::Attribute* a = MutableAttr(n, name)) {
    *a = ir::Attribute::Ints(name, std::move(v));
  } else {
    n.attributes.push_back(ir::Attribute::Ints(name, std::move(v)));
  }
}

void SetIntAttr(ir::Node& n, const std::string& name, int64_t v) {
  if (ir::Attribute* a = MutableAttr(n, name)) {
    *a = ir::Attribute::Int(name, v);
  } else {
    n.attributes.push_back(ir::Attribute::Int(name, v));
  }
}

}  // namespace onnxsmith::optimizer

#include "ir/verifier.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::ir {

namespace {

constexpr int64_t kMaxElements = int64_t{1} << 40;

absl::Status Fail(const Graph& g, const std::string& what) {
  return absl::InternalError(absl::StrCat("graph '", g.name, "': ", what));
}

// Bytes (or strings) consistent with dtype and dims; "" when they are.
std::string TensorProblem(const Tensor& t) {
  if (t.dtype() == DataType::kUndefined) return "has no dtype";
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) return absl::StrCat("has a negative dim (", absl::StrJoin(t.dims(), "x"), ")");
    if (d > 0 && n > kMaxElements / d) return "has more than 2^40 elements";
    n *= d;
  }
  if (t.dtype() == DataType::kString) {
    if (static_cast<int64_t>(t.strings().size()) != n) {
      return absl::StrCat("has ", t.strings().size(), " strings for ", n, " elements");
    }
    return "";
  }
  const int64_t want = n * ElementSize(t.dtype());
  if (static_cast<int64_t>(t.raw().size()) != want) {
    return absl::StrCat("has ", t.raw().size(), " bytes; ", DataTypeName(t.dtype()), " [",
                        absl::StrJoin(t.dims(), "x"), "] needs ", want);
  }
  return "";
}

bool IsOnnxDomainName(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// ONNX's TensorProto.DataType values, the newer ones (float8, int4,
// float4: 17-24) included though ir::DataType does not name them.
bool ValidDataType(int64_t v) { return v >= 1 && v <= 30; }

// Everything one graph's check needs about names.
struct Scope {
  // Values visible here: enclosing scopes', then this graph's so far.
  absl::flat_hash_set<std::string> visible;
  // Ranks known in this graph (value_types, inputs, initializers).
  absl::flat_hash_map<std::string, int> rank;
  // Subgraph objects seen anywhere in the tree.
  absl::flat_hash_set<const Graph*>* subgraphs;
};

std::optional<int> RankOf(const Scope& s, const std::string& v) {
  auto it = s.rank.find(v);
  return it == s.rank.end() ? std::nullopt : std::optional<int>(it->second);
}

// Operand counts of common ops (ai.onnx): a rewrite that drops or adds one
// is caught here instead of in the ONNX checker or at run time.
std::string ArityProblem(const Node& n) {
  static const auto* kBinary = new absl::flat_hash_set<std::string>{
      "Add", "Sub", "Mul", "Div", "Pow", "MatMul", "Equal", "Less", "Greater", "LessOrEqual",
      "GreaterOrEqual", "And", "Or", "Xor", "PRelu", "BitShift", "Mod"};
  static const auto* kUnary = new absl::flat_hash_set<std::string>{
      "Relu", "Neg", "Abs", "Exp", "Log", "Sqrt", "Sigmoid", "Tanh", "Erf", "Reciprocal",
      "Identity", "Floor", "Ceil", "Not", "Softplus", "Softsign", "Sign", "Sin", "Cos", "Round",
      "LeakyRelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Gelu", "Transpose", "Cast",
      "Shape", "Size", "Flatten", "Softmax", "LogSoftmax", "GlobalAveragePool", "GlobalMaxPool"};
  auto want = [&](size_t lo, size_t hi) -> std::string {
    const size_t k = n.inputs.size();
    if (k < lo || k > hi) {
      return absl::StrCat("has ", k, " inputs; ", n.op_type, " takes ",
                          lo == hi ? absl::StrCat(lo) : absl::StrCat(lo, " to ", hi));
    }
    for (size_t i = 0; i < lo; ++i) {
      if (n.inputs[i].empty()) return absl::StrCat("has no value for required input ", i);
    }
    return "";
  };
  if (kBinary->count(n.op_type)) return want(2, 2);
  if (kUnary->count(n.op_type)) return want(1, 1);
  if (n.op_type == "Conv") return want(2, 3);
  if (n.op_type == "Gemm") return want(2, 3);
  if (n.op_type == "BatchNormalization") return want(5, 5);
  if (n.op_type == "Where") return want(3, 3);
  if (n.op_type == "Concat" && n.inputs.empty()) return "has no inputs";
  return "";
}

// Cheap attribute sanity for the ops rewrites most often touch.
std::string AttributeProblem(const Node& n, const Scope& s) {
  std::optional<int> in_rank =
      n.inputs.empty() || n.inputs[0].empty() ? std::nullopt : RankOf(s, n.inputs[0]);
  const Attribute* a = nullptr;
  if (n.op_type == "Transpose" && (a = n.FindAttr("perm"))) {
    std::vector<int64_t> sorted = a->ints;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i] != static_cast<int64_t>(i)) {
        return absl::StrCat("perm [", absl::StrJoin(a->ints, ","), "] is not a permutation");
      }
    }
    if (in_rank && *in_rank != static_cast<int>(a->ints.size())) {
      return absl::StrCat("perm [", absl::StrJoin(a->ints, ","), "] for an input of rank ",
                          *in_rank);
    }
  }
  static const auto* kWindowed = new absl::flat_hash_set<std::string>{
      "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool", "ConvInteger", "QLinearConv"};
  if (kWindowed->count(n.op_type)) {
    // Spatial rank: from kernel_shape, the weight's rank, or the input's.
    std::optional<int> spatial;
    if ((a = n.FindAttr("kernel_shape"))) {
      spatial = static_cast<int>(a->ints.size());
      for (int64_t k : a->ints) {
        if (k <= 0) return absl::StrCat("kernel_shape has a non-positive size ", k);
      }
    } else if (in_rank && *in_rank >= 2) {
      spatial = *in_rank - 2;
    }
    if ((a = n.FindAttr("pads"))) {
      for (int64_t p : a->ints) {
        if (p < 0) return absl::StrCat("pads [", absl::StrJoin(a->ints, ","), "] are negative");
      }
      if (a->ints.size() % 2 || (spatial && static_cast<int>(a->ints.size()) != 2 * *spatial)) {
        return absl::StrCat("has ", a->ints.size(), " pads for ",
                            spatial ? absl::StrCat(*spatial) : "?", " spatial dims");
      }
    }
    for (const char* name : {"strides", "dilations"}) {
      if (!(a = n.FindAttr(name))) continue;
      for (int64_t v : a->ints) {
        if (v <= 0) return absl::StrCat(name, " [", absl::StrJoin(a->ints, ","), "] not positive");
      }
      if (spatial && static_cast<int>(a->ints.size()) != *spatial) {
        return absl::StrCat("has ", a->ints.size(), " ", name, " for ", *spatial,
                            " spatial dims");
      }
    }
    if (n.GetInt("group", 1) <= 0) return "group is not positive";
  }
  if (n.op_type == "Cast" && (a = n.FindAttr("to")) && !ValidDataType(a->i)) {
    return absl::StrCat("casts to unknown dtype ", a->i);
  }
  if (n.op_type == "Concat" && !n.FindAttr("axis")) return "has no axis";
  static const auto* kAxisOps = new absl::flat_hash_set<std::string>{
      "Concat", "Gather", "Softmax", "LogSoftmax", "Split", "CumSum", "GatherElements"};
  if (kAxisOps->count(n.op_type) && in_rank && (a = n.FindAttr("axis"))) {
    if (a->i < -*in_rank || a->i >= std::max(*in_rank, 1)) {
      return absl::StrCat("axis ", a->i, " is out of range for rank ", *in_rank);
    }
  }
  if (n.op_type == "Gemm" && ((n.GetInt("transA", 0) & ~1) != 0 || (n.GetInt("transB", 0) & ~1) != 0)) {
    return "transA/transB not 0 or 1";
  }
  return "";
}

absl::Status VerifyGraph(const Graph& g, Scope& s);

// DescribeNode, with the op type of named nodes too: 'relu' (Relu).
std::string NodeWithOp(const Node& n, size_t i) {
  return absl::StrCat(DescribeNode(n, i), n.name.empty() ? "" : absl::StrCat(" (", n.op_type, ")"));
}

// If/Loop/Scan: bodies present, counts consistent with the node's.
std::string SubgraphProblem(const Node& n) {
  auto body = [&](const char* name) -> const Graph* {
    const Attribute* a = n.FindAttr(name);
    return a && a->kind == Attribute::Kind::kGraph ? a->g.get() : nullptr;
  };
  if (n.op_type == "If") {
    const Graph* t = body("then_branch");
    const Graph* e = body("else_branch");
    if (!t || !e) return "has no then_branch/else_branch";
    if (n.inputs.size() != 1) return "needs exactly one input (the condition)";
    for (const Graph* b : {t, e}) {
      if (!b->inputs.empty()) return absl::StrCat("branch '", b->name, "' has inputs");
      if (b->outputs.size() != n.outputs.size()) {
        return absl::StrCat("branch '", b->name, "' has ", b->outputs.size(),
                            " outputs for the node's ", n.outputs.size());
      }
    }
  } else if (n.op_type == "Loop") {
    const Graph* b = body("body");
    if (!b) return "has no body";
    if (n.inputs.size() < 2) return "needs M and cond inputs";
    const size_t carried = n.inputs.size() - 2;
    if (b->inputs.size() != carried + 2) {
      return absl::StrCat("body has ", b->inputs.size(), " inputs for ", carried,
                          " loop-carried values (needs 2 + N)");
    }
    if (b->outputs.size() < carried + 1 || b->outputs.size() - 1 != n.outputs.size()) {
      return absl::StrCat("body has ", b->outputs.size(), " outputs for the node's ",
                          n.outputs.size(), " (needs 1 + N + K)");
    }
  } else if (n.op_type == "Scan") {
    const Graph* b = body("body");
    if (!b) return "has no body";
    // Opset 8 has a leading sequence_lens input; 9+ does not.
    if (b->inputs.size() != n.inputs.size() && b->inputs.size() + 1 != n.inputs.size()) {
      return absl::StrCat("body has ", b->inputs.size(), " inputs for the node's ",
                          n.inputs.size());
    }
    if (b->outputs.size() != n.outputs.size()) {
      return absl::StrCat("body has ", b->outputs.size(), " outputs for the node's ",
                          n.outputs.size());
    }
  }
  return "";
}

absl::Status VerifyNode(const Graph& g, size_t i, Scope& s,
                        const absl::flat_hash_map<std::string, size_t>& producer_index) {
  const Node& n = *g.nodes[i];
  const std::string who = absl::StrCat("node ", NodeWithOp(n, i));
  if (n.op_type.empty()) return Fail(g, absl::StrCat(who, " has no op type"));
  for (const std::string& in : n.inputs) {
    if (in.empty() || s.visible.count(in)) continue;
    auto p = producer_index.find(in);
    if (p != producer_index.end()) {
      return Fail(g, absl::StrCat(who, " reads '", in, "' before node ",
                                  NodeWithOp(*g.nodes[p->second], p->second),
                                  " produces it (not in topological order)"));
    }
    return Fail(g, absl::StrCat(who, " reads undefined value '", in, "'"));
  }
  absl::flat_hash_set<std::string> attr_names;
  for (const Attribute& a : n.attributes) {
    if (a.name.empty()) return Fail(g, absl::StrCat(who, " has an attribute without a name"));
    if (!attr_names.insert(a.name).second) {
      return Fail(g, absl::StrCat(who, " has attribute '", a.name, "' twice"));
    }
    if (a.kind == Attribute::Kind::kTensor) {
      std::string p = TensorProblem(a.t);
      if (!p.empty()) return Fail(g, absl::StrCat(who, ": tensor attribute '", a.name, "' ", p));
    }
    if (a.kind != Attribute::Kind::kGraph) continue;
    if (!a.g) return Fail(g, absl::StrCat(who, ": graph attribute '", a.name, "' is empty"));
    if (!s.subgraphs->insert(a.g.get()).second) {
      return Fail(g, absl::StrCat(who, ": subgraph '", a.name,
                                  "' is shared with another attribute (Graph::Clone copies)"));
    }
    Scope inner{s.visible, {}, s.subgraphs};
    absl::Status st = VerifyGraph(*a.g, inner);
    if (!st.ok()) {
      return absl::InternalError(absl::StrCat("graph '", g.name, "', in ", who, " attribute '",
                                              a.name, "': ", st.message()));
    }
  }
  if (IsOnnxDomainName(n.domain)) {
    std::string p = SubgraphProblem(n);
    if (p.empty()) p = ArityProblem(n);
    if (p.empty()) p = AttributeProblem(n, s);
    if (!p.empty()) return Fail(g, absl::StrCat(who, " ", p));
  }
  absl::flat_hash_set<std::string> mine;
  for (const std::string& out : n.outputs) {
    if (out.empty()) continue;
    if (!mine.insert(out).second) {
      return Fail(g, absl::StrCat(who, " writes '", out, "' twice"));
    }
    if (s.visible.count(out)) {
      return Fail(g, absl::StrCat(who, " redefines '", out,
                                  "' (a graph input, initializer, earlier node output or "
                                  "enclosing-scope value): each value has one producer"));
    }
  }
  for (const std::string& out : mine) s.visible.insert(out);
  return absl::OkStatus();
}

absl::Status VerifyGraph(const Graph& g, Scope& s) {
  for (const ValueInfo& v : g.inputs) {
    if (v.name.empty()) return Fail(g, "a graph input has no name");
    if (v.type.shape) s.rank[v.name] = static_cast<int>(v.type.shape->size());
  }
  for (const auto& [name, t] : g.value_types) {
    if (t.shape) s.rank[name] = static_cast<int>(t.shape->size());
  }
  absl::flat_hash_set<std::string> inputs;
  for (const ValueInfo& v : g.inputs) {
    if (!inputs.insert(v.name).second) {
      return Fail(g, absl::StrCat("graph input '", v.name, "' is listed twice"));
    }
    s.visible.insert(v.name);
  }
  for (const auto& [name, t] : g.initializers) {
    if (name.empty()) return Fail(g, "an initializer has no name");
    std::string p = TensorProblem(t);
    if (!p.empty()) return Fail(g, absl::StrCat("initializer '", name, "' ", p));
    s.rank[name] = t.rank();
    s.visible.insert(name);  // may also be a graph input: the default value
  }
  absl::flat_hash_map<std::string, size_t> producer_index;
  absl::flat_hash_map<std::string, size_t> node_names;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!g.nodes[i]) return Fail(g, absl::StrCat("node #", i, " is null"));
    const Node& n = *g.nodes[i];
    for (const std::string& o : n.outputs) {
      if (!o.empty()) producer_index.emplace(o, i);
    }
    if (n.name.empty()) continue;
    auto [it, fresh] = node_names.emplace(n.name, i);
    if (!fresh) {
      return Fail(g, absl::StrCat("node #", it->second, " and #", i, " are both named '", n.name,
                                  "'"));
    }
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    absl::Status st = VerifyNode(g, i, s, producer_index);
    if (!st.ok()) return st;
  }
  for (const ValueInfo& v : g.outputs) {
    if (v.name.empty()) return Fail(g, "a graph output has no name");
    if (!s.visible.count(v.name)) {
      return Fail(g, absl::StrCat("graph output '", v.name, "' is not produced"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Verify(const Graph& graph) {
  absl::flat_hash_set<const Graph*> subgraphs;
  Scope scope{{}, {}, &subgraphs};
  return VerifyGraph(graph, scope);
}

}  // namespace onnxsmith::ir

// fuse_layer_normalization (see norm_fusion.h; fuse_gelu is in gelu_fusion.cc).
//
// Both matchers walk a fixed set of shapes rather than doing algebra: each
// shape is one that a real producer emits (TF/Keras 3 graphs, our Keras
// converter's decomposition, PyTorch's exporter). A match is only rewritten
// when every intermediate value is read by the pattern alone, so nothing
// outside loses a value it needs.
#include "optimizer/norm_fusion.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"
#include "optimizer/pattern_util.h"

namespace onnxsmith::optimizer {

namespace {

using namespace pattern;  // NOLINT: the shared matching helpers

// ---- LayerNormalization -------------------------------------------------------

struct LayerNormMatch {
  std::string x, gamma, beta, y;
  int64_t axis = 0;
  float epsilon = 0;
  std::vector<int64_t> norm_dims;  // x's dims from `axis` on
  std::vector<ir::Node*> nodes;
};

// Sorted, non-negative reduction axes of a ReduceMean with keepdims=1.
std::optional<std::vector<int64_t>> MeanAxes(const GraphEditor& ed, const ir::Node& n, int rank) {
  if (n.op_type != "ReduceMean" || !IsOnnxDomain(n) || n.outputs.size() != 1) return std::nullopt;
  if (n.GetInt("keepdims", 1) != 1) return std::nullopt;
  auto axes = AxesOf(ed, n, "axes", 1);
  if (!axes) return std::nullopt;
  std::vector<int64_t> a = axes->values;
  if (a.empty()) {
    if (n.GetInt("noop_with_empty_axes", 0)) return std::nullopt;
    for (int i = 0; i < rank; ++i) a.push_back(i);
  }
  for (int64_t& v : a) {
    if (v < -rank || v >= rank) return std::nullopt;
    if (v < 0) v += rank;
  }
  std::sort(a.begin(), a.end());
  return a;
}

// `c` is a constant of x's type that broadcasts over the normalized (last
// `k`) axes only.
bool AffineConstOk(GraphEditor& ed, const std::string& c, const LayerNormMatch& m, int rank) {
  if (c.empty() || !ed.IsConstantExpr(c) || ed.DataTypeOf(c) != ed.DataTypeOf(m.x)) return false;
  auto dims = ConstantDims(ed, c);
  if (!dims || static_cast<int>(dims->size()) > rank) return false;
  const int lead = rank - static_cast<int>(m.norm_dims.size());
  std::vector<int64_t> padded(rank - dims->size(), 1);
  padded.insert(padded.end(), dims->begin(), dims->end());
  for (int i = 0; i < rank; ++i) {
    if (i < lead ? padded[i] != 1 : (padded[i] != 1 && padded[i] != m.norm_dims[i - lead])) {
      return false;
    }
  }
  return true;
}

std::optional<LayerNormMatch> MatchLayerNorm(GraphEditor& ed, const ir::Node& mean_node) {
  if (ed.opset() < 17 || mean_node.inputs.empty()) return std::nullopt;
  LayerNormMatch m;
  m.x = mean_node.inputs[0];
  if (m.x.empty() || !IsNormFloat(ed.DataTypeOf(m.x))) return std::nullopt;
  auto xdims = ed.DimsOf(m.x);
  if (!xdims || xdims->empty()) return std::nullopt;
  const int rank = static_cast<int>(xdims->size());
  auto axes = MeanAxes(ed, mean_node, rank);
  if (!axes) return std::nullopt;
  // The reduced axes must be the trailing ones, with known sizes.
  m.axis = rank - static_cast<int64_t>(axes->size());
  for (size_t i = 0; i < axes->size(); ++i) {
    if ((*axes)[i] != m.axis + static_cast<int64_t>(i)) return std::nullopt;
    const int64_t d = (*xdims)[m.axis + i];
    if (d < 0) return std::nullopt;
    m.norm_dims.push_back(d);
  }
  const std::string mean = mean_node.outputs[0];
  m.nodes.push_back(const_cast<ir::Node*>(&mean_node));

  // d = x - mean; var = mean(d * d) or mean(d ^ 2).
  ir::Node* sub = nullptr;
  for (ir::Node* c : ed.Consumers(mean)) {
    if (c->op_type == "Sub" && IsOnnxDomain(*c) && c->inputs.size() == 2 &&
        c->inputs[0] == m.x && c->inputs[1] == mean && c->outputs.size() == 1) {
      sub = c;
    }
  }
  if (!sub) return std::nullopt;
  const std::string d = sub->outputs[0];
  ir::Node* sq = ConsumerOp(ed, d, "Mul", d);
  if (!sq) {
    sq = ConsumerOp(ed, d, "Pow");
    if (!sq || sq->inputs[0] != d) return std::nullopt;
    auto e = ScalarConst(ed, sq->inputs[1]);
    if (!e || *e != 2.0) return std::nullopt;
  }
  ir::Node* var = nullptr;
  for (ir::Node* c : ed.Consumers(sq->outputs[0])) {
    auto vaxes = MeanAxes(ed, *c, rank);
    if (vaxes && *vaxes == *axes && c->inputs[0] == sq->outputs[0]) var = c;
  }
  if (!var) return std::nullopt;
  // s = sqrt(var + eps)
  ir::Node* add_eps = ConsumerOp(ed, var->outputs[0], "Add");
  if (!add_eps) return std::nullopt;
  const std::string eps_value = OtherOperand(*add_eps, var->outputs[0]);
  auto eps = ScalarConst(ed, eps_value);
  if (!eps || *eps < 0 || ed.Constant(eps_value)->rank() > rank) return std::nullopt;
  m.epsilon = static_cast<float>(*eps);
  ir::Node* sqrt = nullptr;
  for (ir::Node* c : ed.Consumers(add_eps->outputs[0])) {
    if (c->op_type == "Sqrt" && IsOnnxDomain(*c) && c->outputs.size() == 1) sqrt = c;
  }
  if (!sqrt) return std::nullopt;
  m.nodes.insert(m.nodes.end(), {sub, sq, var, add_eps, sqrt});
  const std::string s = sqrt->outputs[0];

  // The normalized value, or (folded form) the normalized value times gamma.
  std::string core;
  bool gamma_applied = false;
  if (ir::Node* div = ConsumerOp(ed, s, "Div"); div && div->inputs[0] == d && div->inputs[1] == s) {
    m.nodes.push_back(div);
    core = div->outputs[0];
  } else {
    // inv = 1 / s
    ir::Node* inv_node = nullptr;
    for (ir::Node* c : ed.Consumers(s)) {
      if (!IsOnnxDomain(*c) || c->outputs.size() != 1) continue;
      if (c->op_type == "Reciprocal") inv_node = c;
      if (c->op_type == "Div" && c->inputs.size() == 2 && c->inputs[1] == s) {
        auto one = ScalarConst(ed, c->inputs[0]);
        if (one && *one == 1.0) inv_node = c;
      }
    }
    if (!inv_node) return std::nullopt;
    m.nodes.push_back(inv_node);
    const std::string inv = inv_node->outputs[0];
    if (ir::Node* mul = ConsumerOp(ed, inv, "Mul", d)) {
      m.nodes.push_back(mul);
      core = mul->outputs[0];
    } else {
      // Folded: g = inv [* gamma]; y = x * g + (beta - mean * g).
      std::string g = inv;
      const auto& readers = ed.Consumers(inv);
      if (readers.size() == 1 && readers[0]->op_type == "Mul" && IsOnnxDomain(*readers[0])) {
        const std::string other = OtherOperand(*readers[0], inv);
        if (!other.empty() && other != m.x && ed.IsConstantExpr(other)) {
          m.gamma = other;
          gamma_applied = true;
          m.nodes.push_back(readers[0]);
          g = readers[0]->outputs[0];
        }
      }
      ir::Node* xg = ConsumerOp(ed, g, "Mul", m.x);
      if (!xg) return std::nullopt;
      m.nodes.push_back(xg);
      const std::string a = xg->outputs[0];
      ir::Node* neg = nullptr;
      for (ir::Node* c : ed.Consumers(mean)) {
        if (c->op_type == "Neg" && IsOnnxDomain(*c) && c->outputs.size() == 1) neg = c;
      }
      if (ir::Node* nb = neg ? ConsumerOp(ed, g, "Mul", neg->outputs[0]) : nullptr) {
        // b = -mean * g; y = a + b [+ beta] or a + (b + beta).
        m.nodes.insert(m.nodes.end(), {neg, nb});
        const std::string b = nb->outputs[0];
        if (ir::Node* sum = ConsumerOp(ed, b, "Add", a)) {
          m.nodes.push_back(sum);
          core = sum->outputs[0];
        } else {
          ir::Node* bb = ConsumerOp(ed, b, "Add");
          if (!bb) return std::nullopt;
          m.beta = OtherOperand(*bb, b);
          ir::Node* total = ConsumerOp(ed, bb->outputs[0], "Add", a);
          if (!total) return std::nullopt;
          m.nodes.insert(m.nodes.end(), {bb, total});
          core = total->outputs[0];
        }
      } else if (ir::Node* mb = ConsumerOp(ed, g, "Mul", mean)) {
        // b = mean * g; y = a - b or a + (beta - b).
        m.nodes.push_back(mb);
        const std::string b = mb->outputs[0];
        ir::Node* diff = nullptr;
        for (ir::Node* c : ed.Consumers(b)) {
          if (c->op_type == "Sub" && IsOnnxDomain(*c) && c->inputs.size() == 2 &&
              c->inputs[1] == b && c->outputs.size() == 1) {
            diff = c;
          }
        }
        if (!diff) return std::nullopt;
        m.nodes.push_back(diff);
        if (diff->inputs[0] == a) {
          core = diff->outputs[0];
        } else {
          m.beta = diff->inputs[0];
          ir::Node* sum = ConsumerOp(ed, diff->outputs[0], "Add", a);
          if (!sum) return std::nullopt;
          m.nodes.push_back(sum);
          core = sum->outputs[0];
        }
      } else {
        return std::nullopt;
      }
    }
  }
  // Tail: [* gamma] [+ beta], each only when it is the value's sole reader.
  auto sole_reader = [&](const std::string& v, const std::string& op) -> ir::Node* {
    const auto& readers = ed.Consumers(v);
    if (readers.size() != 1 || ed.NumUses(v) != 1) return nullptr;
    ir::Node* r = readers[0];
    if (r->op_type != op || !IsOnnxDomain(*r) || r->outputs.size() != 1) return nullptr;
    const std::string other = OtherOperand(*r, v);
    if (other.empty() || other == v || !ed.IsConstantExpr(other)) return nullptr;
    return r;
  };
  if (!gamma_applied && m.beta.empty()) {
    if (ir::Node* mul = sole_reader(core, "Mul")) {
      m.gamma = OtherOperand(*mul, core);
      m.nodes.push_back(mul);
      core = mul->outputs[0];
    }
  }
  if (m.beta.empty()) {
    if (ir::Node* add = sole_reader(core, "Add")) {
      m.beta = OtherOperand(*add, core);
      m.nodes.push_back(add);
      core = add->outputs[0];
    }
  }
  m.y = core;
  if (!m.gamma.empty() && !AffineConstOk(ed, m.gamma, m, rank)) return std::nullopt;
  if (!m.beta.empty() && !AffineConstOk(ed, m.beta, m, rank)) return std::nullopt;
  if (!SelfContained(ed, m.nodes, m.y)) return std::nullopt;
  // The fused node must not change the result's shape: x's, unless gamma
  // or beta already widened it (they cannot: AffineConstOk).
  return m;
}

// `c` (broadcastable to `dims`) as a constant of exactly `dims`.
std::string ExpandConstant(GraphEditor& ed, const std::string& c, const std::vector<int64_t>& dims,
                           const std::string& base) {
  auto cdims = ConstantDims(ed, c);
  if (!cdims) return "";
  int64_t want = 1, have = 1;
  for (int64_t v : dims) want *= v;
  for (int64_t v : *cdims) have *= v;
  if (want == have) return ReshapedConstant(ed, c, dims, base);
  // Right-aligned dims of c over `dims` (leading 1s beyond them dropped).
  std::vector<int64_t> padded(dims.size(), 1);
  for (size_t i = 0; i < std::min(cdims->size(), dims.size()); ++i) {
    padded[dims.size() - 1 - i] = (*cdims)[cdims->size() - 1 - i];
  }
  if (const ir::Tensor* t = ed.Constant(c); t && t->dtype() != ir::DataType::kString) {
    auto src = t->ToDoubles();
    if (!src.ok()) return "";
    std::vector<double> out(static_cast<size_t>(want));
    std::vector<int64_t> idx(dims.size(), 0);
    for (int64_t k = 0; k < want; ++k) {
      int64_t off = 0;
      for (size_t i = 0; i < dims.size(); ++i) off = off * padded[i] + (padded[i] == 1 ? 0 : idx[i]);
      out[k] = (*src)[off];
      for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
        if (++idx[i] < dims[i]) break;
        idx[i] = 0;
      }
    }
    auto tensor = ir::Tensor::FromVector<double>(dims, out).CastTo(t->dtype());
    if (!tensor.ok()) return "";
    return ed.AddInitializer(base, *std::move(tensor));
  }
  // A constant expression: Expand on the constant path, for folding.
  const std::string r = ReshapedConstant(ed, c, padded, absl::StrCat(base, "_r"));
  if (r.empty()) return "";
  ir::Node n;
  n.name = ed.NewNodeName(absl::StrCat(base, "_expand"));
  n.op_type = "Expand";
  n.inputs = {r, ed.AddInitializer(absl::StrCat(base, "_shape"), ir::Tensor::Vector1D<int64_t>(dims))};
  const std::string out = ed.NewValueName(base);
  n.outputs = {out};
  ed.AddNode(std::move(n));
  ed.SetType(out, ir::MakeType(ed.DataTypeOf(c), dims));
  return out;
}

absl::StatusOr<bool> FuseLayerNorm(GraphEditor& ed, ir::Node& anchor) {
  const LayerNormMatch m = *MatchLayerNorm(ed, anchor);
  const ir::DataType dtype = ed.DataTypeOf(m.x);
  const std::string base = absl::StrCat(anchor.name, "_ln");
  std::string scale;
  if (m.gamma.empty()) {
    int64_t n = 1;
    for (int64_t v : m.norm_dims) n *= v;
    auto ones = ir::Tensor::FromVector<float>(m.norm_dims, std::vector<float>(n, 1.0f)).CastTo(dtype);
    if (!ones.ok()) return false;
    scale = ed.AddInitializer(absl::StrCat(base, "_scale"), *std::move(ones));
  } else {
    scale = ExpandConstant(ed, m.gamma, m.norm_dims, absl::StrCat(base, "_scale"));
  }
  std::string bias;
  if (!m.beta.empty()) bias = ExpandConstant(ed, m.beta, m.norm_dims, absl::StrCat(base, "_bias"));
  if (scale.empty() || (!m.beta.empty() && bias.empty())) return false;
  for (ir::Node* n : m.nodes) ed.RemoveNode(n);
  ir::Node ln;
  ln.name = ed.NewNodeName(base);
  ln.op_type = "LayerNormalization";
  ln.inputs = {m.x, scale};
  if (!bias.empty()) ln.inputs.push_back(bias);
  ln.outputs = {m.y};
  ln.attributes = {ir::Attribute::Int("axis", m.axis), ir::Attribute::Float("epsilon", m.epsilon)};
  ed.AddNode(std::move(ln));
  return true;
}

}  // namespace

std::vector<RewriteRule> LayerNormFusionRules() {
  RewriteRule r;
  r.name = "fuse_layer_normalization";
  r.op_types = {"ReduceMean"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return MatchLayerNorm(ed, n).has_value();
  };
  r.action = FuseLayerNorm;
  return {r};
}

std::unique_ptr<Pass> CreateLayerNormFusionPass() {
  return std::make_unique<RewritePass>("fuse_layer_normalization", LayerNormFusionRules());
}

}  // namespace onnxsmith::optimizer

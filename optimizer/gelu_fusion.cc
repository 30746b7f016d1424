// fuse_gelu (declared in norm_fusion.h): see MatchGelu for the shapes.
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "optimizer/norm_fusion.h"
#include "optimizer/pattern_util.h"

namespace onnxsmith::optimizer {

namespace {

using namespace pattern;  // NOLINT: the shared matching helpers

struct GeluMatch {
  std::string x, y;
  bool tanh = false;
  std::vector<ir::Node*> nodes;
};

// Flattens a product (Mul, and Div by a scalar constant) into its
// non-constant factors and the product of its scalar constants. Inner
// products are entered only when the pattern is their sole reader.
void FlattenProduct(const GraphEditor& ed, const std::string& v, bool root,
                    std::vector<std::string>& factors, double& k, std::vector<ir::Node*>& nodes) {
  ir::Node* p = ed.Producer(v);
  const bool enter = p && IsOnnxDomain(*p) && p->inputs.size() == 2 && p->outputs.size() == 1 &&
                     (root || (ed.NumUses(v) == 1 && !ed.IsGraphOutput(v)));
  if (enter && p->op_type == "Mul") {
    nodes.push_back(p);
    FlattenProduct(ed, p->inputs[0], false, factors, k, nodes);
    FlattenProduct(ed, p->inputs[1], false, factors, k, nodes);
    return;
  }
  if (enter && p->op_type == "Div") {
    if (auto d = ScalarConst(ed, p->inputs[1]); d && *d != 0) {
      nodes.push_back(p);
      k /= *d;
      FlattenProduct(ed, p->inputs[0], false, factors, k, nodes);
      return;
    }
  }
  if (auto c = ScalarConst(ed, v)) {
    k *= *c;
    return;
  }
  factors.push_back(v);
}

// v == coef * x for Mul/Div by a scalar constant, of x or of Neg(x).
bool LinearInX(const GraphEditor& ed, const std::string& v, const std::string& x, double& coef,
               std::vector<ir::Node*>& nodes) {
  ir::Node* p = ed.Producer(v);
  if (!p || !IsOnnxDomain(*p) || p->inputs.size() != 2 || p->outputs.size() != 1) return false;
  std::string base;
  if (p->op_type == "Mul") {
    for (int s = 0; s < 2 && base.empty(); ++s) {
      if (auto c = ScalarConst(ed, p->inputs[s])) {
        coef = *c;
        base = p->inputs[1 - s];
      }
    }
  } else if (p->op_type == "Div") {
    auto c = ScalarConst(ed, p->inputs[1]);
    if (!c || *c == 0) return false;
    coef = 1.0 / *c;
    base = p->inputs[0];
  }
  if (base.empty()) return false;
  nodes.push_back(p);
  if (base == x) return true;
  ir::Node* neg = ProducerOp(ed, base, "Neg");
  if (!neg || neg->inputs[0] != x) return false;
  nodes.push_back(neg);
  coef = -coef;
  return true;
}

// v == x^3: Pow(x, 3), Mul(Mul(x, x), x) or Mul(x, Mul(x, x)).
bool CubeOfX(const GraphEditor& ed, const std::string& v, const std::string& x,
             std::vector<ir::Node*>& nodes) {
  if (ir::Node* pw = ProducerOp(ed, v, "Pow")) {
    auto e = ScalarConst(ed, pw->inputs[1]);
    if (pw->inputs[0] != x || !e || *e != 3.0) return false;
    nodes.push_back(pw);
    return true;
  }
  ir::Node* m = ProducerOp(ed, v, "Mul");
  if (!m) return false;
  const std::string sq = OtherOperand(*m, x);
  ir::Node* m2 = sq.empty() ? nullptr : ProducerOp(ed, sq, "Mul");
  if (!m2 || m2->inputs[0] != x || m2->inputs[1] != x) return false;
  nodes.insert(nodes.end(), {m, m2});
  return true;
}

std::optional<GeluMatch> MatchGelu(GraphEditor& ed, const ir::Node& anchor) {
  if (ed.opset() < 20 || anchor.outputs.size() != 1) return std::nullopt;
  GeluMatch m;
  m.y = anchor.outputs[0];
  std::vector<std::string> factors;
  double k = 1.0;
  FlattenProduct(ed, m.y, true, factors, k, m.nodes);
  if (factors.size() != 2) return std::nullopt;
  for (int f = 0; f < 2; ++f) {
    const std::string& t = factors[f];
    m.x = factors[1 - f];
    const ir::DataType dtype = ed.DataTypeOf(m.x);
    const ir::DataType ytype = ed.DataTypeOf(m.y);
    if (!IsNormFloat(dtype) || (ytype != ir::DataType::kUndefined && ytype != dtype)) continue;
    const double tol = ConstTolerance(dtype);
    if (!Near(k, 0.5, tol)) return std::nullopt;
    // t = 1 + u (sign +1) or 1 - u (sign -1), u = erf(...) or tanh(...).
    ir::Node* op = ed.Producer(t);
    if (!op || !IsOnnxDomain(*op) || op->inputs.size() != 2 || op->outputs.size() != 1) continue;
    std::string u;
    double sign = 1;
    if (op->op_type == "Add") {
      for (int s = 0; s < 2 && u.empty(); ++s) {
        auto one = ScalarConst(ed, op->inputs[s]);
        if (one && *one == 1.0) u = op->inputs[1 - s];
      }
    } else if (op->op_type == "Sub") {
      auto one = ScalarConst(ed, op->inputs[0]);
      if (one && *one == 1.0) u = op->inputs[1];
      sign = -1;
    }
    if (u.empty()) continue;
    std::vector<ir::Node*> nodes = m.nodes;
    nodes.push_back(op);
    if (ir::Node* erf = ProducerOp(ed, u, "Erf")) {
      nodes.push_back(erf);
      double coef = 0;
      if (!LinearInX(ed, erf->inputs[0], m.x, coef, nodes)) continue;
      if (!Near(sign * coef, M_SQRT1_2, tol)) continue;
      m.tanh = false;
    } else if (ir::Node* th = ProducerOp(ed, u, "Tanh"); th && sign > 0) {
      // tanh(k1 * (x + k2 * x^3))
      nodes.push_back(th);
      ir::Node* outer = ProducerOp(ed, th->inputs[0], "Mul");
      if (!outer) continue;
      nodes.push_back(outer);
      std::string poly;
      for (int s = 0; s < 2 && poly.empty(); ++s) {
        auto k1 = ScalarConst(ed, outer->inputs[s]);
        if (k1 && Near(*k1, std::sqrt(2.0 / M_PI), tol)) poly = outer->inputs[1 - s];
      }
      ir::Node* add = poly.empty() ? nullptr : ProducerOp(ed, poly, "Add");
      if (!add) continue;
      nodes.push_back(add);
      const std::string cubic = OtherOperand(*add, m.x);
      ir::Node* scaled = cubic.empty() ? nullptr : ProducerOp(ed, cubic, "Mul");
      if (!scaled) continue;
      nodes.push_back(scaled);
      bool ok = false;
      for (int s = 0; s < 2 && !ok; ++s) {
        auto k2 = ScalarConst(ed, scaled->inputs[s]);
        ok = k2 && Near(*k2, 0.044715, tol) && CubeOfX(ed, scaled->inputs[1 - s], m.x, nodes);
      }
      if (!ok) continue;
      m.tanh = true;
    } else {
      continue;
    }
    if (!SelfContained(ed, nodes, m.y)) continue;
    m.nodes = std::move(nodes);
    return m;
  }
  return std::nullopt;
}

absl::StatusOr<bool> FuseGelu(GraphEditor& ed, ir::Node& anchor) {
  const GeluMatch m = *MatchGelu(ed, anchor);
  const std::string base = absl::StrCat(anchor.name, "_gelu");
  for (ir::Node* n : m.nodes) ed.RemoveNode(n);
  ir::Node g;
  g.name = ed.NewNodeName(base);
  g.op_type = "Gelu";
  g.inputs = {m.x};
  g.outputs = {m.y};
  g.attributes = {ir::Attribute::String("approximate", m.tanh ? "tanh" : "none")};
  ed.AddNode(std::move(g));
  return true;
}

}  // namespace

std::vector<RewriteRule> GeluFusionRules() {
  RewriteRule r;
  r.name = "fuse_gelu";
  r.op_types = {"Mul", "Div"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return MatchGelu(ed, n).has_value(); };
  r.action = FuseGelu;
  return {r};
}

std::unique_ptr<Pass> CreateGeluFusionPass() {
  return std::make_unique<RewritePass>("fuse_gelu", GeluFusionRules());
}

}  // namespace onnxsmith::optimizer

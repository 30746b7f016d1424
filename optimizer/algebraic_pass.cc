// simplify_algebra: arithmetic that returns its input unchanged, bypassed.
//
// x*1, 1*x, x/1, x+0, 0+x, x-0, x^1 and Neg(Neg(x)). Each is exact in IEEE
// arithmetic except x+0 for x = -0.0 (gives +0.0), which no runtime result
// depends on in practice and which every graph optimizer treats as x.
// x*0 is NOT 0 (NaN and Inf give NaN) and is left alone; so are 1/x and 0-x.
//
// The constant must not change the output's shape or type: it may broadcast
// only into dims x already has (a scalar, or each dim 1 or equal to x's known
// dim, of rank <= x's). Typical sources: silu's beta (EfficientNet's
// x*sigmoid(1.0*x)), Keras Normalization with mean 0 / variance 1, zero
// biases.
#include <string>
#include <vector>

#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

// Whether every element of the constant `value` equals `target`.
bool IsConstantAll(GraphEditor& ed, const std::string& value, double target) {
  const ir::Tensor* t = ed.Constant(value);
  if (t == nullptr || t->num_elements() == 0) return false;
  auto v = t->ToDoubles();
  if (!v.ok()) return false;
  for (double d : *v) {
    if (d != target) return false;
  }
  return true;
}

// Whether broadcasting `x` with the constant `c` yields x's shape and type.
bool BroadcastKeepsShape(GraphEditor& ed, const std::string& x, const std::string& c,
                         bool same_type) {
  const ir::Tensor* t = ed.Constant(c);
  if (t == nullptr) return false;
  ir::DataType x_type = ed.DataTypeOf(x);
  if (x_type == ir::DataType::kUndefined || (same_type && x_type != t->dtype())) return false;
  const std::vector<int64_t>& c_dims = t->dims();
  if (c_dims.empty()) return true;  // a scalar never widens
  auto x_dims = ed.DimsOf(x);
  if (!x_dims || c_dims.size() > x_dims->size()) return false;
  const size_t offset = x_dims->size() - c_dims.size();
  for (size_t i = 0; i < c_dims.size(); ++i) {
    if (c_dims[i] != 1 && c_dims[i] != (*x_dims)[offset + i]) return false;
  }
  return true;
}

// A binary op with an all-`identity` constant operand returns its other operand.
struct BinaryIdentity {
  const char* op;
  double identity;
  bool either_side;  // commutative: the constant may be on the left
};

constexpr BinaryIdentity kBinaryIdentities[] = {
    {"Mul", 1.0, true}, {"Div", 1.0, false}, {"Add", 0.0, true},
    {"Sub", 0.0, false}, {"Pow", 1.0, false},
};

// The data operand of a binary no-op, or -1.
int BinaryNoOpData(GraphEditor& ed, const ir::Node& n) {
  if (n.inputs.size() != 2 || n.outputs.size() != 1 || !IsOnnxDomain(n)) return -1;
  for (const BinaryIdentity& b : kBinaryIdentities) {
    if (n.op_type != b.op) continue;
    for (int c_slot : {1, 0}) {
      if (c_slot == 0 && !b.either_side) continue;
      const std::string& c = n.inputs[c_slot];
      const std::string& x = n.inputs[1 - c_slot];
      if (x.empty() || c.empty()) continue;
      if (!IsConstantAll(ed, c, b.identity)) continue;
      // Pow's exponent may have another type than the base; x^1 == x anyway.
      if (!BroadcastKeepsShape(ed, x, c, /*same_type=*/n.op_type != "Pow")) continue;
      if (ed.CanBypass(&n, x, n.outputs[0])) return 1 - c_slot;
    }
  }
  return -1;
}

RewriteRule BinaryIdentityRule() {
  RewriteRule r;
  r.name = "binary_identity";
  r.op_types = {"Mul", "Div", "Add", "Sub", "Pow"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return BinaryNoOpData(ed, n) >= 0; };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    int data = BinaryNoOpData(ed, n);
    if (data < 0) return false;
    return ed.Bypass(&n, n.inputs[data], n.outputs[0]);
  };
  return r;
}

// Neg(Neg(x)) -> x: the outer Neg is bypassed to the inner one's input (the
// inner one goes with dead code when nothing else reads it).
const ir::Node* InnerNeg(GraphEditor& ed, const ir::Node& n) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1 || !IsOnnxDomain(n)) return nullptr;
  const ir::Node* inner = ed.Producer(n.inputs[0]);
  if (inner == nullptr || inner->op_type != "Neg" || !IsOnnxDomain(*inner) ||
      inner->inputs.size() != 1 || inner->inputs[0].empty()) {
    return nullptr;
  }
  return ed.CanBypass(&n, inner->inputs[0], n.outputs[0]) ? inner : nullptr;
}

RewriteRule DoubleNegationRule() {
  RewriteRule r;
  r.name = "double_negation";
  r.op_types = {"Neg"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return InnerNeg(ed, n) != nullptr; };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const ir::Node* inner = InnerNeg(ed, n);
    if (inner == nullptr) return false;
    std::string x = inner->inputs[0];
    return ed.Bypass(&n, x, n.outputs[0]);
  };
  return r;
}

}  // namespace

std::vector<RewriteRule> AlgebraicSimplificationRules() {
  return {BinaryIdentityRule(), DoubleNegationRule()};
}

std::unique_ptr<Pass> CreateAlgebraicSimplificationPass() {
  return std::make_unique<RewritePass>("simplify_algebra", AlgebraicSimplificationRules());
}

}  // namespace onnxsmith::optimizer

// eliminate_dead_code and eliminate_identity.
#include <algorithm>
#include <functional>

#include "absl/container/flat_hash_set.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

class DeadCodeEliminationPass : public Pass {
 public:
  std::string name() const override { return "eliminate_dead_code"; }

  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    const int64_t removed = graph.RemoveDeadNodes();
    CountChanges(removed);
    return removed > 0;
  }
};

// The data input of a node that is a no-op, or "" when it is not one.
using NoOpTest = std::function<bool(GraphEditor&, const ir::Node&)>;

RewriteRule NoOpRule(std::string name, std::vector<std::string> ops, NoOpTest is_noop) {
  RewriteRule r;
  r.name = std::move(name);
  r.op_types = std::move(ops);
  r.condition = [is_noop](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.empty() || n.outputs.empty() || n.inputs[0].empty()) return false;
    // Extra outputs (Dropout's mask) must be unused.
    for (size_t i = 1; i < n.outputs.size(); ++i) {
      if (!n.outputs[i].empty() && ed.NumUses(n.outputs[i]) > 0) return false;
    }
    return is_noop(ed, n) && ed.CanBypass(&n, n.inputs[0], n.outputs[0]);
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    return ed.Bypass(&n, n.inputs[0], n.outputs[0]);
  };
  return r;
}

bool DropoutIsNoOp(GraphEditor& ed, const ir::Node& n) {
  // Opset < 7: is_test decides (0, the default, means training).
  const ir::Attribute* is_test = n.FindAttr("is_test");
  if (is_test && is_test->i == 0) return false;
  if (!is_test && ed.opset() > 0 && ed.opset() < 7) return false;
  // Opset >= 12: training_mode input, absent or a constant false.
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const ir::Tensor* t = ed.Constant(n.inputs[2]);
    if (!t) return false;
    auto v = t->ToInt64s();
    if (!v.ok() || v->size() != 1 || (*v)[0] != 0) return false;
  }
  return true;
}

bool CastIsNoOp(GraphEditor& ed, const ir::Node& n) {
  const ir::Attribute* to = n.FindAttr("to");
  if (!to || to->kind != ir::Attribute::Kind::kInt) return false;
  ir::DataType in = ed.DataTypeOf(n.inputs[0]);
  return in != ir::DataType::kUndefined && static_cast<int64_t>(in) == to->i;
}

bool ReshapeIsNoOp(GraphEditor& ed, const ir::Node& n) {
  if (n.inputs.size() < 2) return false;
  const ir::Tensor* shape_t = ed.Constant(n.inputs[1]);
  if (!shape_t) return false;
  auto shape = shape_t->ToInt64s();
  auto dims = ed.DimsOf(n.inputs[0]);
  if (!shape.ok() || !dims || shape->size() != dims->size()) return false;
  const bool allowzero = n.GetInt("allowzero", 0) != 0;
  int inferred = 0;
  for (size_t i = 0; i < dims->size(); ++i) {
    int64_t s = (*shape)[i];
    int64_t d = (*dims)[i];
    if (s == 0 && !allowzero) continue;  // copies the input dim
    if (s == -1) {
      ++inferred;
      continue;
    }
    if (d < 0 || s != d) return false;
  }
  // With every other dim equal, a single -1 can only be the input's dim.
  return inferred <= 1;
}

bool TransposeIsNoOp(GraphEditor& ed, const ir::Node& n) {
  auto perm = TransposePerm(ed, n);
  return perm && IsIdentityPerm(*perm);
}

}  // namespace

std::unique_ptr<Pass> CreateDeadCodeEliminationPass() {
  return std::make_unique<DeadCodeEliminationPass>();
}

std::vector<RewriteRule> IdentityEliminationRules() {
  std::vector<RewriteRule> rules;
  rules.push_back(
      NoOpRule("identity", {"Identity"}, [](GraphEditor&, const ir::Node&) { return true; }));
  rules.push_back(NoOpRule("inference_dropout", {"Dropout"}, DropoutIsNoOp));
  rules.push_back(NoOpRule("same_type_cast", {"Cast"}, CastIsNoOp));
  rules.push_back(NoOpRule("same_shape_reshape", {"Reshape"}, ReshapeIsNoOp));
  rules.push_back(NoOpRule("identity_transpose", {"Transpose"}, TransposeIsNoOp));
  return rules;
}

std::unique_ptr<Pass> CreateIdentityEliminationPass() {
  return std::make_unique<RewritePass>("eliminate_identity", IdentityEliminationRules());
}

}  // namespace onnxsmith::optimizer

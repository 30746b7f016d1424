// fuse_reshapes: chains of pure reshapes collapsed.
//
// Reshape, Flatten, Squeeze and Unsqueeze never move data, so a Reshape to a
// shape given in full (no 0 that would copy a dim of its intermediate input)
// can read the chain's original input directly. A Squeeze and an Unsqueeze
// over the same axes undo each other.
#include <algorithm>

#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

bool IsPureReshape(const ir::Node& n) {
  return IsOnnxDomain(n) && (n.op_type == "Reshape" || n.op_type == "Flatten" ||
                             n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

// Reshape(Reshape|Flatten|Squeeze|Unsqueeze(x), shape) -> Reshape(x, shape)
RewriteRule MergeReshapes() {
  RewriteRule r;
  r.name = "merge_reshapes";
  r.op_types = {"Reshape"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.size() < 2 || n.inputs[0].empty()) return false;
    const ir::Node* inner = ed.Producer(n.inputs[0]);
    if (!inner || !IsPureReshape(*inner) || inner->inputs.empty() || inner->inputs[0].empty()) {
      return false;
    }
    const ir::Tensor* shape_t = ed.Constant(n.inputs[1]);
    if (!shape_t) return false;
    auto shape = shape_t->ToInt64s();
    if (!shape.ok()) return false;
    // 0 copies a dim of the intermediate value (unless allowzero): ambiguous.
    if (n.GetInt("allowzero", 0) == 0 &&
        std::find(shape->begin(), shape->end(), 0) != shape->end()) {
      return false;
    }
    return true;
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* inner = ed.Producer(n.inputs[0]);
    ed.SetInput(&n, 0, inner->inputs[0]);
    ed.RemoveIfUnused(inner);
    return true;
  };
  return r;
}

// Axes of a Squeeze/Unsqueeze normalized against `rank`; nullopt when
// unknown (computed axes, or negative axes with an unknown rank).
std::optional<std::vector<int64_t>> NormalizedAxes(GraphEditor& ed, const ir::Node& n,
                                                   std::optional<int> rank) {
  auto axes = AxesOf(ed, n, "axes", 1);
  if (!axes || !axes->present || axes->values.empty()) return std::nullopt;
  std::vector<int64_t> out;
  for (int64_t a : axes->values) {
    if (a < 0) {
      if (!rank) return std::nullopt;
      a += *rank;
    }
    if (a < 0 || (rank && a >= *rank)) return std::nullopt;
    out.push_back(a);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) return std::nullopt;
  return out;
}

// Squeeze(Unsqueeze(x, a), a) -> x and Unsqueeze(Squeeze(x, a), a) -> x.
// Both sets of axes index the larger of the two ranks.
RewriteRule CancelSqueezePairs() {
  RewriteRule r;
  r.name = "cancel_squeeze_unsqueeze";
  r.op_types = {"Squeeze", "Unsqueeze"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.empty() || n.inputs[0].empty() || n.outputs.size() != 1) return false;
    const ir::Node* inner = ed.Producer(n.inputs[0]);
    const std::string want = n.op_type == "Squeeze" ? "Unsqueeze" : "Squeeze";
    if (!inner || inner->op_type != want || !IsOnnxDomain(*inner) || inner->inputs.empty() ||
        inner->inputs[0].empty()) {
      return false;
    }
    // The wide value: the Unsqueeze's output or the Squeeze's input.
    std::optional<int> wide_rank =
        n.op_type == "Squeeze" ? ed.RankOf(n.inputs[0]) : ed.RankOf(inner->inputs[0]);
    auto outer_axes = NormalizedAxes(ed, n, wide_rank);
    auto inner_axes = NormalizedAxes(ed, *inner, wide_rank);
    if (!outer_axes || !inner_axes || *outer_axes != *inner_axes) return false;
    return ed.CanBypass(&n, inner->inputs[0], n.outputs[0]);
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* inner = ed.Producer(n.inputs[0]);
    if (!ed.Bypass(&n, inner->inputs[0], n.outputs[0])) return false;
    ed.RemoveIfUnused(inner);
    return true;
  };
  return r;
}

}  // namespace

std::vector<RewriteRule> ReshapeFusionRules() {
  std::vector<RewriteRule> rules;
  rules.push_back(MergeReshapes());
  rules.push_back(CancelSqueezePairs());
  return rules;
}

std::unique_ptr<Pass> CreateReshapeFusionPass() {
  return std::make_unique<RewritePass>("fuse_reshapes", ReshapeFusionRules());
}

}  // namespace onnxsmith::optimizer

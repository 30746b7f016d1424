// fuse_reduce_keepdims: Reduce*(keepdims=0) followed by a Reshape or
// Unsqueeze that puts the reduced dims back as 1s becomes Reduce*(keepdims=1)
// (TF's squeeze-excite: Mean(keep_dims=False) then Reshape to [N,1,1,C]).
//
// ReduceMean over axes 2,3 is deliberately NOT turned into GlobalAveragePool:
// in ORT 1.23 (CPU, 1 thread) ReduceMean(keepdims=1) was 1.5-2.4x faster on
// EfficientNet's squeeze-excite shapes ([1,96,112,112]: 326 vs 770 us;
// [1,672,14,14]: 45 vs 94 us).
#include <algorithm>
#include <string>
#include <vector>

#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

bool IsReduce(const std::string& op) {
  static const char* kOps[] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
                               "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp",
                               "ReduceSumSquare", "ReduceLogSum"};
  return std::any_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op == o; });
}

// The reduced axes (normalized, sorted) of a Reduce* node whose input rank is
// `rank`, or empty when unknown or absent (absent means all axes or none).
std::vector<int64_t> ReducedAxes(const GraphEditor& ed, const ir::Node& n, int rank) {
  auto axes = AxesOf(ed, n, "axes", 1);
  if (!axes || !axes->present || axes->values.empty()) return {};
  std::vector<int64_t> out;
  for (int64_t a : axes->values) {
    if (a < -rank || a >= rank) return {};
    out.push_back(a < 0 ? a + rank : a);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// For a Reshape/Unsqueeze `n`: the Reduce*(keepdims=0) it restores the dims
// of, or nullptr.
ir::Node* RestoredReduce(GraphEditor& ed, const ir::Node& n) {
  if (!IsOnnxDomain(n) || n.inputs.empty() || n.outputs.size() != 1) return nullptr;
  ir::Node* r = ed.Producer(n.inputs[0]);
  if (r == nullptr || !IsOnnxDomain(*r) || !IsReduce(r->op_type) || r->outputs.size() != 1 ||
      r->GetInt("keepdims", 1) != 0 || !ed.OnlyUsedBy(r->outputs[0], &n) ||
      ed.IsGraphOutput(r->outputs[0])) {
    return nullptr;
  }
  auto in_dims = ed.DimsOf(r->inputs[0]);
  if (!in_dims) return nullptr;
  const int rank = static_cast<int>(in_dims->size());
  std::vector<int64_t> axes = ReducedAxes(ed, *r, rank);
  if (axes.empty()) return nullptr;
  if (n.op_type == "Unsqueeze") {
    // Exact whatever the dims: the same axes come back.
    std::vector<int64_t> un = ReducedAxes(ed, n, rank);
    return un == axes ? r : nullptr;
  }
  if (n.op_type != "Reshape") return nullptr;
  // A Reshape: its output must be the input's shape with the axes as 1, all static.
  std::vector<int64_t> expected = *in_dims;
  for (int64_t a : axes) expected[a] = 1;
  auto out_dims = ed.DimsOf(n.outputs[0]);
  if (!out_dims || *out_dims != expected) return nullptr;
  for (int64_t d : expected) {
    if (d < 0) return nullptr;
  }
  return r;
}

RewriteRule KeepDimsRule() {
  RewriteRule rule;
  rule.name = "reduce_keepdims";
  rule.op_types = {"Reshape", "Unsqueeze"};
  rule.condition = [](GraphEditor& ed, const ir::Node& n) {
    ir::Node* r = RestoredReduce(ed, n);
    return r != nullptr && ed.CanBypass(&n, r->outputs[0], n.outputs[0]);
  };
  rule.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* r = RestoredReduce(ed, n);
    if (r == nullptr) return false;
    const std::string reduced = r->outputs[0];
    if (!ed.CanBypass(&n, reduced, n.outputs[0])) return false;
    SetIntAttr(*r, "keepdims", 1);
    if (auto t = ed.TypeOf(n.outputs[0])) ed.SetType(reduced, *t);
    return ed.Bypass(&n, reduced, n.outputs[0]);
  };
  return rule;
}

}  // namespace

std::vector<RewriteRule> ReduceRules() { return {KeepDimsRule()}; }

std::unique_ptr<Pass> CreateReduceKeepDimsPass() {
  return std::make_unique<RewritePass>("fuse_reduce_keepdims", ReduceRules());
}

}  // namespace onnxsmith::optimizer

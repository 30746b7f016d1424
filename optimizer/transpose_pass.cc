// optimize_transposes: merge/cancel consecutive Transposes and push
// Transposes down through layout-agnostic ops until opposite ones meet.
//
// Converted TF graphs wrap every NHWC op as Transpose -> Op(NCHW) ->
// Transpose; pushing each trailing Transpose down through the elementwise
// ops between two such ops makes it meet the next leading Transpose, and the
// pair cancels. A Transpose is only pushed when the consumer is its sole
// user, so a push never adds a Transpose to the graph: it moves one (or one
// per transposed operand becomes one after the op). A Transpose with several
// readers is first split into private copies, but only when every reader
// can take one (split_shared_transpose).
//
// The per-op push-down rules are in transpose_rules.cc, the helpers they
// share with this file in transpose_util.h.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"
#include "optimizer/transpose_util.h"

namespace onnxsmith::optimizer {

namespace {

// ---- Transpose(Transpose(x)) -----------------------------------------------

RewriteRule MergeTransposes() {
  RewriteRule r;
  r.name = "merge_transposes";
  r.op_types = {"Transpose"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.empty() || n.outputs.size() != 1) return false;
    const ir::Node* t1 = ed.Producer(n.inputs[0]);
    if (!t1 || t1->op_type != "Transpose" || !IsOnnxDomain(*t1) || t1->inputs.empty()) {
      return false;
    }
    auto p1 = TransposePerm(ed, *t1);
    auto p2 = TransposePerm(ed, n);
    return p1 && p2 && p1->size() == p2->size();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* t1 = ed.Producer(n.inputs[0]);
    const std::vector<int64_t> p1 = *TransposePerm(ed, *t1);
    const std::vector<int64_t> p2 = *TransposePerm(ed, n);
    const std::string x = t1->inputs[0];
    const std::vector<int64_t> composed = PermuteDims(p1, p2);  // c[i] = p1[p2[i]]
    if (IsIdentityPerm(composed) && ed.CanBypass(&n, x, n.outputs[0])) {
      ed.Bypass(&n, x, n.outputs[0]);
    } else {
      ed.SetInput(&n, 0, x);
      SetIntsAttr(n, "perm", composed);
    }
    // The first Transpose may have had other readers; if not, it is dead.
    ed.RemoveIfUnused(t1);
    return true;
  };
  return r;
}

// ---- Transpose that only moves size-1 dims -----------------------------------
// Such a Transpose moves no data: it is a Reshape (free in runtimes, and it
// merges with neighbouring reshapes), e.g. Keras' squeeze-excite
// [N, C] -> Reshape [N, 1, 1, C] -> Transpose to [N, C, 1, 1].

// The Reshape target equal to Transpose(x, perm) when the transpose moves no
// data (the dims other than 1 keep their order), or nullopt.
std::optional<std::vector<int64_t>> TransposeAsReshapeTarget(const GraphEditor& ed,
                                                             const ir::Node& n) {
  if (n.inputs.empty() || n.outputs.size() != 1) return std::nullopt;
  if (ed.opset() > 0 && ed.opset() < 5) return std::nullopt;
  auto perm = TransposePerm(ed, n);
  auto dims = ed.DimsOf(n.inputs[0]);
  if (!perm || !dims || dims->size() != perm->size() || IsIdentityPerm(*perm)) {
    return std::nullopt;
  }
  int64_t last = -1;
  int unknown = 0;
  bool unknown_in_place = true;
  std::vector<int64_t> target(perm->size());
  for (size_t i = 0; i < perm->size(); ++i) {
    const int64_t src = (*perm)[i];
    const int64_t d = (*dims)[src];
    if (d == 0) return std::nullopt;  // empty tensors: -1 could not be inferred
    target[i] = d;
    if (d == 1) continue;
    if (src < last) return std::nullopt;  // data would move
    last = src;
    if (d < 0) {
      ++unknown;
      if (src != static_cast<int64_t>(i)) unknown_in_place = false;
    }
  }
  if (unknown == 0) return target;
  if (unknown == 1) {
    for (int64_t& d : target) d = d < 0 ? -1 : d;
    return target;
  }
  if (!unknown_in_place) return std::nullopt;
  for (int64_t& d : target) d = d < 0 ? 0 : d;  // 0 copies the dim in place
  return target;
}

RewriteRule TransposeAsReshape() {
  RewriteRule r;
  r.name = "transpose_moving_unit_dims_to_reshape";
  r.op_types = {"Transpose"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return TransposeAsReshapeTarget(ed, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const std::vector<int64_t> target = *TransposeAsReshapeTarget(ed, n);
    const std::string shape =
        ed.AddInitializer(absl::StrCat(n.name, "_shape"), ir::Tensor::Vector1D<int64_t>(target));
    n.op_type = "Reshape";
    n.attributes.clear();
    ed.AddInput(&n, shape);
    return true;
  };
  return r;
}

// ---- Transposes with several readers ---------------------------------------

// Whether `value` is computed from `source` (bounded breadth-first search
// up the producers; "no" when the bound is hit).
bool ComputedFrom(const GraphEditor& ed, const std::string& value, const std::string& source) {
  absl::flat_hash_set<std::string> seen{value};
  std::vector<std::string> frontier{value};
  for (size_t head = 0; head < frontier.size() && head < 1024; ++head) {
    const ir::Node* p = ed.Producer(frontier[head]);
    if (!p) continue;
    for (const auto& in : p->inputs) {
      if (in == source) return true;
      if (!in.empty() && seen.insert(in).second) frontier.push_back(in);
    }
  }
  return false;
}

// Whether `c`, reading Transpose output `t` (perm `perm`), is a node a
// private copy of the Transpose could be pushed through (or merged into),
// now or once the Transposes feeding its other operands have been pushed.
bool AbsorbsTranspose(GraphEditor& ed, const ir::Node& c, const std::string& t,
                      const std::vector<int64_t>& perm) {
  if (!IsOnnxDomain(c) || c.outputs.size() != 1) return false;
  const std::string& op = c.op_type;
  auto only_data_input = [&]() {
    for (size_t i = 1; i < c.inputs.size(); ++i) {
      if (c.inputs[i] == t) return false;
    }
    return !c.inputs.empty() && c.inputs[0] == t;
  };
  if (op == "Transpose") return true;
  if (IsUnaryElementwise(op) || op == "Pad" || op == "Slice" ||
      std::find(ReduceOpList().begin(), ReduceOpList().end(), op) != ReduceOpList().end() ||
      op == "ArgMax" || op == "ArgMin") {
    return only_data_input();
  }
  const bool concat = op == "Concat";
  if (!concat && (std::find(BroadcastOpList().begin(), BroadcastOpList().end(), op) ==
                      BroadcastOpList().end() ||
                  (ed.opset() > 0 && ed.opset() < 7))) {
    return false;
  }
  for (const auto& v : c.inputs) {
    if (v.empty()) {
      if (concat) return false;
      continue;
    }
    if (v == t) continue;
    if (const ir::Node* p = ed.Producer(v)) {
      if (p->op_type == "Transpose" && IsOnnxDomain(*p) && TransposePerm(ed, *p) == perm) continue;
    }
    if (!ConstantUsable(ed, v)) {
      // Computed from t itself: its Transpose may arrive once t's other
      // readers have been pushed through (x * sigmoid(x), x * SE(x)).
      if (ComputedFrom(ed, v, t)) continue;
      return false;
    }
    const size_t r = ConstantDims(ed, v)->size();
    if (concat ? r != perm.size() : r > perm.size()) return false;
  }
  return true;
}

// A Transpose read by several nodes, each of which can absorb it, gets one
// private copy per reader, so that each copy can be pushed on its own.
RewriteRule SplitSharedTranspose() {
  RewriteRule r;
  r.name = "split_shared_transpose";
  r.op_types = {"Transpose"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.empty() || n.outputs.size() != 1) return false;
    const std::string& t = n.outputs[0];
    if (ed.IsGraphOutput(t) || ed.HasImplicitUses(t)) return false;
    const auto& readers = ed.Consumers(t);
    absl::flat_hash_set<const ir::Node*> distinct(readers.begin(), readers.end());
    if (distinct.size() < 2) return false;
    auto perm = TransposePerm(ed, n);
    if (!perm) return false;
    for (const ir::Node* c : distinct) {
      if (!AbsorbsTranspose(ed, *c, t, *perm)) return false;
    }
    return true;
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const std::string t = n.outputs[0];
    std::vector<ir::Node*> readers;
    for (ir::Node* c : ed.Consumers(t)) {
      if (std::find(readers.begin(), readers.end(), c) == readers.end()) readers.push_back(c);
    }
    for (size_t k = 1; k < readers.size(); ++k) {
      ir::Node copy;
      copy.name = ed.NewNodeName(n.name);
      copy.op_type = "Transpose";
      copy.inputs = {n.inputs[0]};
      const std::string out = ed.NewValueName(t);
      copy.outputs = {out};
      copy.attributes = n.attributes;
      if (auto type = ed.TypeOf(t)) ed.SetType(out, *type);
      ed.AddNode(std::move(copy));
      for (size_t i = 0; i < readers[k]->inputs.size(); ++i) {
        if (readers[k]->inputs[i] == t) ed.SetInput(readers[k], i, out);
      }
    }
    return true;
  };
  return r;
}

}  // namespace

std::vector<RewriteRule> TransposeRules() {
  std::vector<RewriteRule> rules;
  rules.push_back(MergeTransposes());
  rules.push_back(PushThroughUnary());
  rules.push_back(PushThroughBroadcast());
  rules.push_back(PushThroughConcat());
  rules.push_back(PushThroughReduce());
  rules.push_back(PushThroughPad());
  rules.push_back(PushThroughSliceSplit());
  rules.push_back(SplitSharedTranspose());
  return rules;
}

std::unique_ptr<Pass> CreateTransposeOptimizationPass() {
  return std::make_unique<RewritePass>("optimize_transposes", TransposeRules());
}

std::unique_ptr<Pass> CreateTransposeToReshapePass() {
  // A separate pass, run after optimize_transposes: turned into a Reshape,
  // a Transpose can no longer cancel against one pushed down from above.
  return std::make_unique<RewritePass>("transpose_to_reshape",
                                       std::vector<RewriteRule>{TransposeAsReshape()});
}

}  // namespace onnxsmith::optimizer

// The per-op push-down rules of optimize_transposes: Op(Transpose(x)) ->
// Transpose(Op'(x)) through unary and broadcasting elementwise ops, Concat,
// reductions, Pad, Slice and Split. The pass and its other rules are in
// transpose_pass.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"
#include "optimizer/transpose_util.h"

namespace onnxsmith::optimizer {

// ---- Shared by the rules for ops with several operands ------------------------

namespace {

// The permutation of every exclusive Transpose feeding `n`; nullopt when
// there is none or they differ.
std::optional<std::vector<int64_t>> CommonTransposePerm(const GraphEditor& ed, const ir::Node& n) {
  std::optional<std::vector<int64_t>> perm;
  for (const auto& v : n.inputs) {
    if (const ir::Node* t = ExclusiveTranspose(ed, n, v)) {
      auto p = TransposePerm(ed, *t);
      if (perm && *perm != *p) return std::nullopt;
      perm = p;
    }
  }
  return perm;
}

// `n` reads the input of each exclusive Transpose feeding it and
// `untranspose(v)` for every other non-empty operand v, and the Transposes
// are removed. The constants are converted first: when one fails ("")
// nothing has changed and the result is false.
template <typename F>
bool RewireOperands(GraphEditor& ed, ir::Node& n, F&& untranspose) {
  std::vector<std::string> replacement(n.inputs.size());
  std::vector<ir::Node*> transposes;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const std::string& v = n.inputs[i];
    if (v.empty()) continue;
    if (ir::Node* t = const_cast<ir::Node*>(ExclusiveTranspose(ed, n, v))) {
      replacement[i] = t->inputs[0];
      if (std::find(transposes.begin(), transposes.end(), t) == transposes.end()) {
        transposes.push_back(t);
      }
      continue;
    }
    replacement[i] = untranspose(v);
    if (replacement[i].empty()) return false;
  }
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (!replacement[i].empty()) ed.SetInput(&n, i, replacement[i]);
  }
  for (ir::Node* t : transposes) ed.RemoveNode(t);
  return true;
}

}  // namespace

// ---- Unary elementwise -----------------------------------------------------

RewriteRule PushThroughUnary() {
  RewriteRule r;
  r.name = "push_transpose_through_unary";
  r.op_types = UnaryOpList();
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return IsUnaryElementwise(n.op_type) && n.outputs.size() == 1 && !n.inputs.empty() &&
           ExclusiveTranspose(ed, n, n.inputs[0]) != nullptr;
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* t = ed.Producer(n.inputs[0]);
    const std::vector<int64_t> perm = *TransposePerm(ed, *t);
    ed.SetInput(&n, 0, t->inputs[0]);
    ed.RemoveNode(t);
    TransposeOutput(ed, n, perm);
    return true;
  };
  return r;
}

// ---- Broadcasting elementwise ----------------------------------------------

namespace {

// The common permutation of the transposed operands when every operand is
// either an exclusive Transpose with it or a usable constant of no higher
// rank.
std::optional<std::vector<int64_t>> BroadcastPushPerm(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  // Before opset 7, broadcasting follows `broadcast`/`axis` attributes.
  if (ed.opset() > 0 && ed.opset() < 7) return std::nullopt;
  std::optional<std::vector<int64_t>> perm = CommonTransposePerm(ed, n);
  if (!perm) return std::nullopt;
  for (const auto& v : n.inputs) {
    if (v.empty()) continue;
    if (const ir::Node* t = ExclusiveTranspose(ed, n, v)) {
      if (*TransposePerm(ed, *t) == *perm) continue;
    }
    if (!ConstantUsable(ed, v)) return std::nullopt;
    if (ConstantDims(ed, v)->size() > perm->size()) return std::nullopt;
  }
  return perm;
}

}  // namespace

RewriteRule PushThroughBroadcast() {
  RewriteRule r;
  r.name = "push_transpose_through_elementwise";
  r.op_types = BroadcastOpList();
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return BroadcastPushPerm(ed, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const std::vector<int64_t> perm = *BroadcastPushPerm(ed, n);
    if (!RewireOperands(ed, n, [&](const std::string& v) {
          return UntransposeBroadcastConstant(ed, v, perm);
        })) {
      return false;
    }
    TransposeOutput(ed, n, perm);
    return true;
  };
  return r;
}

// ---- Concat ----------------------------------------------------------------

namespace {

std::optional<std::vector<int64_t>> ConcatPushPerm(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  const ir::Attribute* axis = n.FindAttr("axis");
  if (!axis || axis->kind != ir::Attribute::Kind::kInt) return std::nullopt;
  std::optional<std::vector<int64_t>> perm = CommonTransposePerm(ed, n);
  if (!perm) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(perm->size());
  if (axis->i < -rank || axis->i >= rank) return std::nullopt;
  for (const auto& v : n.inputs) {
    if (v.empty()) return std::nullopt;
    if (ExclusiveTranspose(ed, n, v)) continue;
    if (!ConstantUsable(ed, v)) return std::nullopt;
    if (static_cast<int64_t>(ConstantDims(ed, v)->size()) != rank) return std::nullopt;
  }
  return perm;
}

}  // namespace

RewriteRule PushThroughConcat() {
  RewriteRule r;
  r.name = "push_transpose_through_concat";
  r.op_types = {"Concat"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return ConcatPushPerm(ed, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const std::vector<int64_t> perm = *ConcatPushPerm(ed, n);
    const int64_t rank = static_cast<int64_t>(perm.size());
    int64_t axis = n.GetInt("axis", 0);
    if (axis < 0) axis += rank;
    const std::vector<int64_t> inv = InversePerm(perm);
    if (!RewireOperands(ed, n, [&](const std::string& v) {
          return TransposedConstant(ed, v, inv, absl::StrCat(v, "__untransposed"));
        })) {
      return false;
    }
    SetIntAttr(n, "axis", perm[axis]);
    TransposeOutput(ed, n, perm);
    return true;
  };
  return r;
}

// ---- Reductions ------------------------------------------------------------

namespace {

struct ReduceMatch {
  std::vector<int64_t> perm;
  bool reduce_all = false;
  std::vector<int64_t> axes;  // normalized, in the transposed layout
  bool axes_from_input = false;
  bool keepdims = true;
};

std::optional<ReduceMatch> MatchReduce(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  const ir::Node* t = ExclusiveTranspose(ed, n, n.inputs[0]);
  if (!t) return std::nullopt;
  ReduceMatch m;
  m.perm = *TransposePerm(ed, *t);
  const int64_t rank = static_cast<int64_t>(m.perm.size());
  m.keepdims = n.GetInt("keepdims", 1) != 0;
  std::vector<int64_t> raw;
  if (n.op_type == "ArgMax" || n.op_type == "ArgMin") {
    raw = {n.GetInt("axis", 0)};
  } else {
    auto axes = AxesOf(ed, n, "axes", 1);
    if (!axes) return std::nullopt;  // axes computed at run time
    if (!axes->present || axes->values.empty()) {
      if (n.GetInt("noop_with_empty_axes", 0) != 0) return std::nullopt;
      m.reduce_all = true;
      return m;
    }
    raw = axes->values;
    m.axes_from_input = n.FindAttr("axes") == nullptr;
  }
  std::vector<bool> seen(rank, false);
  for (int64_t a : raw) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
    if (seen[a]) return std::nullopt;
    seen[a] = true;
    m.axes.push_back(a);
  }
  return m;
}

}  // namespace

RewriteRule PushThroughReduce() {
  RewriteRule r;
  r.name = "push_transpose_through_reduce";
  r.op_types = ReduceOpList();
  r.op_types.push_back("ArgMax");
  r.op_types.push_back("ArgMin");
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return MatchReduce(ed, n).has_value(); };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const ReduceMatch m = *MatchReduce(ed, n);
    ir::Node* t = ed.Producer(n.inputs[0]);
    ed.SetInput(&n, 0, t->inputs[0]);
    ed.RemoveNode(t);
    // Reducing everything gives the same result in any layout.
    if (m.reduce_all) return true;
    std::vector<int64_t> new_axes;
    for (int64_t a : m.axes) new_axes.push_back(m.perm[a]);
    if (n.op_type == "ArgMax" || n.op_type == "ArgMin") {
      SetIntAttr(n, "axis", new_axes[0]);
    } else {
      std::sort(new_axes.begin(), new_axes.end());
      if (m.axes_from_input) {
        ed.SetInput(&n, 1,
                    ed.AddInitializer(absl::StrCat(n.name, "_axes"),
                                      ir::Tensor::Vector1D<int64_t>(new_axes)));
      } else {
        SetIntsAttr(n, "axes", new_axes);
      }
    }
    if (m.keepdims) {
      TransposeOutput(ed, n, m.perm);
      return true;
    }
    // Without keepdims: the kept dims of the transposed layout, in order,
    // come from these input dims; the untransposed result has them sorted.
    absl::flat_hash_set<int64_t> reduced(m.axes.begin(), m.axes.end());
    std::vector<int64_t> sources;
    for (int64_t i = 0; i < static_cast<int64_t>(m.perm.size()); ++i) {
      if (!reduced.count(i)) sources.push_back(m.perm[i]);
    }
    std::vector<int64_t> sorted = sources;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> q;
    for (int64_t s : sources) {
      q.push_back(std::lower_bound(sorted.begin(), sorted.end(), s) - sorted.begin());
    }
    if (!IsIdentityPerm(q)) TransposeOutput(ed, n, q);
    return true;
  };
  return r;
}

// ---- Pad -------------------------------------------------------------------

namespace {

struct PadMatch {
  std::vector<int64_t> perm;
  std::vector<int64_t> pads;  // as given (input or attribute)
  bool pads_from_input = false;
  std::vector<int64_t> axes;  // opset >= 18 axes input, normalized; empty: all
  bool has_axes = false;
};

std::optional<PadMatch> MatchPad(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  const ir::Node* t = ExclusiveTranspose(ed, n, n.inputs[0]);
  if (!t) return std::nullopt;
  PadMatch m;
  m.perm = *TransposePerm(ed, *t);
  const int64_t rank = static_cast<int64_t>(m.perm.size());
  auto pads = AxesOf(ed, n, "pads", 1);
  if (!pads || !pads->present) return std::nullopt;
  m.pads = pads->values;
  m.pads_from_input = n.FindAttr("pads") == nullptr;
  if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
    const ir::Tensor* axes_t = ed.Constant(n.inputs[3]);
    if (!axes_t) return std::nullopt;
    auto axes = axes_t->ToInt64s();
    if (!axes.ok()) return std::nullopt;
    for (int64_t a : *axes) {
      if (a < -rank || a >= rank) return std::nullopt;
      m.axes.push_back(a < 0 ? a + rank : a);
    }
    m.has_axes = true;
    if (m.pads.size() != 2 * m.axes.size()) return std::nullopt;
  } else if (static_cast<int64_t>(m.pads.size()) != 2 * rank) {
    return std::nullopt;
  }
  return m;
}

}  // namespace

RewriteRule PushThroughPad() {
  RewriteRule r;
  r.name = "push_transpose_through_pad";
  r.op_types = {"Pad"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) { return MatchPad(ed, n).has_value(); };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const PadMatch m = *MatchPad(ed, n);
    ir::Node* t = ed.Producer(n.inputs[0]);
    ed.SetInput(&n, 0, t->inputs[0]);
    ed.RemoveNode(t);
    if (m.has_axes) {
      // Pads follow the axes list: only the axes move.
      std::vector<int64_t> axes;
      for (int64_t a : m.axes) axes.push_back(m.perm[a]);
      ed.SetInput(
          &n, 3,
          ed.AddInitializer(absl::StrCat(n.name, "_axes"), ir::Tensor::Vector1D<int64_t>(axes)));
    } else {
      const size_t rank = m.perm.size();
      std::vector<int64_t> pads(2 * rank);
      for (size_t i = 0; i < rank; ++i) {
        pads[m.perm[i]] = m.pads[i];
        pads[rank + m.perm[i]] = m.pads[rank + i];
      }
      if (m.pads_from_input) {
        ed.SetInput(
            &n, 1,
            ed.AddInitializer(absl::StrCat(n.name, "_pads"), ir::Tensor::Vector1D<int64_t>(pads)));
      } else {
        SetIntsAttr(n, "pads", pads);
      }
    }
    TransposeOutput(ed, n, m.perm);
    return true;
  };
  return r;
}

// ---- Slice and Split ---------------------------------------------------------

namespace {

// The axes a Slice / Split works on, normalized, in the transposed layout;
// nullopt when they are not constant.
std::optional<std::vector<int64_t>> SliceAxes(GraphEditor& ed, const ir::Node& n, int64_t rank) {
  std::vector<int64_t> raw;
  if (n.op_type == "Split") {
    raw = {n.GetInt("axis", 0)};
  } else {
    auto axes = AxesOf(ed, n, "axes", 3);
    if (!axes) return std::nullopt;
    if (axes->present) {
      raw = axes->values;
    } else {  // default: the first len(starts) axes
      auto starts = AxesOf(ed, n, "starts", 1);
      if (!starts || !starts->present) return std::nullopt;
      for (size_t i = 0; i < starts->values.size(); ++i) raw.push_back(static_cast<int64_t>(i));
    }
  }
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> out;
  for (int64_t a : raw) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
    if (seen[a]) return std::nullopt;
    seen[a] = true;
    out.push_back(a);
  }
  return out;
}

}  // namespace

// Slice(Transpose(x)) = Transpose(Slice'(x)) with the axes moved by the
// permutation (starts/ends/steps follow the axes list unchanged); Split
// likewise, with a Transpose on every output.
RewriteRule PushThroughSliceSplit() {
  RewriteRule r;
  r.name = "push_transpose_through_slice_split";
  r.op_types = {"Slice", "Split"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    if (n.inputs.empty() || n.outputs.empty()) return false;
    const ir::Node* t = ExclusiveTranspose(ed, n, n.inputs[0]);
    if (!t) return false;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == n.inputs[0]) return false;
    }
    const int64_t rank = static_cast<int64_t>(TransposePerm(ed, *t)->size());
    return SliceAxes(ed, n, rank).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ir::Node* t = ed.Producer(n.inputs[0]);
    const std::vector<int64_t> perm = *TransposePerm(ed, *t);
    const std::vector<int64_t> axes = *SliceAxes(ed, n, static_cast<int64_t>(perm.size()));
    std::vector<int64_t> moved;
    for (int64_t a : axes) moved.push_back(perm[a]);
    ed.SetInput(&n, 0, t->inputs[0]);
    ed.RemoveNode(t);
    if (n.op_type == "Split") {
      SetIntAttr(n, "axis", moved[0]);
    } else if (n.FindAttr("starts") != nullptr) {  // opset < 10: attributes
      SetIntsAttr(n, "axes", moved);
    } else {
      const std::string axes_value =
          ed.AddInitializer(absl::StrCat(n.name, "_axes"), ir::Tensor::Vector1D<int64_t>(moved));
      while (n.inputs.size() < 4) ed.AddInput(&n, "");
      ed.SetInput(&n, 3, axes_value);
    }
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (!n.outputs[k].empty()) TransposeOutput(ed, n, perm, k);
    }
    return true;
  };
  return r;
}

}  // namespace onnxsmith::optimizer

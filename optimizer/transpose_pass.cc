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
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

// Elementwise ops where only input 0 is a tensor the layout applies to
// (Clip's min/max are scalars).
const std::vector<std::string>& UnaryOpList() {
  static const auto* list = new std::vector<std::string>{
      "Relu", "LeakyRelu",  "Sigmoid",  "Tanh",        "Elu",       "Selu",
      "Celu", "Clip",       "Abs",      "Neg",         "Exp",       "Log",
      "Sqrt", "Reciprocal", "Floor",    "Ceil",        "Round",     "Sign",
      "Erf",  "Softplus",   "Softsign", "HardSigmoid", "HardSwish", "ThresholdedRelu",
      "Mish", "Gelu",       "Cast",     "Not",         "IsNaN",     "IsInf",
      "Sin",  "Cos",        "Tan",      "Asin",        "Acos",      "Atan",
      "Sinh", "Cosh",       "Asinh",    "Acosh",       "Atanh",     "BitwiseNot"};
  return *list;
}

bool IsUnaryElementwise(const std::string& op) {
  static const auto* ops =
      new absl::flat_hash_set<std::string>(UnaryOpList().begin(), UnaryOpList().end());
  return ops->count(op) > 0;
}

// Multidirectional-broadcasting elementwise ops: every input is a tensor
// the layout applies to.
const std::vector<std::string>& BroadcastOpList() {
  static const auto* list = new std::vector<std::string>{
      "Add",         "Sub",        "Mul",       "Div",       "Pow",
      "Max",         "Min",        "Sum",       "Mean",      "PRelu",
      "Where",       "Equal",      "Greater",   "Less",      "GreaterOrEqual",
      "LessOrEqual", "And",        "Or",        "Xor",       "Mod",
      "BitShift",    "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
  return *list;
}

const std::vector<std::string>& ReduceOpList() {
  static const auto* list = new std::vector<std::string>{
      "ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",       "ReduceProd",
      "ReduceL1",  "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  return *list;
}

// The live Transpose producing `value` when `consumer` is its only user.
const ir::Node* ExclusiveTranspose(const GraphEditor& ed, const ir::Node& consumer,
                                   const std::string& value) {
  if (value.empty()) return nullptr;
  const ir::Node* p = ed.Producer(value);
  if (!p || p->op_type != "Transpose" || !IsOnnxDomain(*p) || p->inputs.empty()) return nullptr;
  if (!ed.OnlyUsedBy(value, &consumer)) return nullptr;
  if (!TransposePerm(ed, *p)) return nullptr;
  return p;
}

// Renames `n`'s output to a fresh value and adds Transpose(perm) from it to
// the old name, so readers of the old name see the same tensor.
void TransposeOutput(GraphEditor& ed, ir::Node& n, const std::vector<int64_t>& perm,
                     size_t index = 0) {
  const std::string y = n.outputs[index];
  const std::string y2 = ed.NewValueName(absl::StrCat(y, "__untransposed"));
  auto type = ed.TypeOf(y);
  ed.SetOutput(&n, index, y2);
  if (auto t = PermuteType(type, InversePerm(perm))) ed.SetType(y2, *t);
  ir::Node t;
  t.name = ed.NewNodeName(absl::StrCat(n.name, "/transpose_out"));
  t.op_type = "Transpose";
  t.inputs = {y2};
  t.outputs = {y};
  t.attributes.push_back(ir::Attribute::Ints("perm", perm));
  ed.AddNode(std::move(t));
}

bool ConstantUsable(GraphEditor& ed, const std::string& v) {
  if (ed.DataTypeOf(v) == ir::DataType::kString) return false;
  return ConstantDims(ed, v).has_value();
}

// Constant operand `v` of a broadcasting op whose transposed operands are
// replaced by their untransposed inputs: returns the operand to use in the
// untransposed layout ("" on failure).
std::string UntransposeBroadcastConstant(GraphEditor& ed, const std::string& v,
                                         const std::vector<int64_t>& perm) {
  auto dims = ConstantDims(ed, v);
  if (!dims) return "";
  const size_t rank = perm.size();
  if (dims->size() > rank) return "";
  if (std::all_of(dims->begin(), dims->end(), [](int64_t d) { return d == 1; })) return v;
  std::vector<int64_t> padded(rank - dims->size(), 1);
  padded.insert(padded.end(), dims->begin(), dims->end());
  const std::vector<int64_t> inv = InversePerm(perm);
  std::vector<int64_t> target = PermuteDims(padded, inv);
  // Does any non-1 dim change its relative order? If not, a reshape will do.
  std::vector<int64_t> order;
  for (size_t i = 0; i < rank; ++i) {
    if (target[i] != 1) order.push_back(inv[i]);
  }
  const std::string base = absl::StrCat(v, "__untransposed");
  if (std::is_sorted(order.begin(), order.end())) {
    size_t lead = 0;
    while (lead + 1 < target.size() && target[lead] == 1) ++lead;
    std::vector<int64_t> stripped(target.begin() + lead, target.end());
    return ReshapedConstant(ed, v, stripped, base);
  }
  std::string p = ReshapedConstant(ed, v, padded, base);
  if (p.empty()) return "";
  return TransposedConstant(ed, p, inv, base);
}

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

// The common permutation of the transposed operands when every operand is
// either an exclusive Transpose with it or a usable constant of no higher
// rank.
std::optional<std::vector<int64_t>> BroadcastPushPerm(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  // Before opset 7, broadcasting follows `broadcast`/`axis` attributes.
  if (ed.opset() > 0 && ed.opset() < 7) return std::nullopt;
  std::optional<std::vector<int64_t>> perm;
  for (const auto& v : n.inputs) {
    if (const ir::Node* t = ExclusiveTranspose(ed, n, v)) {
      auto p = TransposePerm(ed, *t);
      if (perm && *perm != *p) return std::nullopt;
      perm = p;
    }
  }
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

RewriteRule PushThroughBroadcast() {
  RewriteRule r;
  r.name = "push_transpose_through_elementwise";
  r.op_types = BroadcastOpList();
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    return BroadcastPushPerm(ed, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    const std::vector<int64_t> perm = *BroadcastPushPerm(ed, n);
    // Constants first (their conversion can still fail), then rewiring.
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
      replacement[i] = UntransposeBroadcastConstant(ed, v, perm);
      if (replacement[i].empty()) return false;
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!replacement[i].empty()) ed.SetInput(&n, i, replacement[i]);
    }
    for (ir::Node* t : transposes) ed.RemoveNode(t);
    TransposeOutput(ed, n, perm);
    return true;
  };
  return r;
}

// ---- Concat ----------------------------------------------------------------

std::optional<std::vector<int64_t>> ConcatPushPerm(GraphEditor& ed, const ir::Node& n) {
  if (n.outputs.size() != 1 || n.inputs.empty()) return std::nullopt;
  const ir::Attribute* axis = n.FindAttr("axis");
  if (!axis || axis->kind != ir::Attribute::Kind::kInt) return std::nullopt;
  std::optional<std::vector<int64_t>> perm;
  for (const auto& v : n.inputs) {
    if (const ir::Node* t = ExclusiveTranspose(ed, n, v)) {
      auto p = TransposePerm(ed, *t);
      if (perm && *perm != *p) return std::nullopt;
      perm = p;
    }
  }
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
    std::vector<std::string> replacement(n.inputs.size());
    std::vector<ir::Node*> transposes;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& v = n.inputs[i];
      if (ir::Node* t = const_cast<ir::Node*>(ExclusiveTranspose(ed, n, v))) {
        replacement[i] = t->inputs[0];
        if (std::find(transposes.begin(), transposes.end(), t) == transposes.end()) {
          transposes.push_back(t);
        }
        continue;
      }
      replacement[i] = TransposedConstant(ed, v, inv, absl::StrCat(v, "__untransposed"));
      if (replacement[i].empty()) return false;
    }
    for (size_t i = 0; i < n.inputs.size(); ++i) ed.SetInput(&n, i, replacement[i]);
    for (ir::Node* t : transposes) ed.RemoveNode(t);
    SetIntAttr(n, "axis", perm[axis]);
    TransposeOutput(ed, n, perm);
    return true;
  };
  return r;
}

// ---- Reductions ------------------------------------------------------------

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

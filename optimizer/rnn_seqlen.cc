#include "optimizer/rnn_seqlen.h"

#include <utility>

#include "optimizer/rnn_mask.h"

namespace onnxsmith::optimizer {
namespace {

bool AllZero(const ir::Tensor& t) {
  auto d = t.ToDoubles();
  if (!d.ok()) return false;
  for (double v : *d) {
    if (v != 0.0) return false;
  }
  return true;
}

// A value of the enclosing graph (the fused form reads it outside the body).
bool IsOuter(const BodyView& bv, const ir::Graph& body, const std::string& v) {
  if (v.empty() || bv.Producer(v) != nullptr || body.FindInitializer(v) != nullptr) return false;
  for (const ir::ValueInfo& in : body.inputs) {
    if (in.name == v) return false;
  }
  return true;
}

// TF's copy_cond `t >= L` widened over the units: Unsqueeze(GreaterOrEqual(t, L), 1);
// returns L.
std::string RowDone(const GraphEditor& ed, const BodyView& bv, const ir::Graph& body,
                    const std::function<bool(const std::string&)>& counter, const std::string& cond) {
  const ir::Node* u = bv.Op(cond, "Unsqueeze");
  if (u == nullptr) return "";
  std::vector<int64_t> axes;
  if (u->inputs.size() == 2) {
    const ir::Tensor* t = bv.Constant(u->inputs[1]);
    auto v = t ? t->ToInt64s() : absl::StatusOr<std::vector<int64_t>>(absl::NotFoundError(""));
    if (!v.ok()) return "";
    axes = *v;
  } else if (const ir::Attribute* a = u->FindAttr("axes")) {
    axes = a->ints;
  }
  if (axes.size() != 1 || (axes[0] != 1 && axes[0] != -1)) return "";
  const ir::Node* ge = bv.Op(u->inputs[0], "GreaterOrEqual");
  if (ge == nullptr || ge->inputs.size() != 2 || !counter(ge->inputs[0])) return "";
  const std::string& len = ge->inputs[1];
  auto dims = ed.DimsOf(len);
  if (!IsOuter(bv, body, len) || !dims || dims->size() != 1) return "";
  const ir::DataType dt = ed.DataTypeOf(len);
  return dt == ir::DataType::kInt32 || dt == ir::DataType::kInt64 ? len : "";
}

}  // namespace

bool IsZeroValue(const GraphEditor& ed, const std::string& v) {
  if (const ir::Tensor* t = ed.Constant(v)) return AllZero(*t);
  const ir::Node* n = ed.Producer(v);
  if (n == nullptr || n->op_type != "ConstantOfShape") return false;
  const ir::Attribute* value = n->FindAttr("value");
  return value == nullptr || AllZero(value->t);
}

std::string MatchLengthSelect(const GraphEditor& ed, const BodyView& bv, const ir::Graph& body,
                              const std::function<bool(const std::string&)>& counter,
                              std::vector<Carried>& vars, const std::vector<int>& states, bool& ok) {
  ok = true;
  std::string len;
  int selected = 0;
  for (int k : states) {
    const ir::Node* where = bv.Op(vars[k].out, "Where");
    if (where == nullptr || where->inputs[1] != vars[k].in) continue;
    const std::string l = RowDone(ed, bv, body, counter, where->inputs[0]);
    if (l.empty() || (!len.empty() && l != len)) continue;
    len = l;
    ++selected;
  }
  if (selected == 0) return "";
  if (selected != static_cast<int>(states.size())) {
    ok = false;
    return "";
  }
  for (int k : states) vars[k].out = bv.Op(vars[k].out, "Where")->inputs[2];
  for (Carried& c : vars) {
    if (c.kind != Carried::kScanOut) continue;
    const ir::Node* where = bv.Op(c.written, "Where");
    if (where == nullptr || RowDone(ed, bv, body, counter, where->inputs[0]) != len ||
        !IsOuter(bv, body, where->inputs[1]) || !IsZeroValue(ed, where->inputs[1])) {
      ok = false;
      return "";
    }
    c.written = where->inputs[2];
  }
  return len;
}

bool IsLengthBound(const GraphEditor& ed, const BodyView& bv, const std::string& v,
                   const std::string& seq_len, const std::function<bool(const std::string&)>& is_steps) {
  const ir::Node* min = ed.Producer(v);
  if (seq_len.empty() || min == nullptr || min->op_type != "Min" || min->inputs.size() != 2) return false;
  for (int k = 0; k < 2; ++k) {
    if (!is_steps(min->inputs[k])) continue;
    const ir::Node* n = ed.Producer(min->inputs[1 - k]);
    if (n != nullptr && n->op_type == "Max" && n->inputs.size() == 2) {
      const int c = bv.Scalar(n->inputs[0]) == 1.0 ? 0 : 1;
      if (bv.Scalar(n->inputs[c]) != 1.0) return false;
      n = ed.Producer(n->inputs[1 - c]);
    }
    return n != nullptr && n->op_type == "ReduceMax" && n->inputs[0] == seq_len &&
           n->GetInt("keepdims", 1) == 0;
  }
  return false;
}

std::string SequenceLens(GraphEditor& ed, const std::string& seq_len) {
  if (ed.DataTypeOf(seq_len) == ir::DataType::kInt32) return seq_len;
  ir::Node cast;
  cast.op_type = "Cast";
  cast.inputs = {seq_len};
  cast.outputs = {ed.NewValueName(seq_len + "/int32")};
  cast.attributes = {ir::Attribute::Int("to", static_cast<int64_t>(ir::DataType::kInt32))};
  return ed.AddNode(std::move(cast))->outputs[0];
}

void GuardedFinalState(GraphEditor& ed, const std::string& seq_len, const std::string& last,
                       const std::string& initial, const std::string& out) {
  // ONNX Runtime's RNN leaves Y_h of a zero-length row unwritten (garbage),
  // so even a zero initial state is selected explicitly (as a scalar: the
  // fused cells are float).
  const std::string fallback =
      IsZeroValue(ed, initial) ? ed.AddInitializer("rnn_state_zero", ir::Tensor::Scalar<float>(0.0f))
                               : initial;
  ir::Node greater;
  greater.op_type = "Greater";
  greater.inputs = {seq_len, ed.AddInitializer("rnn_len_zero", ir::Tensor::Scalar<int32_t>(0))};
  greater.outputs = {ed.NewValueName(seq_len + "/started")};
  const std::string started = ed.AddNode(std::move(greater))->outputs[0];
  ir::Node where;
  where.op_type = "Where";
  where.inputs = {AxesOp(ed, "Unsqueeze", started, 1), AxesOp(ed, "Squeeze", last, 0), fallback};
  where.outputs = {out};
  ed.AddNode(std::move(where));
}

}  // namespace onnxsmith::optimizer

#include "optimizer/rnn_mask.h"

#include "optimizer/rnn_body.h"

#include <utility>
#include <vector>

namespace onnxsmith::optimizer {
namespace {

std::string Add(GraphEditor& ed, const char* op, std::vector<std::string> in,
                std::vector<ir::Attribute> attrs = {}, std::string out = "") {
  if (out.empty()) out = ed.NewValueName(in[0] + "/" + op);
  ir::Node n;
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  n.attributes = std::move(attrs);
  ed.AddNode(std::move(n));
  return out;
}

std::string Ints(GraphEditor& ed, std::vector<int64_t> v) {
  return ed.AddInitializer("rnn_mask_i64", ir::Tensor::Vector1D<int64_t>(std::move(v)));
}

std::string Float(GraphEditor& ed, float v) {
  return ed.AddInitializer("rnn_mask_f32", ir::Tensor::Scalar<float>(v));
}

std::string Cast(GraphEditor& ed, const std::string& in, ir::DataType to) {
  return Add(ed, "Cast", {in}, {ir::Attribute::Int("to", static_cast<int64_t>(to))});
}

// `index` [T, B] picks, per batch row, time steps of `values` [T, B, N].
std::string GatherSteps(GraphEditor& ed, const std::string& values, const std::string& index) {
  std::string wide = Add(ed, "Expand", {AxesOp(ed, "Unsqueeze", index, 2), Add(ed, "Shape", {values})});
  return Add(ed, "GatherElements", {values, wide}, {ir::Attribute::Int("axis", 0)});
}

}  // namespace

std::string AxesOp(GraphEditor& ed, const char* op, const std::string& in, int64_t axis,
                   std::string out) {
  if (out.empty()) out = ed.NewValueName(in + "/" + op);
  ir::Node n;
  n.op_type = op;
  n.inputs = {in};
  n.outputs = {out};
  if (ed.opset() >= 13) {
    n.inputs.push_back(ed.AddInitializer("rnn_axes", ir::Tensor::Vector1D<int64_t>({axis})));
  } else {
    n.attributes.push_back(ir::Attribute::Ints("axes", {axis}));
  }
  ed.AddNode(std::move(n));
  return out;
}

CompactedSteps CompactSteps(GraphEditor& ed, const std::string& x, const std::string& mask,
                            const std::string& base) {
  CompactedSteps c;
  c.mask = mask;
  const std::string m = Cast(ed, AxesOp(ed, "Squeeze", mask, 2), ir::DataType::kFloat);  // [T, B]
  const std::string steps = Add(ed, "Slice", {Add(ed, "Shape", {x}), Ints(ed, {0}), Ints(ed, {1})});
  const std::string steps_f = Cast(ed, steps, ir::DataType::kFloat);  // [1]
  const std::string t = Add(ed, "Range", {Float(ed, 0.0f), AxesOp(ed, "Squeeze", steps_f, 0),
                                          Float(ed, 1.0f)});
  // key = mask * T + (T - 1 - t): unmasked steps first, each group in time order.
  const std::string reverse_t =
      AxesOp(ed, "Unsqueeze", Add(ed, "Sub", {Add(ed, "Sub", {steps_f, Float(ed, 1.0f)}), t}), 1);
  const std::string key = Add(ed, "Add", {Add(ed, "Mul", {m, steps_f}), reverse_t});
  ir::Node topk;
  topk.op_type = "TopK";
  topk.name = ed.NewNodeName(base + "/compact_steps");
  topk.inputs = {key, steps};
  const std::string order = ed.NewValueName(base + "/step_order");
  topk.outputs = {ed.NewValueName(base + "/step_keys"), order};
  topk.attributes = {ir::Attribute::Int("axis", 0), ir::Attribute::Int("largest", 1),
                     ir::Attribute::Int("sorted", 1)};
  ed.AddNode(std::move(topk));
  c.x = GatherSteps(ed, x, order);
  const std::string count = Add(ed, "ReduceSum", {m, Ints(ed, {0})}, {ir::Attribute::Int("keepdims", 0)});
  c.seq_lens = Cast(ed, Add(ed, "Max", {count, Float(ed, 1.0f)}), ir::DataType::kInt32);
  c.any_step = AxesOp(ed, "Unsqueeze", Add(ed, "Greater", {count, Float(ed, 0.0f)}), 1);
  const std::string done =
      Add(ed, "CumSum", {m, ed.AddInitializer("rnn_mask_axis", ir::Tensor::Scalar<int64_t>(0))});
  c.last_step = Add(ed, "Sub", {Cast(ed, done, ir::DataType::kInt64),
                                ed.AddInitializer("rnn_mask_one", ir::Tensor::Scalar<int64_t>(1))});
  return c;
}

std::string SpreadOutputs(GraphEditor& ed, const CompactedSteps& c, const std::string& y,
                          const std::string& initial, const std::string& fill) {
  const std::string zero = ed.AddInitializer("rnn_mask_zero", ir::Tensor::Scalar<int64_t>(0));
  const std::string at = GatherSteps(ed, y, Add(ed, "Max", {c.last_step, zero}));
  if (!fill.empty()) return Add(ed, "Where", {c.mask, at, fill});
  const std::string minus_one = ed.AddInitializer("rnn_mask_minus_one", ir::Tensor::Scalar<int64_t>(-1));
  const std::string started = AxesOp(ed, "Unsqueeze", Add(ed, "Greater", {c.last_step, minus_one}), 2);
  return Add(ed, "Where", {started, at, initial});
}

std::string LastStep(GraphEditor& ed, const std::string& values, std::string out) {
  if (out.empty()) out = ed.NewValueName(values + "/last");
  return Add(ed, "Gather", {values, ed.AddInitializer("rnn_last", ir::Tensor::Scalar<int64_t>(-1))},
             {ir::Attribute::Int("axis", 0)}, out);
}

std::string FinalState(GraphEditor& ed, const CompactedSteps& c, const std::string& last,
                       const std::string& initial, const std::string& out) {
  return Add(ed, "Where", {c.any_step, last, initial}, {}, out);
}

bool MatchStepMask(const GraphEditor& ed, const BodyView& bv, const ir::Graph& body,
                   const std::string& mask_t, const std::string& mask, std::vector<Carried>& vars,
                   std::vector<int>& states) {
  auto dims = ed.DimsOf(mask);
  if (ed.opset() < 13 || !dims || dims->size() != 3 || (*dims)[2] != 1) return false;
  auto is_mask = [&](const std::string& v) {
    if (v == mask_t) return true;
    const ir::Node* tile = bv.Op(v, "Tile");
    const ir::Tensor* reps = tile ? bv.Constant(tile->inputs[1]) : nullptr;
    if (reps == nullptr || tile->inputs[0] != mask_t) return false;
    auto r = reps->ToInt64s();  // [1, units]: the same bit across a row
    return r.ok() && r->size() == 2 && (*r)[0] == 1;
  };
  absl::flat_hash_map<std::string, int> uses;
  for (const auto& n : body.nodes) {
    for (const std::string& v : n->inputs) ++uses[v];
  }
  for (int k : states) {
    Carried& c = vars[k];
    const ir::Node* where = bv.Op(c.out, "Where");
    if (where == nullptr || !is_mask(where->inputs[0])) return false;
    const std::string& old = where->inputs[2];
    if (old != c.in) {
      // The fill must be an outer value: the fused form reads it outside the body.
      if (bv.Producer(old) != nullptr || body.FindInitializer(old) != nullptr) return false;
      for (const ir::ValueInfo& v : body.inputs) {
        if (v.name == old) return false;
      }
      c.fill = old;
    }
    c.masked_out = c.out;
    c.out = where->inputs[1];
  }
  std::vector<int> kept;
  for (int k : states) {
    Carried& c = vars[k];
    bool shares = false;
    for (int j : states) {
      shares |= j != k && vars[j].out == c.out && vars[j].kind != Carried::kMaskedOutput;
    }
    if (shares && uses[c.in] == (c.fill.empty() ? 1 : 0)) {
      c.kind = Carried::kMaskedOutput;
    } else if (!c.fill.empty()) {
      return false;
    } else {
      kept.push_back(k);
    }
  }
  states = kept;
  return true;
}

}  // namespace onnxsmith::optimizer

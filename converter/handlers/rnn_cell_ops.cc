// TF's fused RNN cells as their cell math: LSTMBlockCell and GRUBlockCell
// (one step), BlockLSTM/BlockLSTMV2 (a whole sequence, unrolled over its
// static length). TF's weights are one [input + units, gates * units] matrix
// over [x, h] with the gates side by side: LSTMBlockCell and BlockLSTM in the
// order i, ci (j), f, o, BlockLSTMV2 in the order i, f, ci, o (Keras's);
// GRUBlockCell's w_ru in the order r, u.
//
// BlockLSTM(V2) becomes one ONNX LSTM where ONNX's cell is TF's: no cell
// clip (TF clips the cell state itself, ONNX's `clip` the gates' inputs) and
// only h read (ONNX LSTM gives the h sequence, not the cell states or the
// gates). TF's peepholes are ONNX's P; its weights are reordered by ONNX ops
// on the constant kernel, which constant folding folds.
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;

// `x` split along its last axis (axis 1) into `n` equal parts.
std::vector<std::string> SplitGates(NodeContext& ctx, const std::string& x, int n) {
  std::vector<Attribute> attrs = {Attribute::Int("axis", 1)};
  if (ctx.opset() >= 18) attrs.push_back(Attribute::Int("num_outputs", n));
  return ctx.AddNodeMulti("Split", {x}, n, std::move(attrs));
}

// [x, h] @ w + b.
std::string Affine(NodeContext& ctx, const std::string& x, const std::string& h,
                   const std::string& w, const std::string& b) {
  const std::string xh = ctx.AddNode("Concat", {x, h}, {Attribute::Int("axis", 1)});
  return ctx.AddNode("Add", {ctx.AddNode("MatMul", {xh, w}), b});
}

struct LstmWeights {
  std::string w, wci, wcf, wco, b;
};

struct LstmAttrs {
  float forget_bias = 0;
  float cell_clip = 0;  // <= 0: none
  bool peephole = false;
  bool ifco = false;  // gate order i, f, ci, o (BlockLSTMV2) rather than i, ci, f, o
};

// The LSTM outputs of one step, in TF's output order.
struct LstmStep {
  std::string i, cs, f, o, ci, co, h;
};

LstmStep EmitLstmStep(NodeContext& ctx, const std::string& x, const std::string& cs_prev,
                      const std::string& h_prev, const LstmWeights& w, const LstmAttrs& a,
                      ir::DataType t) {
  std::vector<std::string> g = SplitGates(ctx, Affine(ctx, x, h_prev, w.w, w.b), 4);
  std::string i = g[0], ci = a.ifco ? g[2] : g[1], f = a.ifco ? g[1] : g[2], o = g[3];
  if (a.peephole) {
    i = ctx.AddNode("Add", {i, ctx.AddNode("Mul", {cs_prev, w.wci})});
    f = ctx.AddNode("Add", {f, ctx.AddNode("Mul", {cs_prev, w.wcf})});
  }
  if (a.forget_bias != 0) f = ctx.AddNode("Add", {f, ctx.ConstScalar(t, a.forget_bias, "forget_bias")});
  LstmStep s;
  s.i = ctx.AddNode("Sigmoid", {i});
  s.f = ctx.AddNode("Sigmoid", {f});
  s.ci = ctx.AddNode("Tanh", {ci});
  s.cs = ctx.AddNode("Add", {ctx.AddNode("Mul", {s.ci, s.i}), ctx.AddNode("Mul", {cs_prev, s.f})});
  if (a.cell_clip > 0) {
    s.cs = ctx.AddNode("Clip", {s.cs, ctx.ConstScalar(t, -a.cell_clip, "clip_min"),
                                ctx.ConstScalar(t, a.cell_clip, "clip_max")});
  }
  if (a.peephole) o = ctx.AddNode("Add", {o, ctx.AddNode("Mul", {s.cs, w.wco})});
  s.o = ctx.AddNode("Sigmoid", {o});
  s.co = ctx.AddNode("Tanh", {s.cs});
  s.h = ctx.AddNode("Mul", {s.co, s.o});
  return s;
}

LstmAttrs ReadLstmAttrs(const NodeContext& ctx, bool v2) {
  LstmAttrs a;
  a.forget_bias = v2 ? 0.0f : ctx.attr_float("forget_bias", 1.0f);
  a.cell_clip = ctx.attr_float("cell_clip", v2 ? 0.0f : 3.0f);
  a.peephole = ctx.attr_bool("use_peephole", false);
  a.ifco = v2;
  return a;
}

absl::Status CheckFloat(const NodeContext& ctx, ir::DataType t) {
  if (t == ir::DataType::kFloat || t == ir::DataType::kDouble || t == ir::DataType::kFloat16) {
    return absl::OkStatus();
  }
  return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
}

// LSTMBlockCell(x, cs_prev, h_prev, w, wci, wcf, wco, b) -> i, cs, f, o, ci, co, h.
absl::Status ConvertLstmBlockCell(NodeContext& ctx) {
  const ir::DataType t = InputDType(ctx, 0);
  RETURN_IF_ERROR(CheckFloat(ctx, t));
  const LstmWeights w{ctx.input(3), ctx.input(4), ctx.input(5), ctx.input(6), ctx.input(7)};
  const LstmStep s =
      EmitLstmStep(ctx, ctx.input(0), ctx.input(1), ctx.input(2), w, ReadLstmAttrs(ctx, false), t);
  const std::vector<std::string> outs = {s.i, s.cs, s.f, s.o, s.ci, s.co, s.h};
  for (int k = 0; k < 7; ++k) ctx.SetOutput(k, outs[k]);
  return absl::OkStatus();
}

// Whether another node of the graph reads any of this node's outputs `outs`
// (true when the graph is not known, e.g. inside a function body).
bool OutputsRead(const NodeContext& ctx, const std::vector<int>& outs) {
  const tf::GraphDef* g = ctx.graph_def();
  if (g == nullptr) return true;
  for (const tf::NodeDef& n : g->node()) {
    for (const std::string& in : n.input()) {
      if (in.empty() || in[0] == '^') continue;
      const size_t colon = in.rfind(':');
      const std::string node = colon == std::string::npos ? in : in.substr(0, colon);
      if (node != ctx.name()) continue;
      const int k = colon == std::string::npos ? 0 : std::atoi(in.c_str() + colon + 1);
      if (std::find(outs.begin(), outs.end(), k) != outs.end()) return true;
    }
  }
  return false;
}

// TF's [rows, 4 * units] gate kernel rows [begin, begin + n) as ONNX's
// [1, 4 * units, n], gates in ONNX's order i, o, f, c.
std::string OnnxGates(NodeContext& ctx, const std::string& w, int64_t begin, int64_t n,
                      int64_t units, const std::vector<int64_t>& order) {
  const std::string rows = ctx.AddNode(
      "Slice", {w, ctx.ConstInt64s({begin}, "begin"), ctx.ConstInt64s({begin + n}, "end")});
  const std::string gates = ctx.Reshape(ctx.Transpose(rows, {1, 0}), {4, units, n});
  return ctx.Reshape(ctx.AddNode("Gather", {gates, ctx.ConstInt64s(order, "gate_order")}),
                     {1, 4 * units, n});
}

// BlockLSTM(V2) as one ONNX LSTM: its h output [time, batch, units], or
// nullopt where ONNX's LSTM cannot compute TF's (see the file comment).
std::optional<std::string> EmitBlockLstmAsOnnx(NodeContext& ctx, const LstmAttrs& a,
                                               ir::DataType t) {
  if (t != ir::DataType::kFloat || a.cell_clip > 0 || OutputsRead(ctx, {0, 1, 2, 3, 4, 5})) {
    return std::nullopt;
  }
  auto wdims = ctx.input_dims(4);
  auto xdims = ctx.input_dims(1);
  if (!wdims || wdims->size() != 2 || (*wdims)[1] <= 0 || (*wdims)[1] % 4 != 0 || !xdims ||
      xdims->size() != 3) {
    return std::nullopt;
  }
  const int64_t units = (*wdims)[1] / 4, in = (*wdims)[0] - units;
  if (in <= 0 || ((*xdims)[2] >= 0 && (*xdims)[2] != in)) return std::nullopt;
  // ONNX gate k is TF's gate order[k].
  const std::vector<int64_t> order = a.ifco ? std::vector<int64_t>{0, 3, 1, 2}
                                            : std::vector<int64_t>{0, 3, 2, 1};
  const std::string& w = ctx.input(4);
  std::string bias = ctx.AddNode("Gather", {ctx.Reshape(ctx.input(8), {4, units}),
                                            ctx.ConstInt64s(order, "gate_order")});
  if (a.forget_bias != 0) {
    std::vector<float> fb(4 * units, 0.0f);
    std::fill(fb.begin() + 2 * units, fb.begin() + 3 * units, a.forget_bias);
    bias = ctx.AddNode("Add", {bias, ctx.ConstFloats({4, units}, fb, "forget_bias")});
  }
  bias = ctx.AddNode("Concat", {ctx.Reshape(bias, {1, 4 * units}),
                                ctx.ConstFloats({1, 4 * units}, std::vector<float>(4 * units, 0.0f),
                                                "recurrence_bias")},
                     {Attribute::Int("axis", 1)});
  // TF zeroes the steps from seq_len_max on, as ONNX does past sequence_lens.
  std::string seq_lens;
  const ir::Tensor* len = ctx.const_input(0);
  auto lens = len != nullptr ? len->ToDoubles() : absl::StatusOr<std::vector<double>>();
  if (!(lens.ok() && lens->size() == 1 && (*xdims)[0] >= 0 && (*lens)[0] == (*xdims)[0])) {
    seq_lens = ctx.AddNode("Expand", {ctx.Cast(ctx.input(0), ir::DataType::kInt32),
                                      ctx.Unsqueeze(RuntimeDim(ctx, ctx.input(1), 1), {0})});
  }
  std::vector<std::string> inputs = {ctx.input(1),
                                     OnnxGates(ctx, w, 0, in, units, order),
                                     OnnxGates(ctx, w, in, units, units, order),
                                     bias,
                                     seq_lens,
                                     ctx.Unsqueeze(ctx.input(3), {0}),
                                     ctx.Unsqueeze(ctx.input(2), {0})};
  if (a.peephole) {  // ONNX's P: i, o, f
    inputs.push_back(ctx.Unsqueeze(
        ctx.AddNode("Concat", {ctx.input(5), ctx.input(7), ctx.input(6)}, {Attribute::Int("axis", 0)}),
        {0}));
  }
  const std::string y =
      ctx.AddNode("LSTM", std::move(inputs), {Attribute::Int("hidden_size", units)});
  return ctx.Squeeze(y, {1});
}

// BlockLSTM(V2)(seq_len_max, x [time, batch, input], cs_prev, h_prev, w, wci,
// wcf, wco, b) -> i, cs, f, o, ci, co, h, each [time, batch, units]: the cell
// over the time steps, unrolled (the length must be static); steps from
// seq_len_max on output zeros, as TF pads them.
absl::Status ConvertBlockLstm(NodeContext& ctx) {
  const ir::DataType t = InputDType(ctx, 1);
  RETURN_IF_ERROR(CheckFloat(ctx, t));
  const LstmAttrs attrs = ReadLstmAttrs(ctx, ctx.op_type() == "BlockLSTMV2");
  if (std::optional<std::string> h = EmitBlockLstmAsOnnx(ctx, attrs, t)) {
    ctx.SetOutput(6, *h);  // outputs 0-5 are read by no node
    return absl::OkStatus();
  }
  auto dims = ctx.input_dims(1);
  if (!dims || dims->size() != 3 || (*dims)[0] < 0) {
    return ctx.Unsupported("a sequence of unknown length (the cell is unrolled over time)");
  }
  const int64_t steps = (*dims)[0];
  if (steps == 0) return ctx.Unsupported("an empty sequence");
  const LstmWeights w{ctx.input(4), ctx.input(5), ctx.input(6), ctx.input(7), ctx.input(8)};
  const std::string seq_len = ctx.Cast(ctx.input(0), ir::DataType::kInt64);
  const std::string zero = ctx.ConstScalar(t, 0, "zero");
  std::vector<std::vector<std::string>> per_output(7);
  std::string cs = ctx.input(2), h = ctx.input(3);
  for (int64_t step = 0; step < steps; ++step) {
    const std::string x = ctx.Squeeze(
        ctx.AddNode("Slice", {ctx.input(1), ctx.ConstInt64s({step}, "begin"),
                              ctx.ConstInt64s({step + 1}, "end")}),
        {0});
    const LstmStep s = EmitLstmStep(ctx, x, cs, h, w, attrs, t);
    cs = s.cs;
    h = s.h;
    const std::string live =
        ctx.AddNode("Less", {ctx.ConstScalar(ir::DataType::kInt64, static_cast<double>(step), "t"),
                             seq_len});
    const std::vector<std::string> outs = {s.i, s.cs, s.f, s.o, s.ci, s.co, s.h};
    for (int k = 0; k < 7; ++k) {
      per_output[k].push_back(ctx.Unsqueeze(ctx.AddNode("Where", {live, outs[k], zero}), {0}));
    }
  }
  for (int k = 0; k < 7; ++k) {
    ctx.SetOutput(k, steps == 1 ? per_output[k][0]
                                : ctx.AddNode("Concat", per_output[k], {Attribute::Int("axis", 0)}));
  }
  return absl::OkStatus();
}

// GRUBlockCell(x, h_prev, w_ru, w_c, b_ru, b_c) -> r, u, c, h:
// r, u = sigmoid([x, h] w_ru + b_ru); c = tanh([x, r h] w_c + b_c);
// h = u h_prev + (1 - u) c.
absl::Status ConvertGruBlockCell(NodeContext& ctx) {
  const ir::DataType t = InputDType(ctx, 0);
  RETURN_IF_ERROR(CheckFloat(ctx, t));
  const std::string& x = ctx.input(0);
  const std::string& h_prev = ctx.input(1);
  const std::string ru =
      ctx.AddNode("Sigmoid", {Affine(ctx, x, h_prev, ctx.input(2), ctx.input(4))});
  const std::vector<std::string> g = SplitGates(ctx, ru, 2);
  const std::string c = ctx.AddNode(
      "Tanh", {Affine(ctx, x, ctx.AddNode("Mul", {g[0], h_prev}), ctx.input(3), ctx.input(5))});
  const std::string keep = ctx.AddNode("Mul", {g[1], h_prev});
  const std::string one_minus_u = ctx.AddNode("Sub", {ctx.ConstScalar(t, 1, "one"), g[1]});
  ctx.SetOutput(0, g[0]);
  ctx.SetOutput(1, g[1]);
  ctx.SetOutput(2, c);
  ctx.SetOutput(3, ctx.AddNode("Add", {keep, ctx.AddNode("Mul", {one_minus_u, c})}));
  return absl::OkStatus();
}

}  // namespace

void RegisterRnnCellOps(HandlerRegistry& r) {
  r.Register({"LSTMBlockCell"}, kMinOpset, Inputs(8), ConvertLstmBlockCell);
  r.Register({"BlockLSTM", "BlockLSTMV2"}, kMinOpset, Inputs(9), ConvertBlockLstm);
  r.Register({"GRUBlockCell"}, kMinOpset, Inputs(6), ConvertGruBlockCell);
}

}  // namespace onnxsmith::converter

// Recurrent Keras layers as ONNX LSTM / GRU / RNN ops (never Loop): LSTM,
// GRU, SimpleRNN, their cuDNN variants (Keras 2 CuDNNLSTM / CuDNNGRU), the
// generic RNN layer around an LSTMCell / GRUCell / SimpleRNNCell, and
// Bidirectional around any of them (one ONNX op with direction=bidirectional).
//
// The ONNX op runs in layout 0 ([time, batch, features]) between transposes:
// ONNX Runtime's CPU kernels do not all accept layout 1. Weights are
// rearranged at conversion time (recurrent_weights.cc); masks are mapped
// exactly by compacting each row's valid steps to the front (see EmitMasked
// below).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"
#include "converter/keras/recurrent_weights.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// The layer options around a cell (the RNN layer's, not the cell's).
struct SequenceOptions {
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool time_major = false;
  bool zero_output_for_mask = false;
};

absl::StatusOr<SequenceOptions> ReadSequenceOptions(const LayerContext& ctx, const Json& cfg) {
  auto flag = [&](const char* key) {
    const Json* v = FindNonNull(cfg, key);
    return v ? AsBool(*v).value_or(false) : false;
  };
  if (flag("stateful")) {
    return ctx.Unsupported(
        "stateful=True (the state carried from one batch to the next lives outside the model "
        "file); rebuild the layer with stateful=False and pass the state as initial_state");
  }
  SequenceOptions o;
  o.return_sequences = flag("return_sequences");
  o.return_state = flag("return_state");
  o.go_backwards = flag("go_backwards");
  o.time_major = flag("time_major");
  o.zero_output_for_mask = flag("zero_output_for_mask");
  return o;
}

std::string FloatInput(LayerContext& ctx, int i) {
  const DataType t = ctx.input_dtype(i);
  if (t == DataType::kFloat) return ctx.input(i);
  return ctx.Cast(ctx.input(i), DataType::kFloat);
}

// x reversed along `axis`.
std::string Reverse(LayerContext& ctx, const std::string& x, int64_t axis) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({-1}, "start"), ctx.ConstInt64s({INT64_MIN}, "end"),
                               ctx.ConstInt64s({axis}, "axes"), ctx.ConstInt64s({-1}, "steps")});
}

std::string SliceLast(LayerContext& ctx, const std::string& x, int64_t start, int64_t end) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({start}, "start"), ctx.ConstInt64s({end}, "end"),
                               ctx.ConstInt64s({-1}, "axes")});
}

// Direction d of a [dirs, batch, hidden] state output, as [batch, hidden].
std::string StateOf(LayerContext& ctx, const std::string& y_state, int d, int dirs) {
  if (dirs == 1) return ctx.Squeeze(y_state, {0});
  std::string one = ctx.AddNode("Slice", {y_state, ctx.ConstInt64s({d}, "start"),
                                          ctx.ConstInt64s({d + 1}, "end"), ctx.ConstInt64s({0}, "axes")});
  return ctx.Squeeze(one, {0});
}

// Keras's mask semantics (backend rnn): a masked step keeps the states and
// outputs the previous output (zeros with zero_output_for_mask, which
// Bidirectional forces when it returns sequences). Equivalently: run the
// valid steps only, in order. Each row's valid steps are moved to the front
// (a stable permutation: valid step t goes to cumsum(mask)[t] - 1, masked
// steps after them), the op runs with sequence_lens = the count of valid
// steps, and Keras's output at step t is the op's output at position
// cumsum(mask)[t] - 1 (zeros where that is -1), i.e. a gather from the
// sequence padded with one zero step in front. This is exact for any mask,
// not only for right-padded rows.
struct MaskPlan {
  std::string mask;      // bool [B, T]
  std::string cum;       // int64 [B, T], cumsum of the mask
  std::string count;     // int64 [B], valid steps per row
  std::string seq_lens;  // int32 [B]
};

MaskPlan PlanMask(LayerContext& ctx, const std::string& mask) {
  MaskPlan p;
  p.mask = mask;
  const std::string axis_scalar = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "axis");
  const std::string m64 = ctx.Cast(mask, DataType::kInt64);
  p.cum = ctx.AddNode("CumSum", {m64, axis_scalar});
  p.count = ctx.Reduce("ReduceSum", m64, {1}, false);
  p.seq_lens = ctx.Cast(p.count, DataType::kInt32);
  return p;
}

// x [B, T, F] with each row's valid steps moved to the front.
std::string CompactSteps(LayerContext& ctx, const MaskPlan& p, const std::string& x) {
  const std::string one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one");
  const std::string axis_scalar = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "axis");
  const std::string not_cum = ctx.AddNode(
      "CumSum", {ctx.Cast(ctx.AddNode("Not", {p.mask}), DataType::kInt64), axis_scalar});
  const std::string valid_pos = ctx.AddNode("Sub", {p.cum, one});
  const std::string masked_pos =
      ctx.AddNode("Sub", {ctx.AddNode("Add", {ctx.Unsqueeze(p.count, {1}), not_cum}), one});
  const std::string pos = ctx.AddNode("Where", {p.mask, valid_pos, masked_pos});
  const std::string idx = ctx.AddNode("Expand", {ctx.Unsqueeze(pos, {2}), ctx.AddNode("Shape", {x})});
  const std::string out = ctx.AddNode("ScatterElements", {x, idx, x}, {Attribute::Int("axis", 1)});
  ctx.builder().SetType(out, ctx.builder().TypeOf(x));  // a permutation: same shape
  return out;
}

// y [B, T, D] of the compacted run -> Keras's per-step outputs.
std::string ExpandSteps(LayerContext& ctx, const MaskPlan& p, const std::string& y, bool zero_masked) {
  const std::string padded = ctx.AddNode(
      "Pad", {y, ctx.ConstInt64s({0, 1, 0, 0, 0, 0}, "pads")});
  const std::string idx =
      ctx.AddNode("Expand", {ctx.Unsqueeze(p.cum, {2}), ctx.AddNode("Shape", {y})});
  std::string out = ctx.AddNode("GatherElements", {padded, idx}, {Attribute::Int("axis", 1)});
  ctx.builder().SetType(out, ctx.builder().TypeOf(y));  // the indices have y's shape
  if (zero_masked) {
    out = ctx.AddNode("Mul", {out, ctx.Unsqueeze(ctx.Cast(p.mask, DataType::kFloat), {2})});
  }
  return out;
}

// Where a row has no valid step, Keras keeps `fallback` ([B, H]) as the state.
std::string KeepIfEmpty(LayerContext& ctx, const MaskPlan& p, const std::string& state,
                        const std::string& fallback) {
  const std::string any = ctx.AddNode(
      "Greater", {ctx.Unsqueeze(p.count, {1}), ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero")});
  return ctx.AddNode("Where", {any, state, fallback});
}

// One recurrent call: `cells` has one entry (a layer) or two (Bidirectional:
// forward, backward). Sets outputs: the sequence/last output(s) then states.
absl::Status EmitRecurrent(LayerContext& ctx, const std::vector<CellSpec>& cells,
                           const std::vector<DirectionWeights>& weights, const SequenceOptions& opts,
                           const std::string& merge_mode) {
  const int dirs = static_cast<int>(cells.size());
  const CellSpec& cell = cells[0];
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 3) return ctx.Error(absl::StrCat("expects a [batch, steps, features] input, got rank ", rank));
  const std::vector<int64_t> dims = *ctx.input_dims(0);
  const int64_t features = dims[2];
  if (features < 0) return ctx.Unsupported("an input whose feature dimension is unknown");

  // Initial states: positional inputs after the sequence (Keras 2) or initial_state= (Keras 3).
  std::vector<std::string> init;
  for (int i = 1; i < ctx.num_inputs(); ++i) init.push_back(FloatInput(ctx, i));
  for (const std::string& s : ctx.kwarg_inputs("initial_state")) {
    init.push_back(ctx.builder().TypeOf(s).dtype == DataType::kFloat ? s : ctx.Cast(s, DataType::kFloat));
  }
  const int per_dir = cell.NumStates();
  if (!init.empty() && static_cast<int>(init.size()) != per_dir * dirs) {
    return ctx.Error(absl::StrCat("got ", init.size(), " initial state tensors, expected ", per_dir * dirs));
  }

  std::string x = FloatInput(ctx, 0);
  std::optional<std::string> mask = ctx.InputMaskTensor(0);
  if (opts.time_major && mask) return ctx.Unsupported("a mask with time_major=True");
  const int64_t time_axis = opts.time_major ? 0 : 1;
  if (opts.go_backwards) {  // Keras reverses the sequence (and mask), outputs stay in that order
    x = Reverse(ctx, x, time_axis);
    if (mask) mask = Reverse(ctx, *mask, 1);
  }
  std::optional<MaskPlan> plan;
  if (mask) {
    plan = PlanMask(ctx, *mask);
    x = CompactSteps(ctx, *plan, x);
  }
  const std::string x_tbf = opts.time_major ? x : ctx.Transpose(x, {1, 0, 2});

  ASSIGN_OR_RETURN(OnnxRecurrentWeights w, MakeOnnxWeights(ctx, cells, weights, features));
  // Cached: a shared layer's calls reuse the initializers.
  ASSIGN_OR_RETURN(std::string W, ctx.CachedConst("W", [&]() -> absl::StatusOr<ir::Tensor> { return w.W; }));
  ASSIGN_OR_RETURN(std::string R, ctx.CachedConst("R", [&]() -> absl::StatusOr<ir::Tensor> { return w.R; }));
  std::string B;
  if (w.has_bias) {
    ASSIGN_OR_RETURN(B, ctx.CachedConst("B", [&]() -> absl::StatusOr<ir::Tensor> { return w.B; }));
  }
  std::vector<std::string> inputs = {x_tbf, W, R, B};
  inputs.push_back(plan ? plan->seq_lens : "");
  // Initial states [dirs, B, H]: state k of each direction.
  std::vector<std::string> init_stacked;
  for (int k = 0; k < per_dir && !init.empty(); ++k) {
    std::vector<std::string> parts;
    for (int d = 0; d < dirs; ++d) parts.push_back(ctx.Unsqueeze(init[d * per_dir + k], {0}));
    init_stacked.push_back(dirs == 1 ? parts[0] : ctx.AddNode("Concat", parts, {Attribute::Int("axis", 0)}));
  }
  for (const std::string& s : init_stacked) inputs.push_back(s);
  while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();

  std::vector<Attribute> attrs = {Attribute::Int("hidden_size", cell.units),
                                  Attribute::String("direction", dirs == 2 ? "bidirectional" : "forward")};
  ASSIGN_OR_RETURN(OnnxActivations acts, MakeOnnxActivations(ctx, cells));
  attrs.push_back(Attribute::Strings("activations", acts.names));
  if (!acts.alphas.empty()) attrs.push_back(Attribute::Floats("activation_alpha", acts.alphas));
  if (!acts.betas.empty()) attrs.push_back(Attribute::Floats("activation_beta", acts.betas));
  if (cell.kind == CellKind::kGru) {
    attrs.push_back(Attribute::Int("linear_before_reset", cell.reset_after ? 1 : 0));
  }
  const int num_out = cell.kind == CellKind::kLstm ? 3 : 2;
  const std::vector<std::string> y =
      ctx.AddNodeMulti(cell.OnnxOp(), inputs, num_out, std::move(attrs));

  // Outputs in Keras's order.
  std::vector<std::string> outs;
  if (opts.return_sequences) {
    // [T, dirs, B, H] -> [B, T, dirs * H] (Keras's concat order: forward then backward).
    std::string seq = opts.time_major ? ctx.Transpose(y[0], {0, 2, 1, 3}) : ctx.Transpose(y[0], {2, 0, 1, 3});
    seq = ctx.Reshape(seq, {0, 0, -1});
    if (plan) seq = ExpandSteps(ctx, *plan, seq, opts.zero_output_for_mask || dirs == 2);
    if (dirs == 1) {
      outs.push_back(seq);
    } else {
      outs.push_back(SliceLast(ctx, seq, 0, cell.units));
      outs.push_back(SliceLast(ctx, seq, cell.units, 2 * cell.units));
    }
  } else {
    for (int d = 0; d < dirs; ++d) {
      std::string last = StateOf(ctx, y[1], d, dirs);
      if (plan && !init.empty()) {  // no valid step: Keras's last output is zeros
        last = KeepIfEmpty(ctx, *plan, last, ctx.AddNode("Mul", {last, ctx.ConstFloat(0.0f, "zero")}));
      }
      if (plan && opts.zero_output_for_mask && dirs == 1) {  // zeros if the last step is masked
        const std::string last_step = ctx.AddConst(ir::Tensor::Scalar<int64_t>(-1), "last");
        const std::string last_valid =
            ctx.AddNode("Gather", {plan->mask, last_step}, {Attribute::Int("axis", 1)});
        last = ctx.AddNode("Mul", {last, ctx.Unsqueeze(ctx.Cast(last_valid, DataType::kFloat), {1})});
      }
      outs.push_back(last);
    }
  }
  if (dirs == 1) {
    ctx.SetOutput(0, outs[0]);
  } else if (merge_mode == "concat") {
    ctx.SetOutput(0, ctx.AddNode("Concat", {outs[0], outs[1]}, {Attribute::Int("axis", -1)}));
  } else if (merge_mode == "sum") {
    ctx.SetOutput(0, ctx.AddNode("Add", {outs[0], outs[1]}));
  } else if (merge_mode == "mul") {
    ctx.SetOutput(0, ctx.AddNode("Mul", {outs[0], outs[1]}));
  } else if (merge_mode == "ave") {
    const std::string sum = ctx.AddNode("Add", {outs[0], outs[1]});
    ctx.SetOutput(0, ctx.AddNode("Mul", {sum, ctx.ConstFloat(0.5f, "half")}));
  } else {  // merge_mode=None: two outputs
    ctx.SetOutput(0, outs[0]);
    ctx.SetOutput(1, outs[1]);
  }
  if (opts.return_sequences && !opts.time_major) ctx.PropagateMask();
  if (opts.return_state) {
    int k = (dirs == 2 && merge_mode.empty()) ? 2 : 1;
    for (int d = 0; d < dirs; ++d) {
      for (int s = 0; s < per_dir; ++s) {
        std::string state = StateOf(ctx, y[1 + s], d, dirs);
        if (plan && !init.empty()) state = KeepIfEmpty(ctx, *plan, state, init[d * per_dir + s]);
        ctx.SetOutput(k++, state);
      }
    }
  }
  return absl::OkStatus();
}

// LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU (a layer whose config holds the cell's options).
absl::Status ConvertRecurrentLayer(LayerContext& ctx) {
  ASSIGN_OR_RETURN(SequenceOptions opts, ReadSequenceOptions(ctx, ctx.config()));
  ASSIGN_OR_RETURN(CellSpec cell, ReadCellSpec(ctx, ctx.class_name(), ctx.config()));
  ASSIGN_OR_RETURN(std::vector<DirectionWeights> w, SplitDirections(ctx, cell, 1));
  return EmitRecurrent(ctx, {cell}, w, opts, "");
}

// The cell a generic RNN layer (or a Bidirectional) wraps: {class_name, config}.
absl::StatusOr<std::pair<std::string, const Json*>> WrappedSpec(const LayerContext& ctx, const Json* entry,
                                                                const char* what) {
  const Json* cls = entry ? Find(*entry, "class_name") : nullptr;
  const Json* cfg = entry ? Find(*entry, "config") : nullptr;
  if (!cls || !cls->is_string() || !cfg || !cfg->is_object()) {
    return ctx.Error(absl::StrCat("config has no wrapped '", what, "'"));
  }
  return std::make_pair(cls->get<std::string>(), cfg);
}

// RNN(cell=LSTMCell(...) | GRUCell | SimpleRNNCell).
absl::Status ConvertRnnWrapper(LayerContext& ctx) {
  ASSIGN_OR_RETURN(SequenceOptions opts, ReadSequenceOptions(ctx, ctx.config()));
  ASSIGN_OR_RETURN(auto wrapped, WrappedSpec(ctx, ctx.cfg("cell"), "cell"));
  ASSIGN_OR_RETURN(CellSpec cell, ReadCellSpec(ctx, wrapped.first, *wrapped.second));
  ASSIGN_OR_RETURN(std::vector<DirectionWeights> w, SplitDirections(ctx, cell, 1));
  return EmitRecurrent(ctx, {cell}, w, opts, "");
}

// The cell and sequence options of a layer Bidirectional wraps.
absl::Status ReadWrappedLayer(const LayerContext& ctx, const Json* entry, const char* what,
                              CellSpec* cell, SequenceOptions* opts) {
  ASSIGN_OR_RETURN(auto wrapped, WrappedSpec(ctx, entry, what));
  const auto& [cls, cfg] = wrapped;
  ASSIGN_OR_RETURN(*opts, ReadSequenceOptions(ctx, *cfg));
  if (cls == "RNN") {
    ASSIGN_OR_RETURN(auto inner, WrappedSpec(ctx, FindNonNull(*cfg, "cell"), "cell"));
    ASSIGN_OR_RETURN(*cell, ReadCellSpec(ctx, inner.first, *inner.second));
  } else {
    ASSIGN_OR_RETURN(*cell, ReadCellSpec(ctx, cls, *cfg));
  }
  return absl::OkStatus();
}

absl::Status ConvertBidirectional(LayerContext& ctx) {
  CellSpec fwd, bwd;
  SequenceOptions fopts, bopts;
  RETURN_IF_ERROR(ReadWrappedLayer(ctx, ctx.cfg("layer"), "layer", &fwd, &fopts));
  if (ctx.has("backward_layer")) {
    RETURN_IF_ERROR(ReadWrappedLayer(ctx, ctx.cfg("backward_layer"), "backward_layer", &bwd, &bopts));
    if (bwd.kind != fwd.kind || bwd.units != fwd.units) {
      return ctx.Unsupported("a backward_layer of another kind or size than the forward layer");
    }
  } else {
    bwd = fwd;
  }
  if (fopts.go_backwards) {
    return ctx.Unsupported("a forward layer with go_backwards=True (its backward twin then runs forwards)");
  }
  if (fopts.time_major) return ctx.Unsupported("time_major=True inside Bidirectional");
  // merge_mode=None (saved as null) returns the two directions as two outputs.
  const Json* mm = Find(ctx.config(), "merge_mode");
  std::string merge_mode = mm == nullptr ? "concat" : mm->is_null() ? "" : ctx.String("merge_mode", "?");
  if (!merge_mode.empty() && merge_mode != "concat" && merge_mode != "sum" && merge_mode != "mul" &&
      merge_mode != "ave") {
    return ctx.Unsupported(absl::StrCat("merge_mode '", merge_mode, "'"));
  }
  SequenceOptions opts = fopts;
  opts.go_backwards = false;
  ASSIGN_OR_RETURN(std::vector<DirectionWeights> w, SplitDirections(ctx, fwd, 2));
  return EmitRecurrent(ctx, {fwd, bwd}, w, opts, merge_mode);
}

}  // namespace

void RegisterRecurrentLayers(LayerRegistry& r) {
  // Input 0 is the sequence; more are initial states.
  r.Register({"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "LSTMV1", "GRUV1"},
             InputsAtLeast(1), ConvertRecurrentLayer,
             "ONNX LSTM/GRU/RNN; states, masks (not with time_major=True)");
  r.Register({"RNN"}, InputsAtLeast(1), ConvertRnnWrapper,
             "around an LSTMCell, GRUCell or SimpleRNNCell");
  r.Register({"Bidirectional"}, InputsAtLeast(1), ConvertBidirectional,
             "merge_mode concat, sum, mul, ave or none; a backward_layer of the same kind and size");
}

}  // namespace onnxsmith::converter::keras

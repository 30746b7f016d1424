// Recurrent Keras layers as ONNX LSTM / GRU / RNN ops (never Loop): LSTM,
// GRU, SimpleRNN, their cuDNN variants (Keras 2 CuDNNLSTM / CuDNNGRU), the
// generic RNN layer around an LSTMCell / GRUCell / SimpleRNNCell or a
// StackedRNNCells of them (one op per cell, each feeding the next), and
// Bidirectional around any two of them (one forward op per direction and
// cell: the two layers may differ in kind and size).
//
// The ONNX op runs in layout 0 ([time, batch, features]) between transposes:
// ONNX Runtime's CPU kernels do not all accept layout 1. Weights are
// rearranged at conversion time (recurrent_weights.cc); masks are mapped
// exactly by compacting each row's valid steps to the front (see EmitMasked
// below).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/conv_lstm.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"
#include "converter/keras/recurrent_scan.h"
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
  // stateful=True: the carried state is not saved (a loaded layer starts
  // from zeros, as after reset_states), so each run is one call from zero
  // states, or from initial_state; return_state hands the state back.
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

// Where a row has no valid step, Keras keeps `fallback` ([B, H], or a scalar) as the state.
std::string KeepIfEmpty(LayerContext& ctx, const MaskPlan& p, const std::string& state,
                        const std::string& fallback) {
  const std::string any = ctx.AddNode(
      "Greater", {ctx.Unsqueeze(p.count, {1}), ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero")});
  return ctx.AddNode("Where", {any, state, fallback});
}

// A recurrent layer: its sequence options and its cells, bottom to top (more
// than one for an RNN over a StackedRNNCells).
struct RecurrentSpec {
  SequenceOptions opts;
  std::vector<CellSpec> cells;
  std::vector<std::string> cell_names;  // StackedRNNCells: each cell's name (a part of its weights' paths)
  int NumStates() const {
    int n = 0;
    for (const CellSpec& c : cells) n += c.NumStates();
    return n;
  }
};

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

// LSTM, GRU, SimpleRNN, their cuDNN twins, or RNN around a cell or a
// StackedRNNCells (class `cls`, config `cfg`).
absl::StatusOr<RecurrentSpec> ReadRecurrentSpec(const LayerContext& ctx, const std::string& cls, const Json& cfg) {
  RecurrentSpec spec;
  ASSIGN_OR_RETURN(spec.opts, ReadSequenceOptions(ctx, cfg));
  if (cls != "RNN") {
    ASSIGN_OR_RETURN(CellSpec cell, ReadCellSpec(ctx, cls, cfg));
    spec.cells.push_back(cell);
    spec.cell_names.push_back("");
    return spec;
  }
  ASSIGN_OR_RETURN(auto inner, WrappedSpec(ctx, FindNonNull(cfg, "cell"), "cell"));
  if (inner.first != "StackedRNNCells") {
    ASSIGN_OR_RETURN(CellSpec cell, ReadCellSpec(ctx, inner.first, *inner.second));
    spec.cells.push_back(cell);
    spec.cell_names.push_back("");
    return spec;
  }
  const Json* list = FindNonNull(*inner.second, "cells");
  if (!list || !list->is_array() || list->empty()) return ctx.Error("StackedRNNCells config has no 'cells'");
  // A cell's weights sit under its name in .h5; .keras files name the cells
  // of a list by class, snake_case, numbered from the second of a class on.
  bool keras_v3_file = false;
  for (const KerasWeight& w : ctx.weights()) keras_v3_file |= absl::StrContains(w.name, "vars/");
  std::map<std::string, int> seen;
  for (const Json& entry : *list) {
    ASSIGN_OR_RETURN(auto c, WrappedSpec(ctx, &entry, "cells"));
    ASSIGN_OR_RETURN(CellSpec cell, ReadCellSpec(ctx, c.first, *c.second));
    std::string name;
    if (keras_v3_file) {
      name = c.first == "LSTMCell" ? "lstm_cell" : c.first == "GRUCell" ? "gru_cell" : "simple_rnn_cell";
      const int k = seen[name]++;
      if (k > 0) name = absl::StrCat(name, "_", k);
    } else {
      const Json* n = FindNonNull(*c.second, "name");
      if (!n || !n->is_string()) return ctx.Error("a cell of the StackedRNNCells has no name");
      name = n->get<std::string>();
    }
    spec.cells.push_back(cell);
    spec.cell_names.push_back(name);
  }
  return spec;
}

// What one recurrent layer returns: the sequence (or the last output) and
// every cell's states, flattened in Keras's order.
struct RecurrentOutputs {
  std::string output;
  std::vector<std::string> states;
};

// RunRecurrent for cells ONNX's recurrent ops cannot express (their
// activations): one Scan per cell with Keras's own step (recurrent_scan.h),
// masked steps skipped inside it. x [B, T, F] and mask [B, T] are in the
// order the layer runs (reversed for go_backwards).
absl::StatusOr<RecurrentOutputs> RunScanned(LayerContext& ctx, const RecurrentSpec& spec, int dirs, int d,
                                            const std::string& x, const std::optional<std::string>& mask,
                                            const std::vector<std::string>& init) {
  std::string seq = ctx.Transpose(x, {1, 0, 2});  // [T, B, F]
  std::optional<std::string> mask_tb;
  if (mask) mask_tb = ctx.Transpose(*mask, {1, 0});
  RecurrentOutputs out;
  size_t first_state = 0;
  for (size_t k = 0; k < spec.cells.size(); ++k) {
    const CellSpec& cell = spec.cells[k];
    ASSIGN_OR_RETURN(DirectionWeights dw, CellWeights(ctx, cell, dirs, d, spec.cell_names[k]));
    std::vector<std::string> cell_init;
    if (!init.empty()) cell_init.assign(init.begin() + first_state, init.begin() + first_state + cell.NumStates());
    first_state += cell.NumStates();
    ASSIGN_OR_RETURN(ScannedCell sc, ScanCell(ctx, cell, dw, absl::StrCat("scan", d, "/", k, "/"), seq, mask_tb,
                                              cell_init, spec.opts.zero_output_for_mask));
    seq = sc.sequence;
    out.output = sc.last_output;
    out.states.insert(out.states.end(), sc.states.begin(), sc.states.end());
  }
  if (spec.opts.return_sequences) out.output = spec.opts.time_major ? seq : ctx.Transpose(seq, {1, 0, 2});
  return out;
}

// Runs `spec` (direction d of `dirs` of the layer's weights) on x (float,
// [batch, steps, features], or time-major) with `mask` ([batch, steps],
// optional) from `init` (the flattened initial states, or none).
absl::StatusOr<RecurrentOutputs> RunRecurrent(LayerContext& ctx, const RecurrentSpec& spec, int dirs, int d,
                                              std::string x, std::optional<std::string> mask,
                                              const std::vector<std::string>& init) {
  const SequenceOptions& opts = spec.opts;
  if (!init.empty() && static_cast<int>(init.size()) != spec.NumStates()) {
    return ctx.Error(absl::StrCat("got ", init.size(), " initial state tensors, expected ", spec.NumStates()));
  }
  if (opts.time_major) {  // [T, B, F] with a [T, B] mask (Keras 2): run batch-major
    x = ctx.Transpose(x, {1, 0, 2});
    if (mask) mask = ctx.Transpose(*mask, {1, 0});
  }
  if (opts.go_backwards) {  // Keras reverses the sequence (and mask), outputs stay in that order
    x = Reverse(ctx, x, 1);
    if (mask) mask = Reverse(ctx, *mask, 1);
  }
  bool onnx_activations = true;
  for (const CellSpec& c : spec.cells) onnx_activations &= MakeOnnxActivations(ctx, {c}).ok();
  if (!onnx_activations) return RunScanned(ctx, spec, dirs, d, x, mask, init);
  std::optional<MaskPlan> plan;
  if (mask) {
    plan = PlanMask(ctx, *mask);
    x = CompactSteps(ctx, *plan, x);
  }
  std::string seq = ctx.Transpose(x, {1, 0, 2});  // [T, B, F]
  std::vector<std::string> states;
  std::vector<std::string> state_init;  // each state's initial value ("" if none)
  std::string last_h;
  size_t first_state = 0;
  for (size_t k = 0; k < spec.cells.size(); ++k) {
    const CellSpec& cell = spec.cells[k];
    const std::optional<std::vector<int64_t>> dims = ctx.StaticDims(seq);
    const int64_t features = k > 0 ? spec.cells[k - 1].units : dims && dims->size() == 3 ? (*dims)[2] : -1;
    if (features < 0) return ctx.Unsupported("an input whose feature dimension is unknown");
    ASSIGN_OR_RETURN(DirectionWeights dw, CellWeights(ctx, cell, dirs, d, spec.cell_names[k]));
    ASSIGN_OR_RETURN(OnnxRecurrentWeights w, MakeOnnxWeights(ctx, {cell}, {dw}, features));
    // Cached: a shared layer's calls reuse the initializers.
    const std::string key = absl::StrCat(d, "/", k, "/");
    ASSIGN_OR_RETURN(std::string W, ctx.CachedConst(key + "W", [&]() -> absl::StatusOr<ir::Tensor> { return w.W; }));
    ASSIGN_OR_RETURN(std::string R, ctx.CachedConst(key + "R", [&]() -> absl::StatusOr<ir::Tensor> { return w.R; }));
    std::string B;
    if (w.has_bias) {
      ASSIGN_OR_RETURN(B, ctx.CachedConst(key + "B", [&]() -> absl::StatusOr<ir::Tensor> { return w.B; }));
    }
    std::vector<std::string> inputs = {seq, W, R, B, plan ? plan->seq_lens : ""};
    for (int s = 0; s < cell.NumStates(); ++s) {  // initial states [1, B, H]
      state_init.push_back(init.empty() ? "" : init[first_state + s]);
      inputs.push_back(init.empty() ? "" : ctx.Unsqueeze(init[first_state + s], {0}));
    }
    first_state += cell.NumStates();
    while (!inputs.empty() && inputs.back().empty()) inputs.pop_back();
    std::vector<Attribute> attrs = {Attribute::Int("hidden_size", cell.units),
                                    Attribute::String("direction", "forward")};
    ASSIGN_OR_RETURN(OnnxActivations acts, MakeOnnxActivations(ctx, {cell}));
    attrs.push_back(Attribute::Strings("activations", acts.names));
    if (!acts.alphas.empty()) attrs.push_back(Attribute::Floats("activation_alpha", acts.alphas));
    if (!acts.betas.empty()) attrs.push_back(Attribute::Floats("activation_beta", acts.betas));
    if (cell.kind == CellKind::kGru) {
      attrs.push_back(Attribute::Int("linear_before_reset", cell.reset_after ? 1 : 0));
    }
    const int num_out = cell.kind == CellKind::kLstm ? 3 : 2;
    const std::vector<std::string> y = ctx.AddNodeMulti(cell.OnnxOp(), inputs, num_out, std::move(attrs));
    seq = ctx.Squeeze(y[0], {1});  // [T, 1, B, H] -> [T, B, H]: the next cell's input
    for (int s = 0; s < cell.NumStates(); ++s) states.push_back(ctx.Squeeze(y[1 + s], {0}));
    last_h = states[states.size() - cell.NumStates()];
  }

  RecurrentOutputs out;
  if (opts.return_sequences) {
    out.output = ctx.Transpose(seq, {1, 0, 2});
    if (plan) out.output = ExpandSteps(ctx, *plan, out.output, opts.zero_output_for_mask);
    if (opts.time_major) out.output = ctx.Transpose(out.output, {1, 0, 2});
  } else {
    out.output = last_h;
    // No valid step: Keras's last output is zeros (ONNX Runtime's Y_h of a
    // row with sequence_lens 0 is the initial state, or not written at all).
    if (plan) out.output = KeepIfEmpty(ctx, *plan, last_h, ctx.ConstFloat(0.0f, "zero"));
    if (plan && opts.zero_output_for_mask) {  // zeros if the last step is masked
      const std::string last_step = ctx.AddConst(ir::Tensor::Scalar<int64_t>(-1), "last");
      const std::string last_valid = ctx.AddNode("Gather", {plan->mask, last_step}, {Attribute::Int("axis", 1)});
      out.output = ctx.AddNode("Mul", {out.output, ctx.Unsqueeze(ctx.Cast(last_valid, DataType::kFloat), {1})});
    }
  }
  for (size_t s = 0; s < states.size(); ++s) {
    if (plan) {  // no valid step: the initial state (zeros if none)
      states[s] = KeepIfEmpty(ctx, *plan, states[s],
                              state_init[s].empty() ? ctx.ConstFloat(0.0f, "zero") : state_init[s]);
    }
  }
  out.states = std::move(states);
  return out;
}

// The call's initial states: positional inputs after the sequence (Keras 2)
// or initial_state= (Keras 3), as float.
std::vector<std::string> InitialStates(LayerContext& ctx) {
  std::vector<std::string> init;
  for (int i = 1; i < ctx.num_inputs(); ++i) init.push_back(FloatInput(ctx, i));
  for (const std::string& s : ctx.kwarg_inputs("initial_state")) {
    init.push_back(ctx.builder().TypeOf(s).dtype == DataType::kFloat ? s : ctx.Cast(s, DataType::kFloat));
  }
  return init;
}

absl::StatusOr<std::string> SequenceInput(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 3) return ctx.Error(absl::StrCat("expects a [batch, steps, features] input, got rank ", rank));
  return FloatInput(ctx, 0);
}

// LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU, and RNN around a cell or a StackedRNNCells.
absl::Status ConvertRecurrentLayer(LayerContext& ctx) {
  ASSIGN_OR_RETURN(RecurrentSpec spec, ReadRecurrentSpec(ctx, ctx.class_name(), ctx.config()));
  ASSIGN_OR_RETURN(std::string x, SequenceInput(ctx));
  ASSIGN_OR_RETURN(RecurrentOutputs r,
                   RunRecurrent(ctx, spec, 1, 0, x, ctx.InputMaskTensor(0), InitialStates(ctx)));
  ctx.SetOutput(0, r.output);
  if (spec.opts.return_sequences) ctx.PropagateMask();
  if (spec.opts.return_state) {
    for (size_t s = 0; s < r.states.size(); ++s) ctx.SetOutput(1 + static_cast<int>(s), r.states[s]);
  }
  return absl::OkStatus();
}

// A layer Bidirectional wraps.
absl::StatusOr<RecurrentSpec> ReadWrappedLayer(const LayerContext& ctx, const Json* entry, const char* what) {
  ASSIGN_OR_RETURN(auto wrapped, WrappedSpec(ctx, entry, what));
  return ReadRecurrentSpec(ctx, wrapped.first, *wrapped.second);
}

// Bidirectional's merge_mode: "concat", "sum", "mul", "ave", or "" (None:
// the two directions as two outputs).
absl::StatusOr<std::string> MergeMode(const LayerContext& ctx) {
  const Json* mm = Find(ctx.config(), "merge_mode");
  const std::string merge_mode = mm == nullptr ? "concat" : mm->is_null() ? "" : ctx.String("merge_mode", "?");
  if (!merge_mode.empty() && merge_mode != "concat" && merge_mode != "sum" && merge_mode != "mul" &&
      merge_mode != "ave") {
    return ctx.Unsupported(absl::StrCat("merge_mode '", merge_mode, "'"));
  }
  return merge_mode;
}

// Keras's Bidirectional output: the merged outputs (the backward sequence
// flipped along `time_axis` first), then the forward and the backward states.
void SetBidirectionalOutputs(LayerContext& ctx, const std::string& merge_mode, bool return_sequences,
                             int64_t time_axis, const RecurrentOutputs& f, RecurrentOutputs b) {
  if (return_sequences) b.output = Reverse(ctx, b.output, time_axis);
  int k = 0;
  if (merge_mode == "concat") {
    ctx.SetOutput(k++, ctx.AddNode("Concat", {f.output, b.output}, {Attribute::Int("axis", -1)}));
  } else if (merge_mode == "sum") {
    ctx.SetOutput(k++, ctx.AddNode("Add", {f.output, b.output}));
  } else if (merge_mode == "mul") {
    ctx.SetOutput(k++, ctx.AddNode("Mul", {f.output, b.output}));
  } else if (merge_mode == "ave") {
    const std::string sum = ctx.AddNode("Add", {f.output, b.output});
    ctx.SetOutput(k++, ctx.AddNode("Mul", {sum, ctx.ConstFloat(0.5f, "half")}));
  } else {  // merge_mode=None: two outputs
    ctx.SetOutput(k++, f.output);
    ctx.SetOutput(k++, b.output);
  }
  if (return_sequences) ctx.PropagateMask();
  for (const std::string& s : f.states) ctx.SetOutput(k++, s);
  for (const std::string& s : b.states) ctx.SetOutput(k++, s);
}

// The initial states of a Bidirectional call split between its directions
// (Keras: the first half forward).
absl::Status SplitInitialStates(const LayerContext& ctx, const std::vector<std::string>& init, size_t nf,
                                size_t nb, std::vector<std::string>* finit, std::vector<std::string>* binit) {
  if (init.empty()) return absl::OkStatus();
  if (init.size() != nf + nb) {
    return ctx.Error(absl::StrCat("got ", init.size(), " initial state tensors, expected ", nf + nb));
  }
  finit->assign(init.begin(), init.begin() + nf);
  binit->assign(init.begin() + nf, init.end());
  return absl::OkStatus();
}

// Bidirectional around ConvLSTM1D/2D/3D: each direction is converted as the
// wrapped layer itself (conv_lstm.cc) on the Bidirectional's input.
absl::Status ConvertBidirectionalConvLstm(LayerContext& ctx, const std::string& merge_mode,
                                          const std::pair<std::string, const Json*>& fwd_layer) {
  std::pair<std::string, const Json*> bwd_layer = fwd_layer;
  Json backward_config;
  if (ctx.has("backward_layer")) {
    ASSIGN_OR_RETURN(bwd_layer, WrappedSpec(ctx, ctx.cfg("backward_layer"), "backward_layer"));
    if (bwd_layer.first != fwd_layer.first) {
      return ctx.Unsupported(absl::StrCat("a ", fwd_layer.first, " with a backward_layer of class ",
                                          bwd_layer.first));
    }
  } else {  // the forward layer's config, running the other way (Keras 2: not; Keras 3: always backwards)
    backward_config = *fwd_layer.second;
    const Json* gb = FindNonNull(backward_config, "go_backwards");
    backward_config["go_backwards"] = ctx.keras_major() >= 3 || !(gb && AsBool(*gb).value_or(false));
    bwd_layer.second = &backward_config;
  }
  const Json* rs = FindNonNull(*fwd_layer.second, "return_sequences");
  const bool return_sequences = rs && AsBool(*rs).value_or(false);
  std::vector<std::string> init = InitialStates(ctx), finit, binit;
  RETURN_IF_ERROR(SplitInitialStates(ctx, init, 2, 2, &finit, &binit));
  std::vector<std::pair<std::string, std::string>> masks;
  for (const std::string& m : ctx.kwarg_inputs("mask")) masks.emplace_back("mask", m);
  RecurrentOutputs dir[2];
  for (int d = 0; d < 2; ++d) {
    const auto& layer = d == 0 ? fwd_layer : bwd_layer;
    KerasLayerSpec spec = ctx.layer();
    spec.class_name = layer.first;
    spec.config = layer.second;
    std::vector<std::string> inputs = {ctx.input(0)};
    for (const std::string& s : d == 0 ? finit : binit) inputs.push_back(s);
    LayerContext sub(spec, ctx.node(), ctx.node_index(), absl::StrCat(ctx.name(), d == 0 ? "/forward" : "/backward"),
                     inputs, {ctx.input_mask(0)}, masks, &ctx.weights(), &ctx.env());
    RETURN_IF_ERROR(ConvertConvLstmDirection(sub, 2, d));
    dir[d].output = sub.outputs()[0];
    dir[d].states.assign(sub.outputs().begin() + 1, sub.outputs().end());
  }
  SetBidirectionalOutputs(ctx, merge_mode, return_sequences, 1, dir[0], dir[1]);
  return absl::OkStatus();
}

// Two recurrent layers of any kinds run on the same input, each in its own
// direction (go_backwards), the backward one's sequence flipped, merged.
absl::Status ConvertBidirectional(LayerContext& ctx) {
  ASSIGN_OR_RETURN(std::string merge_mode, MergeMode(ctx));
  ASSIGN_OR_RETURN(auto fwd_layer, WrappedSpec(ctx, ctx.cfg("layer"), "layer"));
  if (absl::StartsWith(fwd_layer.first, "ConvLSTM")) return ConvertBidirectionalConvLstm(ctx, merge_mode, fwd_layer);
  ASSIGN_OR_RETURN(RecurrentSpec fwd, ReadRecurrentSpec(ctx, fwd_layer.first, *fwd_layer.second));
  RecurrentSpec bwd = fwd;
  if (ctx.has("backward_layer")) {
    ASSIGN_OR_RETURN(bwd, ReadWrappedLayer(ctx, ctx.cfg("backward_layer"), "backward_layer"));
  } else {  // Keras 2 flips go_backwards; Keras 3 (which refuses two backward layers) sets it
    bwd.opts.go_backwards = ctx.keras_major() >= 3 || !fwd.opts.go_backwards;
  }
  if (fwd.opts.time_major != bwd.opts.time_major) {
    return ctx.Error("the forward and backward layers disagree on time_major");
  }
  // Keras outputs zeros at masked steps of the sequences Bidirectional merges.
  fwd.opts.zero_output_for_mask = fwd.opts.return_sequences;
  bwd.opts.zero_output_for_mask = fwd.opts.return_sequences;
  bwd.opts.return_sequences = fwd.opts.return_sequences;
  if (merge_mode != "concat" && !merge_mode.empty() && fwd.cells.back().units != bwd.cells.back().units) {
    return ctx.Error(absl::StrCat("merge_mode '", merge_mode, "' of directions with ", fwd.cells.back().units,
                                  " and ", bwd.cells.back().units, " units"));
  }
  ASSIGN_OR_RETURN(std::string x, SequenceInput(ctx));
  const std::optional<std::string> mask = ctx.InputMaskTensor(0);
  std::vector<std::string> finit, binit;
  RETURN_IF_ERROR(SplitInitialStates(ctx, InitialStates(ctx), fwd.NumStates(), bwd.NumStates(), &finit, &binit));
  ASSIGN_OR_RETURN(RecurrentOutputs f, RunRecurrent(ctx, fwd, 2, 0, x, mask, finit));
  ASSIGN_OR_RETURN(RecurrentOutputs b, RunRecurrent(ctx, bwd, 2, 1, x, mask, binit));
  if (!fwd.opts.return_state) f.states.clear(), b.states.clear();
  SetBidirectionalOutputs(ctx, merge_mode, fwd.opts.return_sequences, fwd.opts.time_major ? 0 : 1, f, b);
  return absl::OkStatus();
}

}  // namespace

void RegisterRecurrentLayers(LayerRegistry& r) {
  // Input 0 is the sequence; more are initial states.
  r.Register({"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU", "LSTMV1", "GRUV1"},
             InputsAtLeast(1), ConvertRecurrentLayer,
             "ONNX LSTM/GRU/RNN; states, masks, time_major, go_backwards; stateful (each run starts from "
             "zero states or initial_state: Keras saves no state)");
  r.Register({"RNN"}, InputsAtLeast(1), ConvertRecurrentLayer,
             "around an LSTMCell, GRUCell or SimpleRNNCell, or a StackedRNNCells of them (one ONNX op per "
             "cell); states, masks");
  r.Register({"Bidirectional"}, InputsAtLeast(1), ConvertBidirectional,
             "merge_mode concat, sum, mul, ave or none; a backward_layer of any recurrent kind and size, "
             "either running backwards; around ConvLSTM1D/2D/3D; states, masks");
}

}  // namespace onnxsmith::converter::keras

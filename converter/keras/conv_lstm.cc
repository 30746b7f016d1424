// ConvLSTM1D / ConvLSTM2D / ConvLSTM3D. ONNX has no convolutional LSTM, so
// the recurrence is an ONNX Scan over time:
//
//   xc = Conv(x_t, kernel) + bias     for every step at once, before the Scan
//                                     (it does not depend on the state)
//   z  = xc_t + Conv(h, recurrent_kernel)   (stride 1, "same", no dilation:
//                                     Keras's recurrent_conv)
//   i, f, g, o = z's four channel blocks (Keras's gate order)
//   c' = rec_act(f) * c + rec_act(i) * act(g);  h' = rec_act(o) * act(c')
//
// The Scan runs channels-first ([time, batch, channels, spatial...]);
// go_backwards scans the steps in reverse and, as Keras, keeps the outputs in
// that order. Keras requires static channel and spatial sizes, so the output
// sizes are known at conversion.
#include "converter/keras/conv_lstm.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/emit/padding.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"
#include "converter/keras/recurrent_weights.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

struct ConvLstmShape {
  int n = 0;  // spatial dims
  bool channels_first = false;
  int64_t channels = 0, filters = 0;
  std::vector<int64_t> in, out;  // spatial sizes
  std::vector<int64_t> kernel, strides, dilations;
  WindowPadding padding;
};

absl::StatusOr<ConvLstmShape> ReadShape(LayerContext& ctx) {
  ConvLstmShape s;
  s.n = ctx.class_name()[ctx.class_name().size() - 2] - '0';  // ConvLSTM1D .. ConvLSTM3D
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != s.n + 3) {
    return ctx.Error(absl::StrCat("expects a rank-", s.n + 3, " input [batch, steps, ...], got rank ", rank));
  }
  ASSIGN_OR_RETURN(s.channels_first, ctx.ChannelsFirst());
  const std::vector<int64_t> dims = *ctx.input_dims(0);
  s.channels = s.channels_first ? dims[2] : dims[rank - 1];
  s.in.assign(dims.begin() + (s.channels_first ? 3 : 2), dims.begin() + (s.channels_first ? rank : rank - 1));
  if (s.channels < 0) return ctx.Unsupported("an input whose channel dimension is unknown");
  for (int64_t d : s.in) {
    if (d < 0) return ctx.Unsupported("an input whose spatial dimensions are unknown");
  }
  ASSIGN_OR_RETURN(s.filters, ctx.RequiredInt("filters"));
  ASSIGN_OR_RETURN(s.kernel, ctx.Ints("kernel_size", s.n));
  ASSIGN_OR_RETURN(s.strides, ctx.Ints("strides", s.n, std::vector<int64_t>(s.n, 1)));
  ASSIGN_OR_RETURN(s.dilations, ctx.Ints("dilation_rate", s.n, std::vector<int64_t>(s.n, 1)));
  const std::string padding = ctx.String("padding", "valid");
  if (padding == "same") {
    s.padding.mode = WindowPadding::Mode::kSame;
  } else if (padding != "valid") {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  for (int i = 0; i < s.n; ++i) {
    if (s.filters < 1 || s.kernel[i] < 1 || s.strides[i] < 1 || s.dilations[i] < 1) {
      return ctx.Error("filters, kernel_size, strides and dilation_rate must be positive");
    }
    const int64_t span = (s.kernel[i] - 1) * s.dilations[i] + 1;
    const int64_t o = padding == "same" ? (s.in[i] + s.strides[i] - 1) / s.strides[i]
                                        : (s.in[i] - span) / s.strides[i] + 1;
    if (o < 1) return ctx.Error(absl::StrCat("the kernel is larger than spatial dimension ", i + 1));
    s.out.push_back(o);
  }
  return s;
}

// Keras kernel (k..., in, out) -> ONNX (out, in, k...).
absl::StatusOr<ir::Tensor> OnnxKernel(const LayerContext& ctx, const ir::Tensor& k, const ConvLstmShape& s,
                                      int64_t in, const char* what) {
  std::vector<int64_t> expected = s.kernel;
  expected.push_back(in);
  expected.push_back(4 * s.filters);
  if (k.dims() != expected) {
    return ctx.Error(absl::StrCat(what, " has ", k.num_elements(), " values in shape of rank ", k.rank(),
                                  ", expected kernel_size + [", in, ", ", 4 * s.filters, "]"));
  }
  std::vector<int64_t> perm = {s.n + 1, s.n};
  for (int i = 0; i < s.n; ++i) perm.push_back(i);
  return k.Transposed(perm);
}

std::vector<Attribute> ConvAttrs(const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                                 const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations,
                                 const WindowPadding& padding) {
  std::vector<Attribute> attrs = {Attribute::Ints("kernel_shape", kernel), Attribute::Ints("strides", strides),
                                  Attribute::Ints("dilations", dilations)};
  for (Attribute& a : WindowPaddingAttrs(padding, {in, kernel, strides, dilations})) attrs.push_back(std::move(a));
  return attrs;
}

// Channels-last [batch, spatial..., c] <-> channels-first [batch, c, spatial...].
std::string FirstFromLast(LayerContext& ctx, const ConvLstmShape& s, const std::string& x) {
  return s.channels_first ? x : ctx.ToChannelsFirst(x, s.n + 2);
}
std::string LastFromFirst(LayerContext& ctx, const ConvLstmShape& s, const std::string& x) {
  return s.channels_first ? x : ctx.ToChannelsLast(x, s.n + 2);
}

std::vector<int64_t> Concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The Scan body: (h, c, xc_t) -> (h', c', h'), emitted through a LayerContext
// over the body's builder (for Keras's activations). With a mask, Keras's
// masked step keeps the states and repeats the previous output (zeros with
// zero_output_for_mask): (h, c, out, xc_t, m_t) -> (h', c', out', out').
absl::StatusOr<std::shared_ptr<ir::Graph>> BuildStep(LayerContext& ctx, const ConvLstmShape& s,
                                                     const std::string& recurrent_kernel, bool masked,
                                                     bool zero_output_for_mask) {
  auto graph = std::make_shared<ir::Graph>();
  graph->name = ctx.name() + "/step";
  GraphBuilder b(graph.get(), &ctx.builder());
  ConversionEnv env = ctx.env();
  env.builder = &b;
  LayerContext step(ctx.layer(), ctx.node(), ctx.node_index(), ctx.name() + "/step", {}, {}, {}, &ctx.weights(),
                    &env);
  const ir::ValueType state_type = ir::MakeType(DataType::kFloat, Concat({-1, s.filters}, s.out));
  const std::string h = b.UniqueName(ctx.name() + "/h");
  const std::string c = b.UniqueName(ctx.name() + "/c");
  const std::string prev_out = b.UniqueName(ctx.name() + "/out");
  const std::string xc = b.UniqueName(ctx.name() + "/xc");
  const std::string m = b.UniqueName(ctx.name() + "/mask");
  b.AddGraphInput(h, state_type);
  b.AddGraphInput(c, state_type);
  if (masked) b.AddGraphInput(prev_out, state_type);
  b.AddGraphInput(xc, ir::MakeType(DataType::kFloat, Concat({-1, 4 * s.filters}, s.out)));
  if (masked) b.AddGraphInput(m, ir::MakeType(DataType::kBool, {-1}));

  WindowPadding same;
  same.mode = WindowPadding::Mode::kSame;
  const std::vector<int64_t> ones(s.n, 1);
  const std::string hc = step.AddNode("Conv", {h, recurrent_kernel}, ConvAttrs(s.out, s.kernel, ones, ones, same));
  const std::string z = step.AddNode("Add", {xc, hc});
  std::vector<std::string> gate(4);
  for (int g = 0; g < 4; ++g) {
    gate[g] = step.AddNode("Slice", {z, step.ConstInt64s({g * s.filters}, "start"),
                                     step.ConstInt64s({(g + 1) * s.filters}, "end"), step.ConstInt64s({1}, "axes")});
  }
  ASSIGN_OR_RETURN(std::string i, step.ActivationFromConfig(gate[0], "recurrent_activation"));
  ASSIGN_OR_RETURN(std::string f, step.ActivationFromConfig(gate[1], "recurrent_activation"));
  ASSIGN_OR_RETURN(std::string g, step.ActivationFromConfig(gate[2], "activation"));
  ASSIGN_OR_RETURN(std::string o, step.ActivationFromConfig(gate[3], "recurrent_activation"));
  const std::string c_next =
      step.AddNode("Add", {step.AddNode("Mul", {f, c}), step.AddNode("Mul", {i, g})});
  ASSIGN_OR_RETURN(std::string act_c, step.ActivationFromConfig(c_next, "activation"));
  const std::string h_next = step.AddNode("Mul", {o, act_c});
  std::vector<std::string> outs = {h_next, c_next, h_next};
  if (masked) {
    std::vector<int64_t> axes;
    for (int i = 0; i <= s.n; ++i) axes.push_back(1 + i);
    const std::string keep = step.Unsqueeze(m, axes);  // [B, 1, ...]
    const std::string fallback = zero_output_for_mask ? step.ConstFloat(0.0f, "zero") : prev_out;
    const std::string out = step.AddNode("Where", {keep, h_next, fallback});
    outs = {step.AddNode("Where", {keep, h_next, h}), step.AddNode("Where", {keep, c_next, c}), out, out};
  }
  for (const std::string& v : outs) {  // distinct names: an output may not repeat
    const std::string out = step.AddNode("Identity", {v});
    b.SetType(out, state_type);
    graph->outputs.push_back({out, state_type});
  }
  b.FinishOutputs();
  return graph;
}

}  // namespace

// stateful=True converts as one call from zero states (or initial_state):
// Keras saves no state, a loaded layer starts from zeros.
absl::Status ConvertConvLstmDirection(LayerContext& ctx, int dirs, int d) {
  ASSIGN_OR_RETURN(ConvLstmShape s, ReadShape(ctx));
  CellSpec cell;
  cell.use_bias = ctx.Bool("use_bias", true);
  ASSIGN_OR_RETURN(DirectionWeights w, CellWeights(ctx, cell, dirs, d, ""));
  ASSIGN_OR_RETURN(std::string kernel, ctx.CachedConst("kernel", [&]() {
    return OnnxKernel(ctx, w.kernel, s, s.channels, "kernel");
  }));
  ASSIGN_OR_RETURN(std::string recurrent, ctx.CachedConst("recurrent_kernel", [&]() {
    return OnnxKernel(ctx, w.recurrent, s, s.filters, "recurrent_kernel");
  }));
  std::string bias;
  if (w.has_bias) {
    if (w.bias.num_elements() != 4 * s.filters) {
      return ctx.Error(absl::StrCat("bias has ", w.bias.num_elements(), " values, expected ", 4 * s.filters));
    }
    ASSIGN_OR_RETURN(bias, ctx.CachedConst("bias", [&]() -> absl::StatusOr<ir::Tensor> { return w.bias; }));
  }

  // The input convolution of every step: [B, T, ...] -> [T * B, C, in...] -> [T, B, 4F, out...].
  std::string x = ctx.input(0);
  if (ctx.input_dtype(0) != DataType::kFloat) x = ctx.Cast(x, DataType::kFloat);
  std::vector<int64_t> perm = {1, 0};
  if (s.channels_first) {
    for (int i = 0; i < s.n + 1; ++i) perm.push_back(2 + i);
  } else {
    perm.push_back(s.n + 2);
    for (int i = 0; i < s.n; ++i) perm.push_back(2 + i);
  }
  const std::string x_tb = ctx.Transpose(x, perm);  // [T, B, C, in...]
  const std::string flat = ctx.Reshape(x_tb, Concat({-1, s.channels}, s.in));
  std::vector<std::string> conv_inputs = {flat, kernel};
  if (!bias.empty()) conv_inputs.push_back(bias);
  const std::string xc_flat =
      ctx.AddNode("Conv", conv_inputs, ConvAttrs(s.in, s.kernel, s.strides, s.dilations, s.padding));
  const std::string tb = ctx.AddNode("Slice", {ctx.AddNode("Shape", {x_tb}), ctx.ConstInt64s({0}, "start"),
                                               ctx.ConstInt64s({2}, "end"), ctx.ConstInt64s({0}, "axes")});
  const std::string xc_shape =
      ctx.AddNode("Concat", {tb, ctx.ConstInt64s(Concat({4 * s.filters}, s.out), "dims")},
                  {Attribute::Int("axis", 0)});
  const std::string xc = ctx.AddNode("Reshape", {xc_flat, xc_shape});

  // Initial states [B, F, out...]: initial_state= (Keras layout) or zeros.
  std::vector<std::string> init = ctx.kwarg_inputs("initial_state");
  for (int i = 1; i < ctx.num_inputs(); ++i) init.push_back(ctx.input(i));
  if (!init.empty() && init.size() != 2) {
    return ctx.Error(absl::StrCat("got ", init.size(), " initial state tensors, expected 2"));
  }
  std::string h0, c0;
  if (init.empty()) {
    const std::string batch = ctx.AddNode("Slice", {tb, ctx.ConstInt64s({1}, "start"), ctx.ConstInt64s({2}, "end"),
                                                    ctx.ConstInt64s({0}, "axes")});
    const std::string shape = ctx.AddNode(
        "Concat", {batch, ctx.ConstInt64s(Concat({s.filters}, s.out), "dims")}, {Attribute::Int("axis", 0)});
    h0 = c0 = ctx.AddNode("ConstantOfShape", {shape},
                          {Attribute::TensorValue("value", ir::Tensor::FromVector<float>({1}, {0.0f}))});
  } else {
    h0 = FirstFromLast(ctx, s, ctx.Cast(init[0], DataType::kFloat));
    c0 = FirstFromLast(ctx, s, ctx.Cast(init[1], DataType::kFloat));
  }

  // A mask= argument [batch, steps]. Masking before a ConvLSTM masks each
  // position, not each step: Keras's own call fails on it.
  if (ctx.kwarg_inputs("mask").empty() && ctx.input_mask(0)) {
    return ctx.Unsupported("the mask of a Masking layer before it (one per position, not per step; Keras "
                           "fails on it too): pass a [batch, steps] mask= instead");
  }
  std::optional<std::string> mask = ctx.InputMaskTensor(0);
  if (mask) {
    const std::optional<std::vector<int64_t>> mdims = ctx.StaticDims(*mask);
    if (!mdims || mdims->size() != 2) {
      return ctx.Unsupported("a mask that is not [batch, steps] (Keras's Masking before ConvLSTM gives one "
                             "per position; Keras itself fails on it)");
    }
  }
  ASSIGN_OR_RETURN(std::shared_ptr<ir::Graph> body,
                   BuildStep(ctx, s, recurrent, mask.has_value(), ctx.Bool("zero_output_for_mask", false)));
  const int scans = mask ? 2 : 1;
  std::vector<Attribute> attrs = {Attribute::GraphValue("body", body), Attribute::Int("num_scan_inputs", scans)};
  if (ctx.Bool("go_backwards", false)) {
    attrs.push_back(Attribute::Ints("scan_input_directions", std::vector<int64_t>(scans, 1)));
  }
  std::vector<std::string> scan_inputs = {h0, c0, xc};
  if (mask) {  // previous output (zeros at first) and the mask [T, B]
    scan_inputs.insert(scan_inputs.begin() + 2, ctx.AddNode("Mul", {h0, ctx.ConstFloat(0.0f, "zero")}));
    scan_inputs.push_back(ctx.Transpose(ctx.Cast(*mask, DataType::kBool), {1, 0}));
  }
  std::vector<std::string> y = ctx.AddNodeMulti("Scan", scan_inputs, mask ? 4 : 3, std::move(attrs));
  // ONNX inference skips ops with a graph attribute: the types are ours.
  const ir::ValueType state_type = ir::MakeType(DataType::kFloat, Concat({-1, s.filters}, s.out));
  for (size_t k = 0; k + 1 < y.size(); ++k) ctx.SetType(y[k], state_type);
  ctx.SetType(y.back(), ir::MakeType(DataType::kFloat, Concat({-1, -1, s.filters}, s.out)));
  const std::string last_out = mask ? y[2] : y[0];

  if (ctx.Bool("return_sequences", false)) {
    std::vector<int64_t> back = {1, 0};  // [T, B, F, out...] -> [B, T, ...]
    if (s.channels_first) {
      for (int i = 0; i < s.n + 1; ++i) back.push_back(2 + i);
    } else {
      for (int i = 0; i < s.n; ++i) back.push_back(3 + i);
      back.push_back(2);
    }
    ctx.SetOutput(0, ctx.Transpose(y.back(), back));
    ctx.PropagateMask();
  } else {
    ctx.SetOutput(0, LastFromFirst(ctx, s, last_out));
  }
  if (ctx.Bool("return_state", false)) {
    ctx.SetOutput(1, LastFromFirst(ctx, s, y[0]));
    ctx.SetOutput(2, LastFromFirst(ctx, s, y[1]));
  }
  return absl::OkStatus();
}

namespace {

absl::Status ConvertConvLstm(LayerContext& ctx) { return ConvertConvLstmDirection(ctx, 1, 0); }

}  // namespace

void RegisterConvLstmLayers(LayerRegistry& r) {
  // Input 0 is the sequence; more are initial states (Keras 2).
  r.Register({"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}, InputsAtLeast(1), ConvertConvLstm,
             "an ONNX Scan over time (input convolution of all steps before it); padding, strides, "
             "dilation_rate, data_format, go_backwards, return_sequences/return_state, initial_state, a "
             "[batch, steps] mask");
}

}  // namespace onnxsmith::converter::keras

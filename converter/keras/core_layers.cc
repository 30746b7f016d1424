// Core Keras layers: InputLayer, Dense, activations (Activation, ReLU,
// LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU), layers removed at
// inference (Dropout & co.), reshaping (Flatten, Reshape, Permute,
// RepeatVector), preprocessing (Rescaling, Normalization), Embedding, Masking
// and the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
// Concatenate, Dot).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/activations.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;


// Positive axis in [0, rank).
absl::StatusOr<int64_t> NormalizeAxis(const LayerContext& ctx, int64_t axis, int rank) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return a;
}

std::string FloatInput(LayerContext& ctx, int i) {
  const DataType t = ctx.input_dtype(i);
  if (t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16) return ctx.input(i);
  return ctx.Cast(ctx.input(i), DataType::kFloat);
}

// --- InputLayer (bound by the converter; a call is an identity) ---
absl::Status ConvertInputLayer(LayerContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  return absl::OkStatus();
}

// --- layers that do nothing at inference ---
absl::Status ConvertPassThrough(LayerContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  ctx.PropagateMask();
  return absl::OkStatus();
}

// --- Dense ---
absl::Status ConvertDense(LayerContext& ctx) {
  if (ctx.num_weights() > 0 && !ir::IsFloating(ctx.weights()[0].value.dtype())) {
    return ctx.Unsupported("a quantized kernel (Keras int8/int4 quantization)");
  }
  ASSIGN_OR_RETURN(auto kernel, ctx.WeightConst(0, "kernel"));
  std::string y = ctx.AddNode("MatMul", {FloatInput(ctx, 0), kernel});
  if (ctx.Bool("use_bias", true)) {
    ASSIGN_OR_RETURN(auto bias, ctx.WeightConst(1, "bias"));
    y = ctx.AddNode("Add", {y, bias});
  }
  ASSIGN_OR_RETURN(auto out, ctx.ActivationFromConfig(y));
  ctx.SetOutput(0, out);
  ctx.PropagateMask();
  return absl::OkStatus();
}

// --- activations ---
absl::Status ConvertActivation(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto out, ctx.ActivationFromConfig(ctx.input(0)));
  ctx.SetOutput(0, out);
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertReLU(LayerContext& ctx) {
  const std::string x = ctx.input(0);
  const bool has_max = ctx.has("max_value");
  const double max_value = ctx.Float("max_value", 0);
  const double slope = ctx.Float("negative_slope", 0);
  const double threshold = ctx.Float("threshold", 0);
  std::string y;
  if (slope == 0 && threshold == 0) {
    y = has_max ? ctx.AddNode("Clip", {x, ctx.ConstFloat(0, "min"),
                                       ctx.ConstFloat(static_cast<float>(max_value), "max")})
                : ctx.AddNode("Relu", {x});
  } else if (!has_max && threshold == 0) {
    y = ctx.AddNode("LeakyRelu", {x}, {Attribute::Float("alpha", static_cast<float>(slope))});
  } else {
    // Keras: x if x > threshold else 0, clipped at max_value, minus
    // slope * relu(threshold - x).
    std::string pos;
    if (threshold != 0) {
      std::string keep = ctx.Cast(
          ctx.AddNode("Greater", {x, ctx.ConstFloat(static_cast<float>(threshold), "threshold")}),
          DataType::kFloat);
      pos = ctx.AddNode("Mul", {x, keep});
    } else {
      pos = ctx.AddNode("Relu", {x});
    }
    if (has_max) {
      pos = ctx.AddNode("Clip", {pos, ctx.ConstFloat(0, "min"),
                                 ctx.ConstFloat(static_cast<float>(max_value), "max")});
    }
    if (slope != 0) {
      std::string neg = ctx.AddNode(
          "Relu", {ctx.AddNode("Sub", {ctx.ConstFloat(static_cast<float>(threshold), "threshold"), x})});
      pos = ctx.AddNode(
          "Sub", {pos, ctx.AddNode("Mul", {neg, ctx.ConstFloat(static_cast<float>(slope), "slope")})});
    }
    y = pos;
  }
  ctx.SetOutput(0, y);
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertLeakyReLU(LayerContext& ctx) {
  const double alpha = ctx.Float("negative_slope", ctx.Float("alpha", 0.3));
  ctx.SetOutput(0, ctx.AddNode("LeakyRelu", {ctx.input(0)},
                               {Attribute::Float("alpha", static_cast<float>(alpha))}));
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertPReLU(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto alpha, ctx.WeightConst(0, "alpha"));
  ctx.SetOutput(0, ctx.AddNode("PRelu", {ctx.input(0), alpha}));
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertELU(LayerContext& ctx) {
  const double alpha = ctx.Float("alpha", 1.0);
  ctx.SetOutput(0, ctx.AddNode("Elu", {ctx.input(0)},
                               {Attribute::Float("alpha", static_cast<float>(alpha))}));
  ctx.PropagateMask();
  return absl::OkStatus();
}

absl::Status ConvertThresholdedReLU(LayerContext& ctx) {
  const double theta = ctx.Float("theta", 1.0);
  ctx.SetOutput(0, ctx.AddNode("ThresholdedRelu", {ctx.input(0)},
                               {Attribute::Float("alpha", static_cast<float>(theta))}));
  return absl::OkStatus();
}

absl::Status ConvertSoftmax(LayerContext& ctx) {
  if (!ctx.kwarg_inputs("mask").empty()) {
    return ctx.Unsupported("a mask passed to Softmax");
  }
  std::vector<int64_t> axes = {-1};
  if (ctx.has("axis")) {
    ASSIGN_OR_RETURN(auto a, ctx.Ints("axis", 0));
    axes = a;
  }
  const std::string x = ctx.input(0);
  if (axes.size() == 1) {
    ctx.SetOutput(0, ctx.AddNode("Softmax", {x}, {Attribute::Int("axis", axes[0])}));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto rank, ctx.InputRank(0));
  for (int64_t& a : axes) {
    ASSIGN_OR_RETURN(auto pa, NormalizeAxis(ctx, a, rank));
    a = pa;
  }
  // exp(x - logsumexp(x, axes))
  std::string lse = ctx.Reduce("ReduceLogSumExp", x, axes, true);
  ctx.SetOutput(0, ctx.AddNode("Exp", {ctx.AddNode("Sub", {x, lse})}));
  return absl::OkStatus();
}

// --- reshaping ---
absl::Status ConvertFlatten(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto channels_first, ctx.ChannelsFirst());
  std::string x = ctx.input(0);
  if (channels_first) {
    ASSIGN_OR_RETURN(auto rank, ctx.InputRank(0));
    if (rank > 2) x = ctx.ToChannelsLast(x, rank);
  }
  ctx.SetOutput(0, ctx.AddNode("Flatten", {x}, {Attribute::Int("axis", 1)}));
  return absl::OkStatus();
}

absl::Status ConvertReshape(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto target, ctx.Ints("target_shape", 0));
  std::vector<int64_t> shape = {0};  // 0: keep the batch dim
  for (int64_t d : target) {
    if (d == 0 || d < -1) return ctx.Error(absl::StrCat("bad target_shape entry ", d));
    shape.push_back(d);
  }
  ctx.SetOutput(0, ctx.Reshape(ctx.input(0), shape));
  return absl::OkStatus();
}

absl::Status ConvertPermute(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto dims, ctx.Ints("dims", 0));
  std::vector<int64_t> perm = {0};
  std::vector<bool> seen(dims.size() + 1, false);
  for (int64_t d : dims) {
    if (d < 1 || d > static_cast<int64_t>(dims.size()) || seen[d]) {
      return ctx.Error("dims is not a permutation of 1..n");
    }
    seen[d] = true;
    perm.push_back(d);
  }
  ctx.SetOutput(0, ctx.Transpose(ctx.input(0), perm));
  return absl::OkStatus();
}

absl::Status ConvertRepeatVector(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto n, ctx.RequiredInt("n"));
  std::string x = ctx.Unsqueeze(ctx.input(0), {1});
  ctx.SetOutput(0, ctx.AddNode("Expand", {x, ctx.ConstInt64s({1, n, 1}, "shape")}));
  return absl::OkStatus();
}

// --- preprocessing ---
absl::StatusOr<std::vector<double>> FloatList(const LayerContext& ctx, const char* key,
                                              double default_value) {
  const Json* v = ctx.cfg(key);
  if (v == nullptr) return std::vector<double>{default_value};
  auto list = AsDoubleList(*v);
  if (!list || list->empty()) return ctx.Error(absl::StrCat("bad '", key, "': ", DumpJson(*v)));
  return *list;
}

std::string VectorConst(LayerContext& ctx, const std::vector<double>& values, const std::string& hint) {
  std::vector<float> f(values.begin(), values.end());
  if (f.size() == 1) return ctx.ConstFloat(f[0], hint);
  return ctx.ConstFloats({static_cast<int64_t>(f.size())}, f, hint);
}

absl::Status ConvertRescaling(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto scale, FloatList(ctx, "scale", 1.0));
  ASSIGN_OR_RETURN(auto offset, FloatList(ctx, "offset", 0.0));
  std::string y = ctx.AddNode("Mul", {FloatInput(ctx, 0), VectorConst(ctx, scale, "scale")});
  if (!(offset.size() == 1 && offset[0] == 0.0)) {
    y = ctx.AddNode("Add", {y, VectorConst(ctx, offset, "offset")});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::Status ConvertNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto rank, ctx.InputRank(0));
  std::vector<int64_t> keep;
  if (ctx.has("axis")) {
    ASSIGN_OR_RETURN(auto axes, ctx.Ints("axis", 0));
    for (int64_t a : axes) {
      ASSIGN_OR_RETURN(auto pa, NormalizeAxis(ctx, a, rank));
      if (pa == 0) return ctx.Unsupported("normalizing along the batch axis");
      keep.push_back(pa);
    }
  } else if (!ctx.config().contains("axis")) {
    keep.push_back(rank - 1);  // default axis=-1; an explicit null keeps no axis
  }
  std::sort(keep.begin(), keep.end());
  std::vector<double> mean;
  std::vector<double> variance;
  std::vector<int64_t> stat_dims;
  if (ctx.has("mean") && ctx.has("variance")) {
    ASSIGN_OR_RETURN(auto m, FloatList(ctx, "mean", 0));
    ASSIGN_OR_RETURN(auto v, FloatList(ctx, "variance", 1));
    mean = m;
    variance = v;
  } else {
    ASSIGN_OR_RETURN(auto m, ctx.FloatWeight(0, "mean"));
    ASSIGN_OR_RETURN(auto v, ctx.FloatWeight(1, "variance"));
    ASSIGN_OR_RETURN(auto md, m.ToDoubles());
    ASSIGN_OR_RETURN(auto vd, v.ToDoubles());
    mean = md;
    variance = vd;
    stat_dims = m.dims();
  }
  if (mean.size() != variance.size()) return ctx.Error("mean and variance differ in size");
  // Broadcast shape: input dims at the kept axes, 1 elsewhere.
  std::vector<int64_t> bshape(rank, 1);
  auto dims = ctx.input_dims(0);
  int64_t expected = 1;
  for (size_t k = 0; k < keep.size(); ++k) {
    int64_t d = -1;
    if (stat_dims.size() == keep.size()) d = stat_dims[k];
    if (d < 0 && dims && (*dims)[keep[k]] >= 0) d = (*dims)[keep[k]];
    if (d < 0 && keep.size() == 1) d = static_cast<int64_t>(mean.size());
    if (d < 0) return ctx.Error("the dims of the normalized axes are unknown");
    bshape[keep[k]] = d;
    expected *= d;
  }
  if (static_cast<int64_t>(mean.size()) != expected) {
    if (mean.size() != 1) {
      return ctx.Error(absl::StrCat("mean has ", mean.size(), " values, expected ", expected));
    }
    mean.assign(expected, mean[0]);
    variance.assign(expected, variance[0]);
  }
  std::vector<float> m(mean.begin(), mean.end());
  std::vector<float> denom;
  for (double v : variance) {
    denom.push_back(std::max(static_cast<float>(std::sqrt(static_cast<float>(v))), 1e-7f));
  }
  std::string x = FloatInput(ctx, 0);
  std::string mc = ctx.ConstFloats(bshape, m, "mean");
  std::string dc = ctx.ConstFloats(bshape, denom, "stddev");
  if (ctx.Bool("invert", false)) {
    ctx.SetOutput(0, ctx.AddNode("Add", {mc, ctx.AddNode("Mul", {x, dc})}));
  } else {
    ctx.SetOutput(0, ctx.AddNode("Div", {ctx.AddNode("Sub", {x, mc}), dc}));
  }
  return absl::OkStatus();
}

// --- Embedding, Masking ---
absl::Status ConvertEmbedding(LayerContext& ctx) {
  if (ctx.num_weights() > 0 && !ir::IsFloating(ctx.weights()[0].value.dtype())) {
    return ctx.Unsupported("quantized embeddings");
  }
  ASSIGN_OR_RETURN(auto table, ctx.WeightConst(0, "embeddings"));
  std::string ids = ctx.input(0);
  const DataType t = ctx.input_dtype(0);
  if (t != DataType::kInt32 && t != DataType::kInt64) ids = ctx.Cast(ids, DataType::kInt64);
  ctx.SetOutput(0, ctx.AddNode("Gather", {table, ids}, {Attribute::Int("axis", 0)}));
  if (ctx.Bool("mask_zero", false)) {
    ctx.SetOutputMask(0, KerasMask{KerasMask::Kind::kNonZero, ctx.input(0), 0});
  }
  return absl::OkStatus();
}

absl::Status ConvertMasking(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto values, FloatList(ctx, "mask_value", 0.0));
  if (values.size() != 1) return ctx.Unsupported("a mask_value that is not a scalar");
  const std::string x = ctx.input(0);
  // Keras zeroes the masked steps: x * any(x != mask_value, axis=-1, keepdims).
  std::string differs = ctx.Cast(
      ctx.AddNode("Not", {ctx.AddNode("Equal", {x, ctx.ConstFloat(static_cast<float>(values[0]),
                                                                   "mask_value")})}),
      ctx.input_dtype(0) == DataType::kUndefined ? DataType::kFloat : ctx.input_dtype(0));
  std::string keep = ctx.Reduce("ReduceMax", differs, {-1}, true);
  ctx.SetOutput(0, ctx.AddNode("Mul", {x, keep}));
  ctx.SetOutputMask(0, KerasMask{KerasMask::Kind::kNotAllEqual, x, values[0]});
  return absl::OkStatus();
}

// --- merging ---
// Keras expands lower-rank inputs at axis 1 until the ranks agree.
absl::StatusOr<std::vector<std::string>> MergeInputs(LayerContext& ctx) {
  std::vector<std::string> xs;
  int max_rank = -1;
  bool all_known = true;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    auto r = ctx.input_rank(i);
    if (!r) all_known = false;
    else max_rank = std::max(max_rank, *r);
  }
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    std::string x = ctx.input(i);
    if (all_known && *ctx.input_rank(i) < max_rank) {
      std::vector<int64_t> axes;
      for (int k = 0; k < max_rank - *ctx.input_rank(i); ++k) axes.push_back(1);
      for (int64_t a : axes) x = ctx.Unsqueeze(x, {a});
    }
    xs.push_back(x);
  }
  return xs;
}

absl::Status ConvertElementwiseMerge(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto xs, MergeInputs(ctx));
  const std::string& cls = ctx.class_name();
  if (cls == "Subtract") {
    if (xs.size() != 2) return ctx.Error("Subtract takes exactly two inputs");
    ctx.SetOutput(0, ctx.AddNode("Sub", {xs[0], xs[1]}));
    return absl::OkStatus();
  }
  if (cls == "Maximum" || cls == "Minimum") {
    ctx.SetOutput(0, xs.size() == 1 ? xs[0] : ctx.AddNode(cls == "Maximum" ? "Max" : "Min", xs));
    return absl::OkStatus();
  }
  const std::string op = cls == "Multiply" ? "Mul" : "Add";
  std::string y = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) y = ctx.AddNode(op, {y, xs[i]});
  if (cls == "Average" && xs.size() > 1) {
    y = ctx.AddNode("Div", {y, ctx.ConstFloat(static_cast<float>(xs.size()), "count")});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::Status ConvertConcatenate(LayerContext& ctx) {
  const int64_t axis = ctx.Int("axis", -1);
  std::vector<std::string> xs;
  for (int i = 0; i < ctx.num_inputs(); ++i) xs.push_back(ctx.input(i));
  ctx.SetOutput(0, xs.size() == 1 ? xs[0]
                                  : ctx.AddNode("Concat", xs, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

std::string L2Normalize(LayerContext& ctx, const std::string& x, int64_t axis) {
  std::string sq = ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, x}), {axis}, true);
  std::string norm = ctx.AddNode("Sqrt", {ctx.AddNode("Max", {sq, ctx.ConstFloat(1e-12f, "eps")})});
  return ctx.AddNode("Div", {x, norm});
}

absl::Status ConvertDot(LayerContext& ctx) {
  ASSIGN_OR_RETURN(auto r0, ctx.InputRank(0));
  ASSIGN_OR_RETURN(auto r1, ctx.InputRank(1));
  ASSIGN_OR_RETURN(auto axes, ctx.Ints("axes", 2));
  ASSIGN_OR_RETURN(auto a0, NormalizeAxis(ctx, axes[0], r0));
  ASSIGN_OR_RETURN(auto a1, NormalizeAxis(ctx, axes[1], r1));
  std::string x = ctx.input(0);
  std::string y = ctx.input(1);
  if (ctx.Bool("normalize", false)) {
    x = L2Normalize(ctx, x, a0);
    y = L2Normalize(ctx, y, a1);
  }
  if (r0 == 2 && r1 == 2 && a0 == 1 && a1 == 1) {
    ctx.SetOutput(0, ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, y}), {1}, true));
    return absl::OkStatus();
  }
  if (r0 == 3 && r1 == 3 && a0 > 0 && a1 > 0) {
    // Contract x's axis a0 with y's a1: x' [b, n, d] @ y' [b, d, m].
    if (a0 == 1) x = ctx.Transpose(x, {0, 2, 1});
    if (a1 == 2) y = ctx.Transpose(y, {0, 2, 1});
    ctx.SetOutput(0, ctx.AddNode("MatMul", {x, y}));
    return absl::OkStatus();
  }
  return ctx.Unsupported(absl::StrCat("Dot of ranks ", r0, " and ", r1));
}

// The layer a wrapper holds in its config ("layer") and its handler.
absl::StatusOr<const LayerHandler*> WrappedLayer(LayerContext& ctx, KerasLayerSpec& spec) {
  const Json* inner = ctx.cfg("layer");
  const Json* inner_cls = inner ? Find(*inner, "class_name") : nullptr;
  const Json* inner_cfg = inner ? Find(*inner, "config") : nullptr;
  if (!inner_cls || !inner_cls->is_string() || !inner_cfg || !inner_cfg->is_object()) {
    return ctx.Error("config has no wrapped 'layer'");
  }
  spec.class_name = inner_cls->get<std::string>();
  spec.entry = inner;
  spec.config = inner_cfg;
  spec.name = "layer";
  if (const Json* n = Find(*inner_cfg, "name"); n && n->is_string()) spec.name = n->get<std::string>();
  if (const Json* m = Find(*inner, "module"); m && m->is_string()) spec.module = m->get<std::string>();
  const LayerHandler* inner_handler = LayerRegistry::Global().Find(spec.class_name);
  if (inner_handler == nullptr || spec.class_name == ctx.class_name()) {
    return ctx.Unsupported(absl::StrCat("wrapping a ", spec.class_name, " layer"));
  }
  return inner_handler;
}

// --- SpectralNormalization: at inference the wrapped layer with its stored
// kernel (training rewrites the kernel to kernel / sigma in place); the
// wrapper's own variables (vector_u, and the kernel again in .keras) are dropped.
absl::Status ConvertSpectralNormalization(LayerContext& ctx) {
  KerasLayerSpec spec;
  ASSIGN_OR_RETURN(const LayerHandler* inner_handler, WrappedLayer(ctx, spec));
  std::vector<KerasWeight> weights;
  for (const KerasWeight& w : ctx.weights()) {
    if (absl::StartsWith(w.name, "layer/")) {
      weights.push_back({w.name.substr(6), w.value});  // .keras: layer/vars/N
    } else if (!absl::StartsWith(w.name, "vars/") && !absl::EndsWith(w.name, "vector_u") &&
               !absl::EndsWith(w.name, "vector_u:0")) {
      weights.push_back(w);  // .h5: <wrapper>/<layer>/kernel
    }
  }
  InboundNode node;
  LayerContext inner_ctx(spec, node, 0, ctx.name() + "/" + spec.name, {ctx.input(0)}, {}, {},
                         &weights, &ctx.env());
  RETURN_IF_ERROR(RunLayerHandler(*inner_handler, inner_ctx));
  if (inner_ctx.outputs().empty() || inner_ctx.outputs()[0].empty()) {
    return ctx.Error("the wrapped layer produced no output");
  }
  ctx.SetOutput(0, inner_ctx.outputs()[0]);
  return absl::OkStatus();
}

// --- TimeDistributed: the wrapped layer on [batch * steps, ...] ---
absl::Status ConvertTimeDistributed(LayerContext& ctx) {
  KerasLayerSpec spec;
  ASSIGN_OR_RETURN(const LayerHandler* inner_handler, WrappedLayer(ctx, spec));
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank < 3) return ctx.Error("expects an input of rank >= 3 (batch, steps, ...)");
  const std::string x = ctx.input(0);
  const std::vector<int64_t> dims = *ctx.input_dims(0);
  const std::string shape = ctx.AddNode("Shape", {x});
  auto slice = [&](const std::string& v, int64_t start, int64_t end) {
    return ctx.AddNode("Slice", {v, ctx.ConstInt64s({start}, "start"), ctx.ConstInt64s({end}, "end")});
  };
  // [batch, steps, d...] -> [batch * steps, d...]
  std::vector<int64_t> merged_dims = {-1};
  bool static_rest = true;
  for (int a = 2; a < rank; ++a) {
    merged_dims.push_back(dims[a]);
    static_rest &= dims[a] >= 0;
  }
  std::string merged;
  if (static_rest) {
    merged = ctx.Reshape(x, merged_dims);
  } else {
    merged = ctx.AddNode("Reshape", {x, ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "minus_one"),
                                                             slice(shape, 2, INT64_MAX)},
                                                  {Attribute::Int("axis", 0)})});
  }
  ir::ValueType merged_type;
  merged_type.dtype = ctx.input_dtype(0);
  merged_type.shape.emplace();
  for (int64_t d : merged_dims) merged_type.shape->push_back(ir::Dim{d, ""});
  ctx.builder().SetType(merged, merged_type);
  InboundNode node;
  LayerContext inner_ctx(spec, node, 0, ctx.name() + "/" + spec.name, {merged}, {}, {},
                         &ctx.weights(), &ctx.env());
  RETURN_IF_ERROR(RunLayerHandler(*inner_handler, inner_ctx));
  if (inner_ctx.outputs().empty() || inner_ctx.outputs()[0].empty()) {
    return ctx.Error("the wrapped layer produced no output");
  }
  const std::string y = inner_ctx.outputs()[0];
  const ir::ValueType y_type = ctx.builder().TypeOf(y);
  const std::string out_shape =
      ctx.AddNode("Concat", {slice(shape, 0, 2), slice(ctx.AddNode("Shape", {y}), 1, INT64_MAX)},
                  {Attribute::Int("axis", 0)});
  const std::string out = ctx.AddNode("Reshape", {y, out_shape});
  if (y_type.shape) {
    ir::ValueType t;
    t.dtype = y_type.dtype;
    t.shape = std::vector<ir::Dim>{ir::Dim{dims[0], ""}, ir::Dim{dims[1], ""}};
    for (size_t a = 1; a < y_type.shape->size(); ++a) t.shape->push_back((*y_type.shape)[a]);
    ctx.builder().SetType(out, t);
  }
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

}  // namespace

void RegisterCoreLayers(LayerRegistry& r) {
  r.Register({"SpectralNormalization"}, Inputs(1), ConvertSpectralNormalization,
             "the wrapped layer with its stored kernel (inference)");
  r.Register({"TimeDistributed"}, Inputs(1), ConvertTimeDistributed,
             "wraps any registered layer but TimeDistributed; input rank >= 3");
  r.Register({"InputLayer"}, Inputs(1), ConvertInputLayer);
  r.Register({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
              "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
              "Identity", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
              "RandomContrast", "RandomBrightness"},
             Inputs(1), ConvertPassThrough, "identity at inference");
  r.Register({"Dense"}, Inputs(1), ConvertDense, "no quantized (int8/int4) kernels");
  r.Register({"Activation"}, Inputs(1), ConvertActivation,
             "built-in activations by name; not custom Python functions");
  r.Register({"ReLU"}, Inputs(1), ConvertReLU);
  r.Register({"LeakyReLU"}, Inputs(1), ConvertLeakyReLU);
  r.Register({"PReLU"}, Inputs(1), ConvertPReLU);
  r.Register({"ELU"}, Inputs(1), ConvertELU);
  r.Register({"ThresholdedReLU"}, Inputs(1), ConvertThresholdedReLU);
  r.Register({"Softmax"}, Inputs(1), ConvertSoftmax, "no mask argument");
  r.Register({"Flatten"}, Inputs(1), ConvertFlatten);
  r.Register({"Reshape"}, Inputs(1), ConvertReshape);
  r.Register({"Permute"}, Inputs(1), ConvertPermute);
  r.Register({"RepeatVector"}, Inputs(1), ConvertRepeatVector);
  r.Register({"Rescaling"}, Inputs(1), ConvertRescaling);
  r.Register({"Normalization"}, Inputs(1), ConvertNormalization,
             "not along the batch axis");
  r.Register({"Embedding"}, Inputs(1), ConvertEmbedding,
             "mask_zero=True yields a mask; no quantized embeddings");
  r.Register({"Masking"}, Inputs(1), ConvertMasking, "scalar mask_value");
  r.Register({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}, InputsAtLeast(1),
             ConvertElementwiseMerge);
  r.Register({"Concatenate"}, InputsAtLeast(1), ConvertConcatenate);
  r.Register({"Dot"}, Inputs(2), ConvertDot, "two rank-2 or two rank-3 inputs, not along the batch axis");
}

}  // namespace onnxsmith::converter::keras

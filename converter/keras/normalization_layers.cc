// Keras normalization layers: BatchNormalization (inference: moving
// statistics folded into a per-channel Mul + Add, which the optimizer folds
// into a preceding Conv), LayerNormalization (ONNX LayerNormalization at
// opset >= 17 when the axes are trailing, else decomposed),
// UnitNormalization and GroupNormalization.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/graph_builder.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;

// The layer's axes as sorted positive axes of a rank-`rank` input (the batch
// axis excluded).
absl::StatusOr<std::vector<int64_t>> Axes(LayerContext& ctx, int rank) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.Ints("axis", 0, {-1}));
  for (int64_t& a : axes) {
    const int64_t p = a < 0 ? a + rank : a;
    if (p <= 0 || p >= rank) {
      return ctx.Error(absl::StrCat("axis ", a, " is out of range for a rank-", rank,
                                    " input (or is the batch axis)"));
    }
    a = p;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

// Dims that broadcast a parameter over `axes` against a rank-`rank` tensor:
// right-aligned, from the first axis on (1 where not normalized).
std::vector<int64_t> BroadcastDims(const std::vector<int64_t>& axes,
                                   const std::vector<int64_t>& param_dims, int rank) {
  std::vector<int64_t> dims;
  size_t k = 0;
  for (int a = static_cast<int>(axes.front()); a < rank; ++a) {
    if (k < axes.size() && axes[k] == a) {
      dims.push_back(k < param_dims.size() ? param_dims[k] : 1);
      ++k;
    } else {
      dims.push_back(1);
    }
  }
  return dims;
}

int64_t Product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// The parameter dims at `axes`: from a weight if there is one, else the input.
absl::StatusOr<std::vector<int64_t>> ParamDims(LayerContext& ctx, const std::vector<int64_t>& axes,
                                               const ir::Tensor* weight) {
  auto in = ctx.input_dims(0);
  std::vector<int64_t> dims;
  for (size_t k = 0; k < axes.size(); ++k) {
    int64_t d = -1;
    if (weight != nullptr) {
      if (weight->rank() == static_cast<int>(axes.size())) {
        d = weight->dims()[k];
      } else if (axes.size() == 1) {
        d = weight->num_elements();
      }
    }
    if (d < 0 && in) d = (*in)[axes[k]];
    if (d < 0) return ctx.Error("the size of the normalized axes is unknown");
    dims.push_back(d);
  }
  return dims;
}

// --- BatchNormalization ---
absl::Status ConvertBatchNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, rank));
  const bool scale = ctx.Bool("scale", true);
  const bool center = ctx.Bool("center", true);
  const double epsilon = ctx.Float("epsilon", 1e-3);
  if (ctx.Bool("renorm", false)) {
    // Renorm only changes training; inference uses the moving statistics.
  }
  // Weights: [gamma], [beta], moving_mean, moving_variance (names decide when the file has them).
  int index = 0;
  auto pick = [&](const char* name, bool present) -> absl::StatusOr<std::optional<ir::Tensor>> {
    if (!present) return std::optional<ir::Tensor>();
    const int i = index++;
    if (const KerasWeight* w = ctx.FindWeight(name)) {
      auto cast = w->value.CastTo(ir::DataType::kFloat);
      if (!cast.ok()) return ctx.Error(absl::StrCat(name, ": ", cast.status().message()));
      return std::optional<ir::Tensor>(*std::move(cast));
    }
    ASSIGN_OR_RETURN(ir::Tensor t, ctx.FloatWeight(i, name));
    return std::optional<ir::Tensor>(std::move(t));
  };
  ASSIGN_OR_RETURN(auto gamma, pick("gamma", scale));
  ASSIGN_OR_RETURN(auto beta, pick("beta", center));
  ASSIGN_OR_RETURN(auto mean, pick("moving_mean", true));
  ASSIGN_OR_RETURN(auto var, pick("moving_variance", true));
  const int64_t n = mean->num_elements();
  for (const auto* t : {&gamma, &beta, &var}) {
    if (t->has_value() && (*t)->num_elements() != n) {
      return ctx.Error("gamma, beta, moving_mean and moving_variance differ in size");
    }
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> pdims, ParamDims(ctx, axes, &*mean));
  if (Product(pdims) != n) return ctx.Error("the statistics do not match the normalized axes");
  auto m = mean->data<float>();
  auto v = var->data<float>();
  std::vector<float> mul(n), add(n);
  for (int64_t c = 0; c < n; ++c) {
    // As TF's batch_normalization: inv = rsqrt(var + eps) * gamma; x * inv + (beta - mean * inv).
    float inv = 1.0f / std::sqrt(v[c] + static_cast<float>(epsilon));
    if (gamma) inv *= gamma->data<float>()[c];
    mul[c] = inv;
    add[c] = (beta ? beta->data<float>()[c] : 0.0f) - m[c] * inv;
  }
  const std::vector<int64_t> bdims = BroadcastDims(axes, pdims, rank);
  ASSIGN_OR_RETURN(std::string mul_c, ctx.CachedConst("bn_scale", [&]() -> absl::StatusOr<ir::Tensor> {
    return ir::Tensor::FromVector<float>(bdims, mul);
  }));
  ASSIGN_OR_RETURN(std::string add_c, ctx.CachedConst("bn_shift", [&]() -> absl::StatusOr<ir::Tensor> {
    return ir::Tensor::FromVector<float>(bdims, add);
  }));
  std::string y = ctx.AddNode("Add", {ctx.AddNode("Mul", {ctx.input(0), mul_c}), add_c});
  ctx.SetOutput(0, y);
  ctx.PropagateMask();
  return absl::OkStatus();
}

// --- LayerNormalization ---
absl::Status ConvertLayerNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, rank));
  if (ctx.Bool("rms_scaling", false)) return ctx.Unsupported("rms_scaling=True");
  const bool scale = ctx.Bool("scale", true);
  const bool center = ctx.Bool("center", true);
  const float epsilon = static_cast<float>(ctx.Float("epsilon", 1e-3));
  int index = 0;
  std::optional<ir::Tensor> gamma, beta;
  if (scale) {
    const KerasWeight* w = ctx.FindWeight("gamma");
    ASSIGN_OR_RETURN(gamma, w ? w->value.CastTo(ir::DataType::kFloat) : ctx.FloatWeight(index, "gamma"));
    ++index;
  }
  if (center) {
    const KerasWeight* w = ctx.FindWeight("beta");
    ASSIGN_OR_RETURN(beta, w ? w->value.CastTo(ir::DataType::kFloat) : ctx.FloatWeight(index, "beta"));
    ++index;
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> pdims,
                   ParamDims(ctx, axes, gamma ? &*gamma : (beta ? &*beta : nullptr)));
  const int64_t n = Product(pdims);
  for (const auto* t : {&gamma, &beta}) {
    if (t->has_value() && (*t)->num_elements() != n) {
      return ctx.Error("gamma/beta do not match the normalized axes");
    }
  }
  bool trailing = true;
  for (size_t k = 0; k < axes.size(); ++k) {
    trailing &= axes[k] == rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(k);
  }
  const std::string x = ctx.input(0);
  if (ctx.opset() >= 17 && trailing) {
    ASSIGN_OR_RETURN(std::string g, ctx.CachedConst("ln_scale", [&]() -> absl::StatusOr<ir::Tensor> {
      if (gamma) return gamma->Reshaped(pdims);
      return ir::Tensor::FromVector<float>(pdims, std::vector<float>(n, 1.0f));
    }));
    std::vector<std::string> inputs = {x, g};
    if (beta) {
      ASSIGN_OR_RETURN(std::string b, ctx.CachedConst("ln_bias", [&]() { return beta->Reshaped(pdims); }));
      inputs.push_back(b);
    }
    ctx.SetOutput(0, ctx.AddNode("LayerNormalization", std::move(inputs),
                                 {Attribute::Int("axis", axes.front()),
                                  Attribute::Float("epsilon", epsilon)}));
    ctx.PropagateMask();
    return absl::OkStatus();
  }
  // (x - mean) / sqrt(var + eps) * gamma + beta over `axes`.
  std::string mean = ctx.Reduce("ReduceMean", x, axes, true);
  std::string d = ctx.AddNode("Sub", {x, mean});
  std::string var = ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {d, d}), axes, true);
  std::string denom = ctx.AddNode("Sqrt", {ctx.AddNode("Add", {var, ctx.ConstFloat(epsilon, "epsilon")})});
  std::string y = ctx.AddNode("Div", {d, denom});
  const std::vector<int64_t> bdims = BroadcastDims(axes, pdims, rank);
  if (gamma) {
    ASSIGN_OR_RETURN(std::string g, ctx.CachedConst("ln_scale_b", [&]() { return gamma->Reshaped(bdims); }));
    y = ctx.AddNode("Mul", {y, g});
  }
  if (beta) {
    ASSIGN_OR_RETURN(std::string b, ctx.CachedConst("ln_bias_b", [&]() { return beta->Reshaped(bdims); }));
    y = ctx.AddNode("Add", {y, b});
  }
  ctx.SetOutput(0, y);
  ctx.PropagateMask();
  return absl::OkStatus();
}

// --- UnitNormalization: x / ||x|| over the axes ---
absl::Status ConvertUnitNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, rank));
  const std::string x = ctx.input(0);
  std::string sq = ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, x}), axes, true);
  std::string denom;
  if (ctx.keras_major() >= 3) {
    denom = ctx.AddNode("Max", {ctx.AddNode("Sqrt", {sq}), ctx.ConstFloat(1e-12f, "epsilon")});
  } else {
    denom = ctx.AddNode("Sqrt", {ctx.AddNode("Max", {sq, ctx.ConstFloat(1e-12f, "epsilon")})});
  }
  ctx.SetOutput(0, ctx.AddNode("Div", {x, denom}));
  return absl::OkStatus();
}

// --- RMSNormalization: x * rsqrt(mean(x^2, axes) + epsilon) * scale ---
absl::Status ConvertRMSNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, rank));
  const std::string x = ctx.input(0);
  const std::string ms = ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {x, x}), axes, true);
  const std::string rrms = ctx.AddNode(
      "Reciprocal",
      {ctx.AddNode("Sqrt", {ctx.AddNode("Add", {ms, ctx.ConstFloat(static_cast<float>(
                                                        ctx.Float("epsilon", 1e-6)), "epsilon")})})});
  std::string y = ctx.AddNode("Mul", {x, rrms});
  if (ctx.num_weights() > 0) {
    ASSIGN_OR_RETURN(ir::Tensor scale, ctx.FloatWeight(0, "scale"));
    ASSIGN_OR_RETURN(std::vector<int64_t> pdims, ParamDims(ctx, axes, &scale));
    if (Product(pdims) != scale.num_elements()) return ctx.Error("scale does not match the axes");
    const std::vector<int64_t> bdims = BroadcastDims(axes, pdims, rank);
    ASSIGN_OR_RETURN(std::string c, ctx.CachedConst("rms_scale", [&]() -> absl::StatusOr<ir::Tensor> {
      return scale.Reshaped(bdims);
    }));
    y = ctx.AddNode("Mul", {y, c});
  }
  ctx.SetOutput(0, y);
  ctx.PropagateMask();
  return absl::OkStatus();
}

// --- GroupNormalization (channels last) ---
absl::Status ConvertGroupNormalization(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, rank));
  if (axes.size() != 1 || axes[0] != rank - 1) {
    return ctx.Unsupported("GroupNormalization on an axis other than the last");
  }
  auto dims = ctx.input_dims(0);
  const int64_t channels = dims ? dims->back() : -1;
  const int64_t groups = ctx.Int("groups", 32);
  if (channels <= 0 || groups <= 0 || channels % groups != 0) {
    return ctx.Error("needs a known channel count divisible by groups");
  }
  const bool scale = ctx.Bool("scale", true);
  const bool center = ctx.Bool("center", true);
  const float epsilon = static_cast<float>(ctx.Float("epsilon", 1e-3));
  const std::string x = ctx.input(0);
  std::vector<int64_t> grouped(rank - 1, 0);
  grouped.push_back(groups);
  grouped.push_back(channels / groups);
  std::string xg = ctx.Reshape(x, grouped);
  std::vector<int64_t> red;
  for (int a = 1; a <= rank; ++a) {
    if (a != rank - 1) red.push_back(a);
  }
  std::string mean = ctx.Reduce("ReduceMean", xg, red, true);
  std::string d = ctx.AddNode("Sub", {xg, mean});
  std::string var = ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {d, d}), red, true);
  std::string y = ctx.AddNode(
      "Div", {d, ctx.AddNode("Sqrt", {ctx.AddNode("Add", {var, ctx.ConstFloat(epsilon, "epsilon")})})});
  y = ctx.AddNode("Reshape", {y, ctx.AddNode("Shape", {x})});
  int index = 0;
  if (scale) {
    ASSIGN_OR_RETURN(std::string g, ctx.WeightConst(index++, "gamma"));
    y = ctx.AddNode("Mul", {y, g});
  }
  if (center) {
    ASSIGN_OR_RETURN(std::string b, ctx.WeightConst(index++, "beta"));
    y = ctx.AddNode("Add", {y, b});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterNormalizationLayers(LayerRegistry& r) {
  r.Register({"BatchNormalization", "BatchNormalizationV1", "BatchNormalizationV2",
              "SyncBatchNormalization"},
             Inputs(1), ConvertBatchNormalization, "inference: moving statistics");
  r.Register({"LayerNormalization"}, Inputs(1), ConvertLayerNormalization,
             "ONNX LayerNormalization at opset >= 17 on trailing axes, else decomposed; "
             "no rms_scaling");
  r.Register({"UnitNormalization"}, Inputs(1), ConvertUnitNormalization);
  r.Register({"RMSNormalization"}, Inputs(1), ConvertRMSNormalization);
  r.Register({"GroupNormalization"}, Inputs(1), ConvertGroupNormalization, "last axis only");
}

}  // namespace onnxsmith::converter::keras

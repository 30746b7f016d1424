// Quantization ops: QuantizeLinear, DequantizeLinear (per-tensor and
// per-axis), DynamicQuantizeLinear. (MatMulInteger lives with MatMul in
// matmul.cc.)
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

// Per-element index into a per-tensor (size 1) or per-axis parameter.
struct ParamIndex {
  int64_t inner = 1, n = 1;  // param index = (i / inner) % n
  bool per_axis = false;
  int64_t operator()(int64_t i) const { return per_axis ? (i / inner) % n : 0; }
};

absl::StatusOr<ParamIndex> MakeParamIndex(KernelContext& ctx, const Array& x, const Array& p) {
  ParamIndex pi;
  if (p.size() == 1) return pi;
  if (p.rank() != 1) return ctx.Unsupported("blocked quantization (parameters of rank > 1)");
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 1), x.rank()));
  if (p.size() != x.dims()[axis]) {
    return ctx.Error("per-axis parameters have ", p.size(), " values for an axis of size ",
                     x.dims()[axis]);
  }
  pi.per_axis = true;
  pi.n = p.size();
  pi.inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
  return pi;
}

absl::Status QuantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& scale = ctx.input(1);
  const Array* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  DataType out_type = zp ? zp->dtype() : DataType::kUint8;
  if (!zp && ctx.HasAttr("output_dtype")) out_type = static_cast<DataType>(ctx.GetInt("output_dtype", 2));
  ASSIGN_OR_RETURN(ParamIndex pi, MakeParamIndex(ctx, x, scale));
  ASSIGN_OR_RETURN(std::vector<double> sv, ToDoubleVector(scale));
  std::vector<int64_t> zv(scale.size(), 0);
  if (zp) {
    if (zp->size() != scale.size()) return ctx.Error("zero point and scale sizes differ");
    ASSIGN_OR_RETURN(zv, ToInt64Vector(*zp));
  }
  ASSIGN_OR_RETURN(std::vector<double> xv, ToDoubleVector(x));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, out_type, x.dims()));
  return Dispatch<kIntTypes>(out_type, "QuantizeLinear", [&](auto tag) -> absl::Status {
    using Q = typename decltype(tag)::type;
    Q* y = out->mutable_data<Q>();
    const double lo = std::numeric_limits<Q>::lowest(), hi = std::numeric_limits<Q>::max();
    const bool f32 = x.dtype() == DataType::kFloat;
    for (int64_t i = 0; i < x.size(); ++i) {
      const int64_t k = pi(i);
      double q;
      if (f32) {
        q = std::nearbyint(static_cast<float>(xv[i]) / static_cast<float>(sv[k]));
      } else {
        q = std::nearbyint(xv[i] / sv[k]);
      }
      y[i] = static_cast<Q>(std::clamp(q + static_cast<double>(zv[k]), lo, hi));
    }
    return absl::OkStatus();
  });
}

absl::Status DequantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& scale = ctx.input(1);
  const Array* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  ASSIGN_OR_RETURN(ParamIndex pi, MakeParamIndex(ctx, x, scale));
  ASSIGN_OR_RETURN(std::vector<int64_t> xv, ToInt64Vector(x));
  std::vector<int64_t> zv(scale.size(), 0);
  if (zp) {
    if (zp->size() != scale.size()) return ctx.Error("zero point and scale sizes differ");
    ASSIGN_OR_RETURN(zv, ToInt64Vector(*zp));
  }
  return Dispatch<kFloatTypes>(scale.dtype(), "DequantizeLinear", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, scale.dtype(), x.dims()));
    const T* s = scale.data<T>();
    T* y = out->mutable_data<T>();
    for (int64_t i = 0; i < x.size(); ++i) {
      const int64_t k = pi(i);
      y[i] = static_cast<T>(static_cast<T>(xv[i] - zv[k]) * s[k]);
    }
    return absl::OkStatus();
  });
}

absl::Status DynamicQuantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat) return ctx.Error("input must be float32");
  const float* xp = x.data<float>();
  float mn = 0, mx = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    mn = std::min(mn, xp[i]);
    mx = std::max(mx, xp[i]);
  }
  const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  const float zpf = std::clamp(std::nearbyint(0.0f - mn / scale), 0.0f, 255.0f);
  const uint8_t zp = static_cast<uint8_t>(zpf);
  ASSIGN_OR_RETURN(Array * y, ctx.Allocate(0, DataType::kUint8, x.dims()));
  for (int64_t i = 0; i < x.size(); ++i) {
    const float q = std::nearbyint(xp[i] / scale) + zp;
    y->mutable_data<uint8_t>()[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
  }
  if (ctx.has_output(1)) {
    ASSIGN_OR_RETURN(Array * s, ctx.Allocate(1, DataType::kFloat, {}));
    s->mutable_data<float>()[0] = scale;
  }
  if (ctx.has_output(2)) {
    ASSIGN_OR_RETURN(Array * z, ctx.Allocate(2, DataType::kUint8, {}));
    z->mutable_data<uint8_t>()[0] = zp;
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterQuantKernels(KernelRegistry& r) {
  r.Register("QuantizeLinear", QuantizeKernel);
  r.Register("DequantizeLinear", DequantizeKernel);
  r.Register("DynamicQuantizeLinear", DynamicQuantizeKernel);
}

}  // namespace onnxsmith::evaluator

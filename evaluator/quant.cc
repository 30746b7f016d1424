// Quantization ops: QuantizeLinear, DequantizeLinear (per-tensor and
// per-axis; opsets 10, 13, 19, 21), DynamicQuantizeLinear. Arithmetic follows
// ONNX Runtime's (float32 divide, round half to even, add the zero point,
// saturate), so that integer outputs match it exactly. The integer products
// (MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv) live in
// matmul.cc and quant_linear.cc.
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
  if (p.rank() == 0 || (p.rank() == 1 && p.size() == 1 && ctx.opset() < 13)) return pi;
  if (p.rank() != 1) return ctx.Unsupported("blocked quantization (parameters of rank > 1)");
  if (ctx.GetInt("block_size", 0) != 0) return ctx.Unsupported("blocked quantization (block_size)");
  if (ctx.opset() < 13 && p.size() != 1) {
    return ctx.Error("per-axis parameters need opset 13 (model opset ", ctx.opset(), ")");
  }
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", 1), x.rank()));
  if (p.size() != x.dims()[axis]) {
    if (p.size() == 1) return pi;
    return ctx.Error("per-axis parameters have ", p.size(), " values for axis ", axis,
                     " of size ", x.dims()[axis]);
  }
  pi.per_axis = true;
  pi.n = p.size();
  pi.inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
  return pi;
}

// The zero points as int64 (zeros when omitted), checked against the scale.
absl::StatusOr<std::vector<int64_t>> ZeroPoints(KernelContext& ctx, const Array& scale,
                                                const Array* zp) {
  if (!zp) return std::vector<int64_t>(scale.size(), 0);
  if (zp->size() != scale.size()) {
    return ctx.Error("zero point has ", zp->size(), " values, scale ", scale.size());
  }
  return ToInt64Vector(*zp);
}

template <typename Q, typename X>
void QuantizeValues(const X* x, int64_t n, const ParamIndex& pi, const std::vector<float>& s,
                    const std::vector<int64_t>& z, Q* y, bool parallel) {
  const float lo = static_cast<float>(std::numeric_limits<Q>::lowest());
  const float hi = static_cast<float>(std::numeric_limits<Q>::max());
  ParallelFor(n, 4, parallel, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t k = pi(i);
      // float / float then nearbyint (round half to even, the default mode).
      float q = std::nearbyint(static_cast<float>(x[i]) / s[k]) + static_cast<float>(z[k]);
      q = std::isnan(q) ? 0.0f : std::clamp(q, lo, hi);
      y[i] = static_cast<Q>(q);
    }
  });
}

absl::Status QuantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& scale = ctx.input(1);
  const Array* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  DataType out_type = zp ? zp->dtype() : DataType::kUint8;
  if (!zp && ctx.HasAttr("output_dtype")) out_type = static_cast<DataType>(ctx.GetInt("output_dtype", 2));
  ASSIGN_OR_RETURN(ParamIndex pi, MakeParamIndex(ctx, x, scale));
  ASSIGN_OR_RETURN(std::vector<double> sd, ToDoubleVector(scale));
  std::vector<float> sv(sd.begin(), sd.end());
  ASSIGN_OR_RETURN(std::vector<int64_t> zv, ZeroPoints(ctx, scale, zp));
  if (out_type != DataType::kInt8 && out_type != DataType::kUint8 &&
      out_type != DataType::kInt16 && out_type != DataType::kUint16) {
    return ctx.Unsupported("QuantizeLinear to ", ir::DataTypeName(out_type));
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, out_type, x.dims()));
  return Dispatch<kIntTypes>(out_type, "QuantizeLinear", [&](auto tag) -> absl::Status {
    using Q = typename decltype(tag)::type;
    if constexpr (sizeof(Q) <= 2) {
      Q* y = out->mutable_data<Q>();
      if (x.dtype() == DataType::kFloat) {
        QuantizeValues<Q>(x.data<float>(), x.size(), pi, sv, zv, y, ctx.parallel());
      } else {
        ASSIGN_OR_RETURN(std::vector<double> xv, ToDoubleVector(x));
        QuantizeValues<Q>(xv.data(), x.size(), pi, sv, zv, y, ctx.parallel());
      }
      return absl::OkStatus();
    } else {
      return ctx.Unsupported("QuantizeLinear to a 32/64-bit type");
    }
  });
}

absl::Status DequantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& scale = ctx.input(1);
  const Array* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (zp && zp->dtype() != x.dtype()) return ctx.Error("zero point type differs from x's");
  ASSIGN_OR_RETURN(ParamIndex pi, MakeParamIndex(ctx, x, scale));
  ASSIGN_OR_RETURN(std::vector<int64_t> zv, ZeroPoints(ctx, scale, zp));
  return Dispatch<kFloatTypes>(scale.dtype(), "DequantizeLinear", [&](auto stag) -> absl::Status {
    using T = typename decltype(stag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, scale.dtype(), x.dims()));
    const T* s = scale.data<T>();
    T* y = out->mutable_data<T>();
    return Dispatch<kIntTypes>(x.dtype(), "DequantizeLinear", [&](auto xtag) -> absl::Status {
      using X = typename decltype(xtag)::type;
      const X* xp = x.data<X>();
      ParallelFor(x.size(), 2, ctx.parallel(), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          const int64_t k = pi(i);
          // (x - zp) in integers, then one rounding to T, then the product.
          y[i] = static_cast<T>(static_cast<T>(static_cast<int64_t>(xp[i]) - zv[k]) * s[k]);
        }
      });
      return absl::OkStatus();
    });
  });
}

absl::Status DynamicQuantizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat) return ctx.Error("input must be float32");
  const float* xp = x.data<float>();
  // The range always holds 0 so that it is exact.
  float mn = 0, mx = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    mn = std::min(mn, xp[i]);
    mx = std::max(mx, xp[i]);
  }
  const float scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  const float zpf = std::nearbyint(std::clamp(0.0f - mn / scale, 0.0f, 255.0f));
  const uint8_t zp = static_cast<uint8_t>(zpf);
  ASSIGN_OR_RETURN(Array * y, ctx.Allocate(0, DataType::kUint8, x.dims()));
  QuantizeValues<uint8_t>(xp, x.size(), ParamIndex{}, {scale}, {zp}, y->mutable_data<uint8_t>(),
                          ctx.parallel());
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

// quant_linear.cc (declared here: kernel.h lists one registration per family).
void RegisterQLinearKernels(KernelRegistry& r);

void RegisterQuantKernels(KernelRegistry& r) {
  r.Register("QuantizeLinear", QuantizeKernel);
  r.Register("DequantizeLinear", DequantizeKernel);
  r.Register("DynamicQuantizeLinear", DynamicQuantizeKernel);
  RegisterQLinearKernels(r);
}

}  // namespace onnxsmith::evaluator

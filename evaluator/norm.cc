// Normalization and softmax: BatchNormalization (inference), Instance-
// Normalization, LayerNormalization, Softmax / LogSoftmax / Hardmax (opset
// < 13: 2-D coercion at axis; >= 13: one axis), LRN.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

absl::Status BatchNormKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(5));
  if (ctx.GetInt("training_mode", 0) != 0) {
    return ctx.Unsupported("BatchNormalization in training mode");
  }
  const Array& x = ctx.input(0);
  if (x.rank() < 2) return ctx.Error("X must have rank >= 2");
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t inner = C == 0 || N == 0 ? 0 : x.size() / (N * C);
  for (int i = 1; i < 5; ++i) {
    if (ctx.input(i).size() != C) {
      return ctx.Error("input ", i, " must have ", C, " elements, has shape ",
                       DimsToString(ctx.input(i).dims()));
    }
    if (ctx.input(i).dtype() != x.dtype()) return ctx.Error("input ", i, " has another type");
  }
  const float eps = ctx.GetFloat("epsilon", 1e-5f);
  return Dispatch<kFloatTypes>(x.dtype(), "BatchNormalization", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    const T* scale = ctx.input(1).data<T>();
    const T* bias = ctx.input(2).data<T>();
    const T* mean = ctx.input(3).data<T>();
    const T* var = ctx.input(4).data<T>();
    std::vector<T> a(C), b(C);
    for (int64_t c = 0; c < C; ++c) {
      // As ONNX Runtime: y = x * (scale / sqrt(var + eps)) + (bias - mean * that).
      const T inv_std = T(1) / std::sqrt(var[c] + static_cast<T>(eps));
      a[c] = scale[c] * inv_std;
      b[c] = bias[c] - mean[c] * a[c];
    }
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    ParallelFor(N * C, static_cast<double>(inner), ctx.parallel(), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t c = t % C;
        const T* p = xp + t * inner;
        T* q = yp + t * inner;
        for (int64_t i = 0; i < inner; ++i) q[i] = p[i] * a[c] + b[c];
      }
    });
    return absl::OkStatus();
  });
}

absl::Status InstanceNormKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const Array& x = ctx.input(0);
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3");
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t inner = N * C == 0 ? 0 : x.size() / (N * C);
  if (ctx.input(1).size() != C || ctx.input(2).size() != C) {
    return ctx.Error("scale and B must have ", C, " elements");
  }
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  return Dispatch<kFloatTypes>(x.dtype(), "InstanceNormalization", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    const T* scale = ctx.input(1).data<T>();
    const T* bias = ctx.input(2).data<T>();
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    ParallelFor(N * C, 3.0 * inner, ctx.parallel(), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t c = t % C;
        const T* p = xp + t * inner;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < inner; ++i) mean += p[i];
        mean /= static_cast<double>(inner);
        for (int64_t i = 0; i < inner; ++i) var += (p[i] - mean) * (p[i] - mean);
        var /= static_cast<double>(inner);
        const double inv = 1.0 / std::sqrt(var + eps);
        T* q = yp + t * inner;
        for (int64_t i = 0; i < inner; ++i) {
          q[i] = static_cast<T>((p[i] - mean) * inv * scale[c] + bias[c]);
        }
      }
    });
    return absl::OkStatus();
  });
}

absl::Status LayerNormKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& scale = ctx.input(1);
  const Array* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", -1), x.rank()));
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  const int64_t outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
  const int64_t inner = NumElements(Dims(x.dims().begin() + axis, x.dims().end()));
  // Scale and bias broadcast to the normalized dims.
  const Dims norm_dims(x.dims().begin() + axis, x.dims().end());
  auto broadcastable = [&](const Array& a) {
    if (a.rank() > static_cast<int>(norm_dims.size())) return false;
    const size_t off = norm_dims.size() - a.rank();
    for (int i = 0; i < a.rank(); ++i) {
      if (a.dims()[i] != 1 && a.dims()[i] != norm_dims[off + i]) return false;
    }
    return true;
  };
  if (!broadcastable(scale) || (bias && !broadcastable(*bias))) {
    return ctx.Error("Scale/B shapes do not broadcast to the normalized shape ",
                     DimsToString(norm_dims));
  }
  const bool full_scale = scale.size() == inner;
  const bool full_bias = bias && bias->size() == inner;
  if ((!full_scale && scale.size() != 1) || (bias && !full_bias && bias->size() != 1)) {
    return ctx.Unsupported("partially broadcast Scale/B in LayerNormalization");
  }
  Dims stat_dims = x.dims();
  for (int i = axis; i < x.rank(); ++i) stat_dims[i] = 1;
  return Dispatch<kFloatTypes>(x.dtype(), "LayerNormalization", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    float* mean_out = nullptr;
    float* inv_out = nullptr;
    // Mean and InvStdDev are float32 (stash_type 1).
    if (ctx.has_output(1)) {
      ASSIGN_OR_RETURN(Array * m, ctx.Allocate(1, DataType::kFloat, stat_dims));
      mean_out = m->mutable_data<float>();
    }
    if (ctx.has_output(2)) {
      ASSIGN_OR_RETURN(Array * v, ctx.Allocate(2, DataType::kFloat, stat_dims));
      inv_out = v->mutable_data<float>();
    }
    const T* xp = x.data<T>();
    const T* sp = scale.data<T>();
    const T* bp = bias ? bias->data<T>() : nullptr;
    T* yp = out->mutable_data<T>();
    ParallelFor(outer, 4.0 * inner, ctx.parallel(), [&](int64_t s, int64_t e) {
      for (int64_t o = s; o < e; ++o) {
        const T* p = xp + o * inner;
        double mean = 0, sq = 0;
        for (int64_t i = 0; i < inner; ++i) {
          mean += p[i];
          sq += static_cast<double>(p[i]) * p[i];
        }
        mean /= static_cast<double>(inner);
        const double var = std::max(0.0, sq / static_cast<double>(inner) - mean * mean);
        const double inv = 1.0 / std::sqrt(var + eps);
        T* q = yp + o * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const double sc = full_scale ? sp[i] : sp[0];
          const double bb = bp ? (full_bias ? bp[i] : bp[0]) : 0.0;
          q[i] = static_cast<T>((p[i] - mean) * inv * sc + bb);
        }
        if (mean_out) mean_out[o] = static_cast<float>(mean);
        if (inv_out) inv_out[o] = static_cast<float>(inv);
      }
    });
    return absl::OkStatus();
  });
}

enum class SoftKind { kSoftmax, kLogSoftmax, kHardmax };

absl::Status SoftmaxKernel(KernelContext& ctx, SoftKind kind) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const bool legacy = ctx.opset() < 13;
  if (x.rank() == 0) return ctx.Error("input must have rank >= 1");
  ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.GetInt("axis", legacy ? 1 : -1), x.rank()));
  int64_t outer, n, inner;
  if (legacy) {
    // Coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])].
    outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
    n = NumElements(Dims(x.dims().begin() + axis, x.dims().end()));
    inner = 1;
  } else {
    outer = NumElements(Dims(x.dims().begin(), x.dims().begin() + axis));
    n = x.dims()[axis];
    inner = NumElements(Dims(x.dims().begin() + axis + 1, x.dims().end()));
  }
  return Dispatch<kFloatTypes>(x.dtype(), "Softmax", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    ParallelFor(outer * inner, 4.0 * n, ctx.parallel(), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t o = t / inner, i = t % inner;
        const T* p = xp + o * n * inner + i;
        T* q = yp + o * n * inner + i;
        T m = -std::numeric_limits<T>::infinity();
        int64_t arg = 0;
        for (int64_t k = 0; k < n; ++k) {
          if (p[k * inner] > m) {
            m = p[k * inner];
            arg = k;
          }
        }
        if (kind == SoftKind::kHardmax) {
          for (int64_t k = 0; k < n; ++k) q[k * inner] = k == arg ? T(1) : T(0);
          continue;
        }
        T sum = 0;
        if (kind == SoftKind::kSoftmax) {
          for (int64_t k = 0; k < n; ++k) {
            const T v = std::exp(p[k * inner] - m);
            q[k * inner] = v;
            sum += v;
          }
          for (int64_t k = 0; k < n; ++k) q[k * inner] /= sum;
        } else {
          for (int64_t k = 0; k < n; ++k) sum += std::exp(p[k * inner] - m);
          const T ls = std::log(sum);
          for (int64_t k = 0; k < n; ++k) q[k * inner] = p[k * inner] - m - ls;
        }
      }
    });
    return absl::OkStatus();
  });
}

absl::Status LrnKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3");
  const int64_t size = ctx.GetInt("size", 0);
  if (size <= 0) return ctx.Error("attribute 'size' must be positive");
  const float alpha = ctx.GetFloat("alpha", 1e-4f);
  const float beta = ctx.GetFloat("beta", 0.75f);
  const float bias = ctx.GetFloat("bias", 1.0f);
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t inner = N * C == 0 ? 0 : x.size() / (N * C);
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;  // floor and ceil of (size-1)/2
  return Dispatch<kFloatTypes>(x.dtype(), "LRN", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    const T a = static_cast<T>(alpha) / static_cast<T>(size);
    ParallelFor(N * C, static_cast<double>(inner * size), ctx.parallel(), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t n = t / C, c = t % C;
        const int64_t c0 = std::max<int64_t>(0, c - lo), c1 = std::min<int64_t>(C - 1, c + hi);
        for (int64_t i = 0; i < inner; ++i) {
          T sq = 0;
          for (int64_t k = c0; k <= c1; ++k) {
            const T v = xp[(n * C + k) * inner + i];
            sq += v * v;
          }
          yp[t * inner + i] = xp[t * inner + i] /
                              std::pow(static_cast<T>(bias) + a * sq, static_cast<T>(beta));
        }
      }
    });
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterNormKernels(KernelRegistry& r) {
  r.Register("BatchNormalization", BatchNormKernel);
  r.Register("InstanceNormalization", InstanceNormKernel);
  r.Register("LayerNormalization", LayerNormKernel);
  r.Register("Softmax", [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftKind::kSoftmax); });
  r.Register("LogSoftmax",
             [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftKind::kLogSoftmax); });
  r.Register("Hardmax", [](KernelContext& ctx) { return SoftmaxKernel(ctx, SoftKind::kHardmax); });
  r.Register("LRN", LrnKernel);
}

}  // namespace onnxsmith::evaluator

// Matrix products: MatMul (batched, broadcasting), MatMulInteger (8-bit
// operands with zero points, int32 result) and Gemm.
#include <array>
#include <type_traits>
#include <vector>

#include "common/status_macros.h"
#include "evaluator/broadcast.h"
#include "evaluator/gemm.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

constexpr unsigned kGemmTypes = kFloatTypes | kSignedInts | kUnsignedInts;

template <typename T>
constexpr bool kGemmSupported =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
    std::is_same_v<T, int64_t> || std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>;

// ---- MatMul ----------------------------------------------------------------

struct MatMulGeom {
  int64_t m = 0, n = 0, k = 0;
  Dims abatch, bbatch;
  BroadcastPlan plan;  // over the batch dims
  Dims out_dims;
};

absl::StatusOr<MatMulGeom> MatMulGeometry(KernelContext& ctx, const Dims& a_dims,
                                          const Dims& b_dims) {
  if (a_dims.empty() || b_dims.empty()) return ctx.Error("operands must have rank >= 1");
  MatMulGeom g;
  // Promote 1-D operands.
  Dims ad = a_dims, bd = b_dims;
  const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
  if (a1) ad.insert(ad.begin(), 1);
  if (b1) bd.push_back(1);
  g.m = ad[ad.size() - 2];
  g.k = ad.back();
  g.n = bd.back();
  if (bd[bd.size() - 2] != g.k) {
    return ctx.Error("inner dimensions differ: ", DimsToString(a_dims), " x ",
                     DimsToString(b_dims));
  }
  g.abatch.assign(ad.begin(), ad.end() - 2);
  g.bbatch.assign(bd.begin(), bd.end() - 2);
  ASSIGN_OR_RETURN(g.plan, MakeBroadcastPlan({g.abatch, g.bbatch}));
  g.out_dims = g.plan.out_dims;
  if (!a1) g.out_dims.push_back(g.m);
  if (!b1) g.out_dims.push_back(g.n);
  return g;
}

template <typename T>
void RunMatMul(const MatMulGeom& g, const T* ap, const T* bp, T* yp, bool parallel) {
  const int64_t m = g.m, n = g.n, k = g.k;
  const int64_t batches = g.plan.size;
  if (batches == 0 || m == 0 || n == 0) return;
  // B shared by every batch and A contiguous: one GEMM over all rows.
  if (NumElements(g.bbatch) == 1 && NumElements(g.abatch) == batches) {
    Gemm<T>(false, false, batches * m, n, k, T(1), ap, k, bp, n, T(0), yp, n, parallel);
    return;
  }
  std::vector<int64_t> aoff(batches), boff(batches);
  ForEachSpan<2>(g.plan, 0, batches,
                 [&](int64_t o, const std::array<int64_t, 2>& in, int64_t len,
                     const std::array<int64_t, 2>& st) {
                   for (int64_t i = 0; i < len; ++i) {
                     aoff[o + i] = (in[0] + i * st[0]) * m * k;
                     boff[o + i] = (in[1] + i * st[1]) * k * n;
                   }
                 });
  const bool inner_parallel = parallel && batches < 4;
  ParallelFor(batches, 2.0 * m * n * k, parallel && !inner_parallel, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) {
      Gemm<T>(false, false, m, n, k, T(1), ap + aoff[i], k, bp + boff[i], n, T(0), yp + i * m * n,
              n, inner_parallel);
    }
  });
}

absl::Status MatMulKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& a = ctx.input(0);
  const Array& b = ctx.input(1);
  if (a.dtype() != b.dtype()) return ctx.Error("operand types differ");
  ASSIGN_OR_RETURN(MatMulGeom g, MatMulGeometry(ctx, a.dims(), b.dims()));
  return Dispatch<kGemmTypes>(a.dtype(), "MatMul", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if constexpr (!kGemmSupported<T>) {
      return ctx.Unsupported("MatMul on ", ir::DataTypeName(a.dtype()));
    } else {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, a.dtype(), g.out_dims));
      RunMatMul<T>(g, a.data<T>(), b.data<T>(), out->mutable_data<T>(), ctx.parallel());
      return absl::OkStatus();
    }
  });
}

// int32 copy of an 8-bit operand minus its zero point: per tensor, or per row
// of A ([M] for A[..., M, K]) / per column of B ([N] for B[..., K, N]).
absl::StatusOr<Array> Widen8(KernelContext& ctx, const Array& x, int zp_input, bool is_a) {
  if (x.dtype() != DataType::kUint8 && x.dtype() != DataType::kInt8) {
    return ctx.Error("MatMulInteger operands must be uint8 or int8");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ToInt64Vector(x));
  std::vector<int64_t> zp{0};
  if (ctx.has_input(zp_input)) {
    if (ctx.input(zp_input).dtype() != x.dtype()) return ctx.Error("zero point type differs");
    ASSIGN_OR_RETURN(zp, ctx.InputInts(zp_input));
  }
  const int64_t cols = x.dims().back();
  const int64_t rows = x.rank() >= 2 ? x.dims()[x.rank() - 2] : 1;
  const int64_t per = is_a ? rows : cols;
  if (zp.size() != 1 && static_cast<int64_t>(zp.size()) != per) {
    return ctx.Error("zero point has ", zp.size(), " values, expected 1 or ", per);
  }
  ASSIGN_OR_RETURN(Array w, ctx.Scratch(DataType::kInt32, x.dims()));
  int32_t* p = w.mutable_data<int32_t>();
  for (int64_t i = 0; i < x.size(); ++i) {
    const int64_t z = zp.size() == 1 ? zp[0] : (is_a ? zp[(i / cols) % rows] : zp[i % cols]);
    p[i] = static_cast<int32_t>(v[i] - z);
  }
  return w;
}

absl::Status MatMulIntegerKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  ASSIGN_OR_RETURN(MatMulGeom g, MatMulGeometry(ctx, ctx.input(0).dims(), ctx.input(1).dims()));
  ASSIGN_OR_RETURN(Array a, Widen8(ctx, ctx.input(0), 2, true));
  ASSIGN_OR_RETURN(Array b, Widen8(ctx, ctx.input(1), 3, false));
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, DataType::kInt32, g.out_dims));
  RunMatMul<int32_t>(g, a.data<int32_t>(), b.data<int32_t>(), out->mutable_data<int32_t>(),
                     ctx.parallel());
  return absl::OkStatus();
}

// ---- Gemm ------------------------------------------------------------------

absl::Status GemmKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& a = ctx.input(0);
  const Array& b = ctx.input(1);
  if (a.rank() != 2 || b.rank() != 2) return ctx.Error("A and B must be 2-D");
  if (a.dtype() != b.dtype()) return ctx.Error("operand types differ");
  const bool ta = ctx.GetInt("transA", 0) != 0;
  const bool tb = ctx.GetInt("transB", 0) != 0;
  const float alpha = ctx.GetFloat("alpha", 1.0f);
  const float beta = ctx.GetFloat("beta", 1.0f);
  const int64_t m = ta ? a.dim(1) : a.dim(0);
  const int64_t k = ta ? a.dim(0) : a.dim(1);
  const int64_t kb = tb ? b.dim(1) : b.dim(0);
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  if (k != kb) {
    return ctx.Error("inner dimensions differ: A ", DimsToString(a.dims()), " B ",
                     DimsToString(b.dims()), " transA=", ta, " transB=", tb);
  }
  const bool has_c = ctx.has_input(2) && beta != 0.0f;
  return Dispatch<kGemmTypes>(a.dtype(), "Gemm", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if constexpr (!kGemmSupported<T>) {
      return ctx.Unsupported("Gemm on ", ir::DataTypeName(a.dtype()));
    } else {
      ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, a.dtype(), {m, n}));
      T* yp = out->mutable_data<T>();
      // alpha and beta are float attributes; on integer operands they are
      // truncated (FloatToInt: no undefined behaviour out of range).
      auto to_t = [](float v) -> T {
        if constexpr (std::is_floating_point_v<T>) {
          return static_cast<T>(v);
        } else {
          return FloatToInt<T>(v);
        }
      };
      if (has_c) {
        const Array& c = ctx.input(2);
        if (c.dtype() != a.dtype()) return ctx.Error("C has another type");
        ASSIGN_OR_RETURN(BroadcastPlan plan, MakeBroadcastPlan({c.dims(), {m, n}}));
        if (plan.out_dims != Dims{m, n}) {
          return ctx.Error("C of shape ", DimsToString(c.dims()), " does not broadcast to [",
                           m, ",", n, "]");
        }
        const T* cp = c.data<T>();
        const T bt = to_t(beta);
        ForEachSpan<2>(plan, 0, plan.size,
                       [&](int64_t o, const std::array<int64_t, 2>& in, int64_t len,
                           const std::array<int64_t, 2>& st) {
                         for (int64_t i = 0; i < len; ++i) yp[o + i] = WrapMul(bt, cp[in[0] + i * st[0]]);
                       });
      }
      Gemm<T>(ta, tb, m, n, k, to_t(alpha), a.data<T>(), a.dim(1), b.data<T>(),
              b.dim(1), has_c ? T(1) : T(0), yp, n, ctx.parallel());
      return absl::OkStatus();
    }
  });
}

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r) {
  r.Register("MatMul", MatMulKernel);
  r.Register("MatMulInteger", MatMulIntegerKernel);
  r.Register("Gemm", GemmKernel);
}

}  // namespace onnxsmith::evaluator

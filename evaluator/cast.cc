// Cast and CastLike (and CastArrayTo, the conversion other kernels share):
// float to integer without UB (int_arith.h), 16-bit floats through float32.
#include <type_traits>
#include <vector>

#include "common/status_macros.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

template <typename D, typename S>
D ConvertValue(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    return FloatToInt<D>(static_cast<double>(v));
  } else {
    return static_cast<D>(v);
  }
}

// Reads element i of `a` as S-typed value via float for the 16-bit floats.
absl::Status CastArray(const Array& in, DataType to, Array* out, bool parallel) {
  const int64_t n = in.size();
  const DataType from = in.dtype();
  auto is16 = [](DataType t) { return t == DataType::kFloat16 || t == DataType::kBfloat16; };
  if (from == to) {
    CopyElements(out->mutable_raw(), in.raw(), n, in.element_size());
    return absl::OkStatus();
  }
  if (is16(from) || is16(to)) {
    // Through float32.
    std::vector<float> tmp(static_cast<size_t>(n));
    if (from == DataType::kFloat16) {
      for (int64_t i = 0; i < n; ++i) tmp[i] = HalfToFloat(in.data<uint16_t>()[i]);
    } else if (from == DataType::kBfloat16) {
      for (int64_t i = 0; i < n; ++i) tmp[i] = BfloatToFloat(in.data<uint16_t>()[i]);
    } else {
      RETURN_IF_ERROR(Dispatch<kAllTypes>(from, "Cast", [&](auto tag) -> absl::Status {
        using S = typename decltype(tag)::type;
        for (int64_t i = 0; i < n; ++i) tmp[i] = static_cast<float>(in.data<S>()[i]);
        return absl::OkStatus();
      }));
    }
    if (to == DataType::kFloat16) {
      for (int64_t i = 0; i < n; ++i) out->mutable_data<uint16_t>()[i] = FloatToHalf(tmp[i]);
    } else if (to == DataType::kBfloat16) {
      for (int64_t i = 0; i < n; ++i) out->mutable_data<uint16_t>()[i] = FloatToBfloat(tmp[i]);
    } else {
      return Dispatch<kAllTypes>(to, "Cast", [&](auto tag) -> absl::Status {
        using D = typename decltype(tag)::type;
        for (int64_t i = 0; i < n; ++i) out->mutable_data<D>()[i] = ConvertValue<D>(tmp[i]);
        return absl::OkStatus();
      });
    }
    return absl::OkStatus();
  }
  return Dispatch<kAllTypes>(from, "Cast", [&](auto stag) -> absl::Status {
    using S = typename decltype(stag)::type;
    return Dispatch<kAllTypes>(to, "Cast", [&](auto dtag) -> absl::Status {
      using D = typename decltype(dtag)::type;
      const S* x = in.data<S>();
      D* y = out->mutable_data<D>();
      ParallelFor(n, 1, parallel, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) y[i] = ConvertValue<D>(x[i]);
      });
      return absl::OkStatus();
    });
  });
}

absl::Status CastTo(KernelContext& ctx, DataType to) {
  const Array& a = ctx.input(0);
  if (a.dtype() == to) return ctx.SetOutput(0, a);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, to, a.dims()));
  return CastArray(a, to, out, ctx.parallel());
}

absl::Status CastKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  if (!ctx.HasAttr("to")) return ctx.Error("attribute 'to' is required");
  return CastTo(ctx, static_cast<DataType>(ctx.GetInt("to", 0)));
}

absl::Status CastLikeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  return CastTo(ctx, ctx.input(1).dtype());
}

}  // namespace

absl::Status CastArrayTo(const Array& in, DataType to, Array* out, bool parallel) {
  return CastArray(in, to, out, parallel);
}

void RegisterCastKernels(KernelRegistry& r) {
  r.Register("Cast", CastKernel);
  r.Register("CastLike", CastLikeKernel);
}

}  // namespace onnxsmith::evaluator

// Tensors made from attributes, shapes or a pattern: Constant ConstantOfShape
// Range EyeLike Trilu.
#include <algorithm>
#include <cmath>

#include "common/status_macros.h"
#include "evaluator/copy.h"
#include "evaluator/int_arith.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

absl::Status ConstantOfShapeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  ASSIGN_OR_RETURN(std::vector<int64_t> shape, ctx.InputInts(0));
  for (int64_t d : shape) {
    if (d < 0) return ctx.Error("negative dimension in shape ", DimsToString(shape));
  }
  DataType dtype = DataType::kFloat;
  std::vector<char> value(4, 0);
  if (const ir::Attribute* a = ctx.attr("value")) {
    if (a->kind != ir::Attribute::Kind::kTensor || a->t.num_elements() != 1) {
      return ctx.Error("'value' must be a one-element tensor");
    }
    dtype = a->t.dtype();
    const int es = ir::ElementSize(dtype);
    if (es == 0 || static_cast<int>(a->t.raw().size()) != es) {
      return ctx.Unsupported("value of type ", ir::DataTypeName(dtype));
    }
    value.assign(a->t.raw().begin(), a->t.raw().end());
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, dtype, shape));
  FillElements(out->mutable_raw(), value.data(), out->size(), ir::ElementSize(dtype));
  return absl::OkStatus();
}

absl::Status RangeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(3));
  const DataType t = ctx.input(0).dtype();
  for (int i = 0; i < 3; ++i) {
    if (ctx.input(i).size() != 1) return ctx.Error("start, limit and delta must be scalars");
    if (ctx.input(i).dtype() != t) return ctx.Error("start, limit and delta types differ");
  }
  return Dispatch<kFloatTypes | kSignedInts>(t, "Range", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    const T start = ctx.input(0).data<T>()[0];
    const T limit = ctx.input(1).data<T>()[0];
    const T delta = ctx.input(2).data<T>()[0];
    if (delta == T(0)) return ctx.Error("delta cannot be 0");
    const double n = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) /
                               static_cast<double>(delta));
    // Checked before the cast: a double above 2^63 does not convert.
    if (n >= 0x1p62) {
      return ctx.Error("Range of ", n, " elements is too large");
    }
    const int64_t count = n > 0 ? static_cast<int64_t>(n) : 0;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, t, {count}));
    T v = start;
    T* y = out->mutable_data<T>();
    for (int64_t i = 0; i < count; ++i) {
      y[i] = v;
      v = WrapAdd(v, delta);  // past the last element it may overflow
    }
    return absl::OkStatus();
  });
}

absl::Status ConstantKernel(KernelContext& ctx) {
  if (const ir::Attribute* a = ctx.attr("value")) {
    if (a->kind != ir::Attribute::Kind::kTensor) return ctx.Error("'value' must be a tensor");
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(a->t));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_float")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Scalar<float>(a->f)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_floats")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Vector1D<float>(a->floats)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_int")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Scalar<int64_t>(a->i)));
    return ctx.SetOutput(0, v);
  }
  if (const ir::Attribute* a = ctx.attr("value_ints")) {
    ASSIGN_OR_RETURN(Array v, Array::FromTensor(ir::Tensor::Vector1D<int64_t>(a->ints)));
    return ctx.SetOutput(0, v);
  }
  return ctx.Unsupported("Constant without a numeric value attribute");
}


absl::Status TriluKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() < 2) return ctx.Error("input must have rank >= 2");
  int64_t k = 0;
  if (ctx.has_input(1)) {
    ASSIGN_OR_RETURN(double kd, ctx.InputScalar(1));
    k = static_cast<int64_t>(kd);
  }
  const bool upper = ctx.GetInt("upper", 1) != 0;
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), x.dims()));
  const int64_t rows = x.dims()[x.rank() - 2], cols = x.dims()[x.rank() - 1];
  const int64_t mats = rows * cols == 0 ? 0 : x.size() / (rows * cols);
  const int es = x.element_size();
  std::vector<char> zero(es, 0);
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? (j - i >= k) : (j - i <= k);
        const int64_t at = (m * rows + i) * cols + j;
        std::memcpy(out->mutable_data<char>() + at * es,
                    keep ? x.data<char>() + at * es : zero.data(), es);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status EyeLikeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() != 2) return ctx.Error("input must be 2-D");
  const DataType dtype =
      ctx.HasAttr("dtype") ? static_cast<DataType>(ctx.GetInt("dtype", 1)) : x.dtype();
  const int64_t k = ctx.GetInt("k", 0);
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, dtype, x.dims()));
  return Dispatch<kAllTypes>(dtype, "EyeLike", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    T* y = out->mutable_data<T>();
    for (int64_t i = 0; i < x.dims()[0]; ++i) {
      for (int64_t j = 0; j < x.dims()[1]; ++j) y[i * x.dims()[1] + j] = (j - i == k) ? T(1) : T(0);
    }
    return absl::OkStatus();
  });
}


}  // namespace

void RegisterGenerateKernels(KernelRegistry& r) {
  r.Register("ConstantOfShape", ConstantOfShapeKernel);
  r.Register("Range", RangeKernel);
  r.Register("Constant", ConstantKernel);
  r.Register("Trilu", TriluKernel);
  r.Register("EyeLike", EyeLikeKernel);
}

}  // namespace onnxsmith::evaluator

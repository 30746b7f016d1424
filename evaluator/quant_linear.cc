// Integer convolution and products with zero points: ConvInteger (int32
// out), QLinearConv and QLinearMatMul (requantized 8-bit out).
//
// The integer sums run as float64 Conv/MatMul on (x - zero point) values:
// every product and partial sum of 8-bit operands is an integer far below
// 2^53, so float64 is exact and the float kernels' im2col, depthwise and
// Eigen paths are reused. Requantization follows ONNX Runtime's: the scale
// x_scale * w_scale / y_scale in float32, float32(acc) * scale, saturate,
// round half to even, add the output zero point.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

bool Is8Bit(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

// (a - zp) as float64; zp is per-tensor, or per slice `axis` of a.
absl::StatusOr<Array> Centered(KernelContext& ctx, const Array& a, const Array* zp, int axis,
                               const char* what) {
  if (!Is8Bit(a.dtype())) return ctx.Error(what, " must be uint8 or int8");
  std::vector<int64_t> z{0};
  if (zp) {
    if (zp->dtype() != a.dtype()) return ctx.Error(what, "'s zero point type differs from ", what, "'s");
    ASSIGN_OR_RETURN(z, ToInt64Vector(*zp));
  }
  int64_t inner = 1, n = 1;
  if (z.size() != 1) {
    if (axis < 0 || axis >= a.rank() || static_cast<int64_t>(z.size()) != a.dim(axis)) {
      return ctx.Error(what, "'s zero point has ", z.size(), " values; expected 1",
                       axis >= 0 && axis < a.rank() ? absl::StrCat(" or ", a.dim(axis)) : "");
    }
    n = a.dim(axis);
    inner = NumElements(Dims(a.dims().begin() + axis + 1, a.dims().end()));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ToInt64Vector(a));
  ASSIGN_OR_RETURN(Array out, ctx.Scratch(DataType::kDouble, a.dims()));
  double* p = out.mutable_data<double>();
  for (int64_t i = 0; i < a.size(); ++i) p[i] = static_cast<double>(v[i] - z[(i / inner) % n]);
  return out;
}

// Runs the float kernel `op_type` (Conv or MatMul) of this node's attributes
// on float64 inputs; returns its output.
absl::StatusOr<Array> RunFloatKernel(KernelContext& ctx, const std::string& op_type,
                                     const std::vector<const Array*>& inputs) {
  ir::Node node;
  node.name = ctx.node().name;
  node.op_type = op_type;
  for (const ir::Attribute& a : ctx.node().attributes) {
    if (op_type == "Conv") node.attributes.push_back(a);
  }
  for (size_t i = 0; i < inputs.size(); ++i) node.inputs.push_back(absl::StrCat("in", i));
  node.outputs = {"out"};
  const KernelFn* fn = KernelRegistry::Global().Find("", op_type, std::max<int64_t>(ctx.opset(), 13));
  if (!fn) return absl::InternalError(absl::StrCat("no ", op_type, " kernel"));
  KernelContext sub(node, ctx.opset(), inputs, ctx.pool(), -1, ctx.parallel());
  RETURN_IF_ERROR((*fn)(sub));
  return sub.outputs()[0];
}

// The exact integer result as int32 (wrapping as the int32 accumulators do).
int32_t ToInt32(double v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(v)));
}

absl::Status ConvIntegerKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array* xz = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const Array* wz = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  if (xz && xz->size() != 1) return ctx.Error("x_zero_point must be a scalar");
  ASSIGN_OR_RETURN(Array x, Centered(ctx, ctx.input(0), xz, -1, "x"));
  ASSIGN_OR_RETURN(Array w, Centered(ctx, ctx.input(1), wz, 0, "w"));
  ASSIGN_OR_RETURN(Array acc, RunFloatKernel(ctx, "Conv", {&x, &w}));
  ASSIGN_OR_RETURN(Array * y, ctx.Allocate(0, DataType::kInt32, acc.dims()));
  const double* a = acc.data<double>();
  int32_t* yp = y->mutable_data<int32_t>();
  for (int64_t i = 0; i < acc.size(); ++i) yp[i] = ToInt32(a[i]);
  return absl::OkStatus();
}

// Requantizes acc (+ bias per `channel(i)`) to y's type.
struct Requant {
  std::vector<float> scale;  // per channel (or one)
  int64_t zp = 0;
  DataType type = DataType::kUint8;
};

absl::StatusOr<Requant> MakeRequant(KernelContext& ctx, int in_scale, int w_scale, int y_scale,
                                    int y_zp) {
  ASSIGN_OR_RETURN(double sx, ctx.InputScalar(in_scale));
  ASSIGN_OR_RETURN(double sy, ctx.InputScalar(y_scale));
  ASSIGN_OR_RETURN(std::vector<double> sw, ToDoubleVector(ctx.input(w_scale)));
  Requant r;
  for (double s : sw) {
    r.scale.push_back(static_cast<float>(sx) * static_cast<float>(s) / static_cast<float>(sy));
  }
  if (ctx.has_input(y_zp)) {
    const Array& z = ctx.input(y_zp);
    if (!Is8Bit(z.dtype())) return ctx.Error("y_zero_point must be uint8 or int8");
    ASSIGN_OR_RETURN(r.zp, ctx.InputScalar(y_zp));
    r.type = z.dtype();
  }
  return r;
}

template <typename Q>
void RequantizeInto(const double* acc, int64_t n, const Requant& r, int64_t inner,
                    const int32_t* bias, int64_t channels, Q* y) {
  const float lo = static_cast<float>(std::numeric_limits<Q>::lowest() - r.zp);
  const float hi = static_cast<float>(std::numeric_limits<Q>::max() - r.zp);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = (i / inner) % channels;
    int32_t v = ToInt32(acc[i]);
    if (bias) v = static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(bias[c]));
    float f = static_cast<float>(v) * r.scale[r.scale.size() == 1 ? 0 : c];
    f = std::clamp(f, lo, hi);
    y[i] = static_cast<Q>(static_cast<int64_t>(std::nearbyint(f)) + r.zp);
  }
}

absl::Status WriteRequantized(KernelContext& ctx, const Array& acc, const Requant& r,
                              int64_t inner, const int32_t* bias, int64_t channels) {
  ASSIGN_OR_RETURN(Array * y, ctx.Allocate(0, r.type, acc.dims()));
  if (r.type == DataType::kUint8) {
    RequantizeInto(acc.data<double>(), acc.size(), r, inner, bias, channels,
                   y->mutable_data<uint8_t>());
  } else {
    RequantizeInto(acc.data<double>(), acc.size(), r, inner, bias, channels,
                   y->mutable_data<int8_t>());
  }
  return absl::OkStatus();
}

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B int32]).
absl::Status QLinearConvKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(8));
  const Array& w_raw = ctx.input(3);
  if (ctx.input(2).size() != 1) return ctx.Error("x_zero_point must be a scalar");
  ASSIGN_OR_RETURN(Array x, Centered(ctx, ctx.input(0), &ctx.input(2), -1, "x"));
  ASSIGN_OR_RETURN(Array w, Centered(ctx, w_raw, &ctx.input(5), 0, "w"));
  if (w_raw.rank() < 1) return ctx.Error("w must have rank >= 3");
  const int64_t M = w_raw.dim(0);
  if (ctx.input(4).size() != 1 && ctx.input(4).size() != M) {
    return ctx.Error("w_scale has ", ctx.input(4).size(), " values; expected 1 or ", M);
  }
  ASSIGN_OR_RETURN(Requant r, MakeRequant(ctx, 1, 4, 6, 7));
  const int32_t* bias = nullptr;
  if (ctx.has_input(8)) {
    const Array& b = ctx.input(8);
    if (b.dtype() != DataType::kInt32 || b.size() != M) {
      return ctx.Error("B must be a 1-D int32 tensor of ", M, " values");
    }
    bias = b.data<int32_t>();
  }
  ASSIGN_OR_RETURN(Array acc, RunFloatKernel(ctx, "Conv", {&x, &w}));
  const int64_t inner = NumElements(Dims(acc.dims().begin() + 2, acc.dims().end()));
  return WriteRequantized(ctx, acc, r, inner, bias, M);
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp); b's
// parameters may be per column (its last axis).
absl::Status QLinearMatMulKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(8));
  const Array& b_raw = ctx.input(3);
  if (ctx.input(2).size() != 1) return ctx.Error("a_zero_point must be a scalar");
  ASSIGN_OR_RETURN(Array a, Centered(ctx, ctx.input(0), &ctx.input(2), -1, "a"));
  ASSIGN_OR_RETURN(Array b, Centered(ctx, b_raw, &ctx.input(5), b_raw.rank() - 1, "b"));
  const int64_t N = b_raw.rank() >= 1 ? b_raw.dims().back() : 1;
  if (ctx.input(4).size() != 1 && ctx.input(4).size() != N) {
    return ctx.Error("b_scale has ", ctx.input(4).size(), " values; expected 1 or ", N);
  }
  ASSIGN_OR_RETURN(Requant r, MakeRequant(ctx, 1, 4, 6, 7));
  ASSIGN_OR_RETURN(Array acc, RunFloatKernel(ctx, "MatMul", {&a, &b}));
  return WriteRequantized(ctx, acc, r, 1, nullptr, b_raw.rank() >= 2 ? N : 1);
}

}  // namespace

void RegisterQLinearKernels(KernelRegistry& r) {
  r.Register("ConvInteger", ConvIntegerKernel);
  r.Register("QLinearConv", QLinearConvKernel);
  r.Register("QLinearMatMul", QLinearMatMulKernel);
}

}  // namespace onnxsmith::evaluator

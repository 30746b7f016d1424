// Elementwise TF ops ONNX has no single op for, as decompositions into
// standard ops: Atan2, IsFinite, Xlogy, Xlog1py, Xdivy, Lgamma, ClipByValue, L2Loss.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/handlers/signal_ops.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

constexpr double kPi = 3.14159265358979323846;

// atan(y / x), moved by +-pi into the left half-plane. Signed zeros count
// as TF's atan2 (IEEE) does: atan2(-0, x<0) = -pi, atan2(+-0, -0) = +-pi,
// atan2(+-0, +0) = +-0, so a zero's sign is read as the sign of 1/zero.
std::string EmitAtan2(OnnxEmitter& ctx, const std::string& y, const std::string& x,
                      ir::DataType t) {
  const std::string zero = ctx.ConstScalar(t, 0, "zero");
  const std::string one = ctx.ConstScalar(t, 1, "one");
  auto negative = [&](const std::string& v) {  // v < 0, or v is -0
    return ctx.AddNode("Or", {ctx.AddNode("Less", {v, zero}),
                              ctx.AddNode("Less", {ctx.AddNode("Div", {one, v}), zero})});
  };
  const std::string x_negative = negative(x);
  const std::string half_turn = ctx.AddNode(
      "Where", {negative(y), ctx.ConstScalar(t, -kPi, "minus_pi"), ctx.ConstScalar(t, kPi, "pi")});
  const std::string base = ctx.AddNode("Atan", {ctx.AddNode("Div", {y, x})});
  const std::string angle =
      ctx.AddNode("Where", {x_negative, ctx.AddNode("Add", {base, half_turn}), base});
  const std::string origin = ctx.AddNode(
      "And", {ctx.AddNode("Equal", {x, zero}), ctx.AddNode("Equal", {y, zero})});
  return ctx.AddNode("Where", {origin, ctx.AddNode("Where", {x_negative, half_turn, y}), angle});
}

// The operands' float type, or an error naming the node (also used by
// special_math_ops.cc).
absl::StatusOr<ir::DataType> FloatType(const NodeContext& ctx) {
  using ir::DataType;
  const DataType t = ctx.element_type();
  if (t == DataType::kUndefined) return ctx.Error("the element type of input 0 is unknown");
  if (t != DataType::kFloat && t != DataType::kDouble && t != DataType::kFloat16) {
    return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
  }
  return t;
}

namespace {

using ir::Attribute;
using ir::DataType;

absl::Status ConvertAtan2(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  ctx.SetOutput(0, EmitAtan2(ctx, ctx.input(0), ctx.input(1), *t));
  return absl::OkStatus();
}

absl::Status ConvertIsFinite(NodeContext& ctx) {
  if (auto t = FloatType(ctx); !t.ok()) return t.status();
  const std::string x = ctx.input(0);
  const std::string bad =
      ctx.AddNode("Or", {ctx.AddNode("IsInf", {x}), ctx.AddNode("IsNaN", {x})});
  ctx.SetOutput(0, ctx.AddNode("Not", {bad}));
  return absl::OkStatus();
}

// log(1 + y) without losing small y: log(u) * y / (u - 1) for u = 1 + y
// rounded (the rounding error of u cancels), y itself where u rounds to 1.
std::string EmitLog1p(NodeContext& ctx, const std::string& y, DataType t) {
  const std::string one = ctx.ConstScalar(t, 1, "one");
  const std::string u = ctx.AddNode("Add", {y, one});
  const std::string um1 = ctx.AddNode("Sub", {u, one});
  const std::string scaled =
      ctx.AddNode("Mul", {ctx.AddNode("Log", {u}), ctx.AddNode("Div", {y, um1})});
  return ctx.AddNode("Where", {ctx.AddNode("Equal", {u, one}), y, scaled});
}

// Xlogy: x * log(y), Xlog1py: x * log(1 + y), Xdivy: x / y; each 0 where x is
// 0 (whatever y is).
absl::Status ConvertXOpY(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  const std::string x = ctx.input(0);
  const std::string y = ctx.input(1);
  const std::string zero = ctx.ConstScalar(*t, 0, "zero");
  const std::string& op = ctx.op_type();
  const std::string value =
      op == "Xlogy"     ? ctx.AddNode("Mul", {x, ctx.AddNode("Log", {y})})
      : op == "Xlog1py" ? ctx.AddNode("Mul", {x, EmitLog1p(ctx, y, *t)})
                        : ctx.AddNode("Div", {x, y});
  // Where broadcasts the condition with both branches, as TF broadcasts x and y.
  ctx.SetOutput(0, ctx.AddNode("Where", {ctx.AddNode("Equal", {x, zero}), zero, value}));
  return absl::OkStatus();
}

// max(min(t, hi), lo) as TF's kernel (the lower bound wins when they cross);
// TF's bounds may be tensors shaped like t, Clip's must be scalars.
absl::Status ConvertClipByValue(NodeContext& ctx) {
  const std::string upper = ctx.AddNode("Min", {ctx.input(0), ctx.input(2)});
  ctx.SetOutput(0, ctx.AddNode("Max", {upper, ctx.input(1)}));
  return absl::OkStatus();
}

constexpr double kInf = std::numeric_limits<double>::infinity();

// ln|Gamma(x)| by Lanczos's approximation (g = 7, 9 terms; ~1e-15 relative
// in double, where it is computed), with the reflection
// ln|Gamma(x)| = ln(pi / |sin(pi x)|) - ln|Gamma(1 - x)| below 1/2.
absl::Status ConvertLgamma(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const DataType t, FloatType(ctx));
  static constexpr double kCoef[] = {0.99999999999980993,  676.5203681218851,
                                     -1259.1392167224028,  771.32342877765313,
                                     -176.61502916214059,  12.507343278686905,
                                     -0.13857109526572012, 9.9843695780195716e-6,
                                     1.5056327351493116e-7};
  const DataType d = DataType::kDouble;
  auto k = [&](double v) { return ctx.ConstScalar(d, v, "k"); };
  const std::string x = ctx.Cast(ctx.input(0), d);
  const std::string reflect = ctx.AddNode("Less", {x, k(0.5)});
  // z >= 1/2 on both branches: x itself, or 1 - x.
  const std::string z = ctx.AddNode("Where", {reflect, ctx.AddNode("Sub", {k(1), x}), x});
  const std::string zm1 = ctx.AddNode("Sub", {z, k(1)});
  std::string series = k(kCoef[0]);
  for (int i = 1; i < 9; ++i) {
    series = ctx.AddNode("Add", {series, ctx.AddNode("Div", {k(kCoef[i]),
                                                             ctx.AddNode("Add", {zm1, k(i)})})});
  }
  const std::string tt = ctx.AddNode("Add", {zm1, k(7.5)});
  std::string lg = ctx.AddNode("Add", {k(0.5 * std::log(2 * kPi)),
                                       ctx.AddNode("Mul", {ctx.AddNode("Add", {zm1, k(0.5)}),
                                                           ctx.AddNode("Log", {tt})})});
  lg = ctx.AddNode("Add", {ctx.AddNode("Sub", {lg, tt}), ctx.AddNode("Log", {series})});
  const std::string sin_pi_x =
      ctx.AddNode("Abs", {ctx.AddNode("Sin", {ctx.AddNode("Mul", {x, k(kPi)})})});
  const std::string reflected = ctx.AddNode(
      "Sub", {ctx.AddNode("Sub", {k(std::log(kPi)), ctx.AddNode("Log", {sin_pi_x})}), lg});
  // The poles (0 and the negative integers, where sin(pi x) is not exactly 0
  // in floating point) and +-inf are +inf, as TF's kernel gives.
  const std::string pole = ctx.AddNode(
      "And", {ctx.AddNode("LessOrEqual", {x, k(0)}),
              ctx.AddNode("Equal", {ctx.AddNode("Floor", {x}), x})});
  const std::string inf = ctx.AddNode("Or", {pole, ctx.AddNode("IsInf", {x})});
  const std::string y = ctx.AddNode("Where", {reflect, reflected, lg});
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("Where", {inf, k(kInf), y}), t));
  return absl::OkStatus();
}

// sum(t ** 2) / 2 over every element.
absl::Status ConvertL2Loss(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  const std::string sum =
      ctx.AddNode("ReduceSumSquare", {ctx.input(0)}, {Attribute::Int("keepdims", 0)});
  ctx.SetOutput(0, ctx.AddNode("Mul", {sum, ctx.ConstScalar(*t, 0.5, "half")}));
  return absl::OkStatus();
}

}  // namespace

void RegisterMathSpecialOps(HandlerRegistry& r) {
  r.Register({"Atan2"}, kMinOpset, Inputs(2), ConvertAtan2);
  r.Register({"IsFinite"}, kMinOpset, Inputs(1), ConvertIsFinite);
  r.Register({"Xlogy", "Xlog1py", "Xdivy"}, kMinOpset, Inputs(2), ConvertXOpY);
  r.Register({"Lgamma"}, kMinOpset, Inputs(1), ConvertLgamma);
  r.Register({"ClipByValue"}, kMinOpset, Inputs(3), ConvertClipByValue);
  r.Register({"L2Loss"}, kMinOpset, Inputs(1), ConvertL2Loss);
}

}  // namespace onnxsmith::converter

// Elementwise TF ops ONNX has no single op for, as decompositions into
// standard ops: Atan2, IsFinite, Xlogy, Xdivy, ClipByValue, L2Loss.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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

namespace {

using ir::Attribute;
using ir::DataType;

absl::StatusOr<DataType> FloatType(const NodeContext& ctx) {
  const DataType t = ctx.element_type();
  if (t == DataType::kUndefined) return ctx.Error("the element type of input 0 is unknown");
  if (t != DataType::kFloat && t != DataType::kDouble && t != DataType::kFloat16) {
    return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
  }
  return t;
}

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

// Xlogy: x * log(y), Xdivy: x / y; both 0 where x is 0 (whatever y is).
absl::Status ConvertXOpY(NodeContext& ctx) {
  auto t = FloatType(ctx);
  if (!t.ok()) return t.status();
  const std::string x = ctx.input(0);
  const std::string y = ctx.input(1);
  const std::string zero = ctx.ConstScalar(*t, 0, "zero");
  const std::string value = ctx.op_type() == "Xlogy"
                                ? ctx.AddNode("Mul", {x, ctx.AddNode("Log", {y})})
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
  r.Register({"Xlogy", "Xdivy"}, kMinOpset, Inputs(2), ConvertXOpY);
  r.Register({"ClipByValue"}, kMinOpset, Inputs(3), ConvertClipByValue);
  r.Register({"L2Loss"}, kMinOpset, Inputs(1), ConvertL2Loss);
}

}  // namespace onnxsmith::converter

// Bitwise TF ops: BitwiseAnd/Or/Xor and Invert (ONNX's bitwise ops exist from
// opset 18), LeftShift/RightShift (ONNX BitShift shifts unsigned types only).
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

absl::StatusOr<DataType> IntegerType(const NodeContext& ctx) {
  const DataType t = ctx.element_type();
  if (t == DataType::kUndefined) return ctx.Error("the element type of input 0 is unknown");
  if (!ir::IsInteger(t)) return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
  return t;
}

bool IsSigned(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

DataType UnsignedOf(DataType t) {
  switch (t) {
    case DataType::kInt8: return DataType::kUint8;
    case DataType::kInt16: return DataType::kUint16;
    case DataType::kInt32: return DataType::kUint32;
    case DataType::kInt64: return DataType::kUint64;
    default: return t;
  }
}

absl::Status ConvertBitwiseBinary(NodeContext& ctx) {
  if (auto t = IntegerType(ctx); !t.ok()) return t.status();
  const std::string& op = ctx.op_type();  // BitwiseAnd/Or/Xor share ONNX's names
  ctx.SetOutput(0, ctx.AddNode(op, {ctx.input(0), ctx.input(1)}));
  return absl::OkStatus();
}

absl::Status ConvertInvert(NodeContext& ctx) {
  if (auto t = IntegerType(ctx); !t.ok()) return t.status();
  ctx.SetOutput(0, ctx.AddNode("BitwiseNot", {ctx.input(0)}));
  return absl::OkStatus();
}

// Signed operands are shifted as their unsigned twins (two's complement casts
// wrap); RightShift of a negative value is arithmetic in TF, so it shifts the
// complement and complements back: ~((~x) >> y).
absl::Status ConvertShift(NodeContext& ctx) {
  auto t = IntegerType(ctx);
  if (!t.ok()) return t.status();
  const bool left = ctx.op_type() == "LeftShift";
  const std::vector<Attribute> dir = {Attribute::String("direction", left ? "LEFT" : "RIGHT")};
  if (!IsSigned(*t)) {
    ctx.SetOutput(0, ctx.AddNode("BitShift", {ctx.input(0), ctx.input(1)}, dir));
    return absl::OkStatus();
  }
  const DataType u = UnsignedOf(*t);
  const std::string y = ctx.Cast(ctx.input(1), u);
  if (left) {
    const std::string shifted = ctx.AddNode("BitShift", {ctx.Cast(ctx.input(0), u), y}, dir);
    ctx.SetOutput(0, ctx.Cast(shifted, *t));
    return absl::OkStatus();
  }
  if (ctx.opset() < 18) {
    return ctx.Unsupported("RightShift of signed integers below opset 18 (needs BitwiseNot)");
  }
  const std::string x = ctx.input(0);
  const std::string logical =
      ctx.Cast(ctx.AddNode("BitShift", {ctx.Cast(x, u), y}, dir), *t);
  const std::string complement = ctx.Cast(
      ctx.AddNode("BitShift", {ctx.Cast(ctx.AddNode("BitwiseNot", {x}), u), y}, dir), *t);
  const std::string negative = ctx.AddNode("Less", {x, ctx.ConstScalar(*t, 0, "zero")});
  ctx.SetOutput(0, ctx.AddNode("Where", {negative, ctx.AddNode("BitwiseNot", {complement}),
                                         logical}));
  return absl::OkStatus();
}

}  // namespace

void RegisterBitwiseOps(HandlerRegistry& r) {
  r.Register({"BitwiseAnd", "BitwiseOr", "BitwiseXor"}, 18, Inputs(2), ConvertBitwiseBinary);
  r.Register({"Invert"}, 18, Inputs(1), ConvertInvert);
  r.Register({"LeftShift", "RightShift"}, kMinOpset, Inputs(2), ConvertShift);
}

}  // namespace onnxsmith::converter

// Bitwise TF ops: BitwiseAnd/Or/Xor and Invert (ONNX's bitwise ops from
// opset 18, decomposed below it: emit/bitwise.h), LeftShift/RightShift (ONNX
// BitShift shifts unsigned types only).
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/emit/bitwise.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::DataType;

absl::StatusOr<DataType> IntegerType(const NodeContext& ctx) {
  const DataType t = ctx.element_type();
  if (t == DataType::kUndefined) return ctx.Error("the element type of input 0 is unknown");
  if (!ir::IsInteger(t)) return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " operands"));
  return t;
}

// BitwiseAnd/Or/Xor share ONNX's names; Invert is BitwiseNot.
absl::Status ConvertBitwise(NodeContext& ctx) {
  auto t = IntegerType(ctx);
  if (!t.ok()) return t.status();
  const bool invert = ctx.op_type() == "Invert";
  std::vector<std::string> inputs = {ctx.input(0)};
  if (!invert) inputs.push_back(ctx.input(1));
  auto y = EmitBitwise(ctx, invert ? "BitwiseNot" : ctx.op_type(), inputs, *t);
  if (!y.ok()) return ctx.Unsupported(std::string(y.status().message()));
  ctx.SetOutput(0, *y);
  return absl::OkStatus();
}

absl::Status ConvertShift(NodeContext& ctx) {
  auto t = IntegerType(ctx);
  if (!t.ok()) return t.status();
  auto y = EmitShift(ctx, ctx.op_type() == "LeftShift", ctx.input(0), ctx.input(1), *t);
  if (!y.ok()) return ctx.Unsupported(std::string(y.status().message()));
  ctx.SetOutput(0, *y);
  return absl::OkStatus();
}

}  // namespace

void RegisterBitwiseOps(HandlerRegistry& r) {
  r.Register({"BitwiseAnd", "BitwiseOr", "BitwiseXor"}, kMinOpset, Inputs(2), ConvertBitwise);
  r.Register({"Invert"}, kMinOpset, Inputs(1), ConvertBitwise);
  r.Register({"LeftShift", "RightShift"}, kMinOpset, Inputs(2), ConvertShift);
}

}  // namespace onnxsmith::converter

// Filling: Fill, ZerosLike, OnesLike, Range, Tile, BroadcastTo.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Filling

absl::Status ConvertFill(NodeContext& ctx) {  // dims, value
  const std::string dims = Int64Input(ctx, 0);
  const ir::Tensor* value = ctx.const_input(1);
  if (value != nullptr && value->num_elements() == 1 &&
      ConstantOfShapeSupports(value->dtype(), ctx.opset())) {
    auto one_element = value->Reshaped({1});
    if (!one_element.ok()) return ctx.Error(std::string(one_element.status().message()));
    ctx.SetOutput(0, ctx.AddNode("ConstantOfShape", {dims},
                                 {Attribute::TensorValue("value", *std::move(one_element))}));
    return absl::OkStatus();
  }
  // A run-time (or string) value: broadcast the scalar to the shape.
  ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.input(1), dims}));
  return absl::OkStatus();
}

absl::Status FillLike(NodeContext& ctx, bool one) {
  const DataType dtype = InputDType(ctx, 0);
  const bool via_float =
      dtype == DataType::kBfloat16 && !ConstantOfShapeSupports(dtype, ctx.opset());
  const DataType fill_type = via_float ? DataType::kFloat : dtype;
  if (!ConstantOfShapeSupports(fill_type, ctx.opset())) {
    return ctx.Unsupported(absl::StrCat("dtype ", ir::DataTypeName(dtype)));
  }
  auto value = ZeroOrOneTensor(fill_type, one);
  if (!value.ok()) return ctx.Error(std::string(value.status().message()));
  std::string out = ctx.AddNode("ConstantOfShape", {ctx.AddNode("Shape", {ctx.input(0)})},
                                {Attribute::TensorValue("value", *std::move(value))});
  ctx.SetOutput(0, via_float ? ctx.Cast(out, dtype) : out);
  return absl::OkStatus();
}

absl::Status ConvertZerosLike(NodeContext& ctx) { return FillLike(ctx, false); }
absl::Status ConvertOnesLike(NodeContext& ctx) { return FillLike(ctx, true); }

absl::Status ConvertRange(NodeContext& ctx) {  // start, limit, delta
  auto tidx = ctx.attr_type("Tidx");
  const DataType dtype = tidx.ok() ? *tidx : InputDType(ctx, 0, "Tidx");
  // ONNX Range takes float, double, int16, int32, int64; others go through
  // the nearest of those and back.
  DataType compute = dtype;
  switch (dtype) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
      break;
    case DataType::kFloat16:
    case DataType::kBfloat16:
      compute = DataType::kFloat;
      break;
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
      compute = DataType::kInt64;
      break;
    default:
      return ctx.Unsupported(absl::StrCat("Range of ", ir::DataTypeName(dtype)));
  }
  std::vector<std::string> inputs;
  for (int k = 0; k < 3; ++k) inputs.push_back(ctx.Cast(ctx.input(k), compute));
  std::string out = ctx.AddNode("Range", inputs);
  ctx.SetOutput(0, compute == dtype ? out : ctx.Cast(out, dtype));
  return absl::OkStatus();
}

absl::Status ConvertTile(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Tile", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

// TF broadcasts one way (input to shape); ONNX Expand both ways, which gives
// the same result whenever TF accepts the shapes.
absl::Status ConvertBroadcastTo(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterFillOps(HandlerRegistry& r) {
  r.Register({"Fill"}, kMinOpset, Inputs(2), ConvertFill);
  r.Register({"ZerosLike"}, kMinOpset, Inputs(1), ConvertZerosLike);
  r.Register({"OnesLike"}, kMinOpset, Inputs(1), ConvertOnesLike);
  r.Register({"Range"}, kMinOpset, Inputs(3), ConvertRange);
  r.Register({"Tile"}, kMinOpset, Inputs(2), ConvertTile);
  r.Register({"BroadcastTo"}, kMinOpset, Inputs(2), ConvertBroadcastTo);
}

}  // namespace onnxsmith::converter

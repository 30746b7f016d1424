// Colour ops on [..., 3] RGB or HSV images and the Adjust* ops built on them:
// RGBToHSV, HSVToRGB, AdjustHue, AdjustSaturation, AdjustContrastv2. All
// elementwise arithmetic with TF kernels' formulas, computed in float.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/emit/color.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

using Channels = ColorChannels;

// Splits [..., 3] into its channels.
absl::StatusOr<Channels> SplitChannels(NodeContext& ctx, const std::string& x) {
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  if (dims && (dims->empty() || (dims->back() >= 0 && dims->back() != 3))) {
    return ctx.Error("images must have 3 channels in their last dimension");
  }
  return SplitColorChannels(ctx, x);
}

std::string F(NodeContext& ctx, float v) { return ctx.ConstFloat(v); }

// Runs `body` on input 0's channels in float and returns the result in the
// input's type.
template <typename Body>
absl::Status OnChannels(NodeContext& ctx, Body body) {
  const DataType dtype = InputDType(ctx, 0);
  if (!ir::IsFloating(dtype)) {
    return ctx.Error(absl::StrCat("images must be floating point, got ", ir::DataTypeName(dtype)));
  }
  auto ch = SplitChannels(ctx, ctx.Cast(ctx.input(0), DataType::kFloat));
  if (!ch.ok()) return ch.status();
  ctx.SetOutput(0, ctx.Cast(JoinColorChannels(ctx, body(*ch)), dtype));
  return absl::OkStatus();
}

absl::Status ConvertRgbToHsv(NodeContext& ctx) {
  return OnChannels(ctx, [&](const Channels& rgb) { return RgbToHsv(ctx, rgb); });
}

absl::Status ConvertHsvToRgb(NodeContext& ctx) {
  return OnChannels(ctx, [&](const Channels& hsv) { return HsvToRgb(ctx, hsv); });
}

// Hue shifted by delta, wrapped into [0, 1).
absl::Status ConvertAdjustHue(NodeContext& ctx) {
  const std::string delta = ctx.Cast(ctx.input(1), DataType::kFloat);
  return OnChannels(ctx, [&](const Channels& rgb) {
    Channels hsv = RgbToHsv(ctx, rgb);
    const std::string h = ctx.AddNode("Add", {hsv.a, delta});
    // h - floor(h) is fmod(h, 1) plus 1 where negative.
    hsv.a = ctx.AddNode("Sub", {h, ctx.AddNode("Floor", {h})});
    return HsvToRgb(ctx, hsv);
  });
}

// Saturation scaled, clamped to [0, 1].
absl::Status ConvertAdjustSaturation(NodeContext& ctx) {
  const std::string scale = ctx.Cast(ctx.input(1), DataType::kFloat);
  return OnChannels(ctx, [&](const Channels& rgb) {
    Channels hsv = RgbToHsv(ctx, rgb);
    hsv.b = ctx.AddNode("Min", {ctx.AddNode("Max", {ctx.AddNode("Mul", {hsv.b, scale}),
                                                    F(ctx, 0.0f)}),
                                F(ctx, 1.0f)});
    return HsvToRgb(ctx, hsv);
  });
}

// (x - mean) * factor + mean, the mean over each image's height and width.
absl::Status ConvertAdjustContrast(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (rank && *rank < 3) return ctx.Error("images must have rank at least 3");
  const DataType dtype = InputDType(ctx, 0);
  const std::string x = ctx.Cast(ctx.input(0), DataType::kFloat);
  const std::string mean = ctx.Reduce("ReduceMean", x, {-3, -2}, true);
  const std::string y = ctx.AddNode(
      "Add", {ctx.AddNode("Mul", {ctx.AddNode("Sub", {x, mean}),
                                  ctx.Cast(ctx.input(1), DataType::kFloat)}),
              mean});
  ctx.SetOutput(0, ctx.Cast(y, dtype));
  return absl::OkStatus();
}

}  // namespace

void RegisterImageColorOps(HandlerRegistry& r) {
  r.Register({"RGBToHSV"}, kMinOpset, Inputs(1), ConvertRgbToHsv);
  r.Register({"HSVToRGB"}, kMinOpset, Inputs(1), ConvertHsvToRgb);
  r.Register({"AdjustHue"}, kMinOpset, Inputs(2), ConvertAdjustHue);
  r.Register({"AdjustSaturation"}, kMinOpset, Inputs(2), ConvertAdjustSaturation);
  r.Register({"AdjustContrastv2"}, kMinOpset, Inputs(2), ConvertAdjustContrast);
}

}  // namespace onnxsmith::converter

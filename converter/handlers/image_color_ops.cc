// Colour ops on [..., 3] RGB or HSV images and the Adjust* ops built on them:
// RGBToHSV, HSVToRGB, AdjustHue, AdjustSaturation, AdjustContrastv2. All
// elementwise arithmetic with TF kernels' formulas, computed in float.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

struct Channels {
  std::string a, b, c;  // r, g, b or h, s, v: each [...]
};

// Splits [..., 3] into its channels (Gathers: Split's form changes at 18).
absl::StatusOr<Channels> SplitChannels(NodeContext& ctx, const std::string& x) {
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  if (dims && (dims->empty() || (dims->back() >= 0 && dims->back() != 3))) {
    return ctx.Error("images must have 3 channels in their last dimension");
  }
  auto pick = [&](int k) {
    return ctx.AddNode("Gather", {x, ctx.ConstScalar(DataType::kInt64, k, "channel")},
                       {Attribute::Int("axis", -1)});
  };
  return Channels{pick(0), pick(1), pick(2)};
}

std::string Join(NodeContext& ctx, const Channels& ch) {
  return ctx.AddNode("Concat", {ctx.Unsqueeze(ch.a, {-1}), ctx.Unsqueeze(ch.b, {-1}),
                                ctx.Unsqueeze(ch.c, {-1})},
                     {Attribute::Int("axis", -1)});
}

std::string F(NodeContext& ctx, float v) { return ctx.ConstFloat(v); }

// TF's colorspace kernel: V = max, range = V - min, S = range / V (0 at V = 0),
// H by the channel holding the max, in [0, 1).
Channels RgbToHsv(NodeContext& ctx, const Channels& rgb) {
  const std::string& r = rgb.a;
  const std::string& g = rgb.b;
  const std::string& b = rgb.c;
  const std::string zero = F(ctx, 0.0f);
  const std::string v = ctx.AddNode("Max", {r, g, b});
  const std::string range = ctx.AddNode("Sub", {v, ctx.AddNode("Min", {r, g, b})});
  const std::string s = ctx.AddNode(
      "Where", {ctx.AddNode("Greater", {v, zero}), ctx.AddNode("Div", {range, v}), zero});
  const std::string norm =
      ctx.AddNode("Mul", {ctx.AddNode("Reciprocal", {range}), F(ctx, 1.0f / 6.0f)});
  auto sector = [&](const std::string& p, const std::string& q, float base) {
    std::string h = ctx.AddNode("Mul", {norm, ctx.AddNode("Sub", {p, q})});
    return base == 0.0f ? h : ctx.AddNode("Add", {h, F(ctx, base)});
  };
  std::string h = ctx.AddNode(
      "Where", {ctx.AddNode("Equal", {r, v}), sector(g, b, 0.0f),
                ctx.AddNode("Where", {ctx.AddNode("Equal", {g, v}), sector(b, r, 2.0f / 6.0f),
                                      sector(r, g, 4.0f / 6.0f)})});
  h = ctx.AddNode("Where", {ctx.AddNode("Greater", {range, zero}), h, zero});
  h = ctx.AddNode("Where", {ctx.AddNode("Less", {h, zero}), ctx.AddNode("Add", {h, F(ctx, 1.0f)}), h});
  return Channels{h, s, v};
}

// TF's kernel: per channel a clamped triangle of 6h, mixed by s, scaled by v.
Channels HsvToRgb(NodeContext& ctx, const Channels& hsv) {
  const std::string& s = hsv.b;
  const std::string& v = hsv.c;
  const std::string dh = ctx.AddNode("Mul", {hsv.a, F(ctx, 6.0f)});
  auto clamp01 = [&](const std::string& x) {
    return ctx.AddNode("Min", {ctx.AddNode("Max", {x, F(ctx, 0.0f)}), F(ctx, 1.0f)});
  };
  auto dist = [&](float c) { return ctx.AddNode("Abs", {ctx.AddNode("Sub", {dh, F(ctx, c)})}); };
  const std::string dr = clamp01(ctx.AddNode("Sub", {dist(3.0f), F(ctx, 1.0f)}));
  const std::string dg = clamp01(ctx.AddNode("Sub", {F(ctx, 2.0f), dist(2.0f)}));
  const std::string db = clamp01(ctx.AddNode("Sub", {F(ctx, 2.0f), dist(4.0f)}));
  const std::string one_s = ctx.AddNode("Sub", {F(ctx, 1.0f), s});
  auto mix = [&](const std::string& d) {
    return ctx.AddNode("Mul", {ctx.AddNode("Add", {one_s, ctx.AddNode("Mul", {s, d})}), v});
  };
  return Channels{mix(dr), mix(dg), mix(db)};
}

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
  ctx.SetOutput(0, ctx.Cast(Join(ctx, body(*ch)), dtype));
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

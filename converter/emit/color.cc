#include "converter/emit/color.h"

#include <string>

#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

std::string F(OnnxEmitter& e, float v) { return e.ConstFloat(v); }

}  // namespace

ColorChannels SplitColorChannels(OnnxEmitter& e, const std::string& x) {
  // Gathers: Split's form changes at opset 18.
  auto pick = [&](int k) {
    return e.AddNode("Gather", {x, e.ConstScalar(ir::DataType::kInt64, k, "channel")},
                     {ir::Attribute::Int("axis", -1)});
  };
  return ColorChannels{pick(0), pick(1), pick(2)};
}

std::string JoinColorChannels(OnnxEmitter& e, const ColorChannels& ch) {
  return e.AddNode("Concat", {e.Unsqueeze(ch.a, {-1}), e.Unsqueeze(ch.b, {-1}), e.Unsqueeze(ch.c, {-1})},
                   {ir::Attribute::Int("axis", -1)});
}

ColorChannels RgbToHsv(OnnxEmitter& e, const ColorChannels& rgb) {
  const std::string& r = rgb.a;
  const std::string& g = rgb.b;
  const std::string& b = rgb.c;
  const std::string zero = F(e, 0.0f);
  const std::string v = e.AddNode("Max", {r, g, b});
  const std::string range = e.AddNode("Sub", {v, e.AddNode("Min", {r, g, b})});
  const std::string s =
      e.AddNode("Where", {e.AddNode("Greater", {v, zero}), e.AddNode("Div", {range, v}), zero});
  const std::string norm = e.AddNode("Mul", {e.AddNode("Reciprocal", {range}), F(e, 1.0f / 6.0f)});
  auto sector = [&](const std::string& p, const std::string& q, float base) {
    std::string h = e.AddNode("Mul", {norm, e.AddNode("Sub", {p, q})});
    return base == 0.0f ? h : e.AddNode("Add", {h, F(e, base)});
  };
  std::string h = e.AddNode(
      "Where", {e.AddNode("Equal", {r, v}), sector(g, b, 0.0f),
                e.AddNode("Where", {e.AddNode("Equal", {g, v}), sector(b, r, 2.0f / 6.0f),
                                    sector(r, g, 4.0f / 6.0f)})});
  h = e.AddNode("Where", {e.AddNode("Greater", {range, zero}), h, zero});
  h = e.AddNode("Where", {e.AddNode("Less", {h, zero}), e.AddNode("Add", {h, F(e, 1.0f)}), h});
  return ColorChannels{h, s, v};
}

ColorChannels HsvToRgb(OnnxEmitter& e, const ColorChannels& hsv) {
  const std::string& s = hsv.b;
  const std::string& v = hsv.c;
  const std::string dh = e.AddNode("Mul", {hsv.a, F(e, 6.0f)});
  auto clamp01 = [&](const std::string& x) {
    return e.AddNode("Min", {e.AddNode("Max", {x, F(e, 0.0f)}), F(e, 1.0f)});
  };
  auto dist = [&](float c) { return e.AddNode("Abs", {e.AddNode("Sub", {dh, F(e, c)})}); };
  const std::string dr = clamp01(e.AddNode("Sub", {dist(3.0f), F(e, 1.0f)}));
  const std::string dg = clamp01(e.AddNode("Sub", {F(e, 2.0f), dist(2.0f)}));
  const std::string db = clamp01(e.AddNode("Sub", {F(e, 2.0f), dist(4.0f)}));
  const std::string one_s = e.AddNode("Sub", {F(e, 1.0f), s});
  auto mix = [&](const std::string& d) {
    return e.AddNode("Mul", {e.AddNode("Add", {one_s, e.AddNode("Mul", {s, d})}), v});
  };
  return ColorChannels{mix(dr), mix(dg), mix(db)};
}

}  // namespace onnxsmith::converter

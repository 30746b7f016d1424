// Random TF ops as ONNX's *Like random ops over a ConstantOfShape, so that
// computed shapes work too. Values cannot match TF's generator; the
// distribution, shape and type do. TF's seed, when set, becomes ONNX's.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

std::vector<Attribute> SeedAttr(const NodeContext& ctx) {
  const int64_t seed = ctx.attr_int("seed", 0);
  const int64_t seed2 = ctx.attr_int("seed2", 0);
  if (seed == 0 && seed2 == 0) return {};
  return {Attribute::Float("seed", static_cast<float>(seed * 7919 + seed2))};
}

// A float tensor of the shape held by input 0, to shape a *Like op.
std::string ShapeTemplate(NodeContext& ctx) {
  return ctx.AddNode("ConstantOfShape", {ctx.Cast(ctx.input(0), DataType::kInt64)},
                     {Attribute::TensorValue("value", ir::Tensor::Vector1D<float>({0.0f}))});
}

absl::StatusOr<DataType> FloatOut(const NodeContext& ctx) {
  auto t = ctx.attr_type("dtype");
  if (!t.ok()) return t.status();
  if (*t != DataType::kFloat && *t != DataType::kDouble && *t != DataType::kFloat16) {
    return ctx.Unsupported(absl::StrCat(ir::DataTypeName(*t), " random values"));
  }
  return *t;
}

// RandomUniform: [0, 1); RandomStandardNormal: N(0, 1).
absl::Status ConvertRandomFloat(NodeContext& ctx) {
  auto t = FloatOut(ctx);
  if (!t.ok()) return t.status();
  const bool uniform = ctx.op_type() == "RandomUniform";
  std::vector<Attribute> attrs = SeedAttr(ctx);
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(*t)));
  if (uniform) {
    attrs.push_back(Attribute::Float("low", 0.0f));
    attrs.push_back(Attribute::Float("high", 1.0f));
  } else {
    attrs.push_back(Attribute::Float("mean", 0.0f));
    attrs.push_back(Attribute::Float("scale", 1.0f));
  }
  ctx.SetOutput(0, ctx.AddNode(uniform ? "RandomUniformLike" : "RandomNormalLike",
                               {ShapeTemplate(ctx)}, std::move(attrs)));
  return absl::OkStatus();
}

// RandomUniformInt: minval + floor(u * (maxval - minval)) for u in [0, 1).
absl::Status ConvertRandomUniformInt(NodeContext& ctx) {
  auto t = ctx.attr_type("Tout");
  if (!t.ok()) return t.status();
  std::vector<Attribute> attrs = SeedAttr(ctx);
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(DataType::kDouble)));
  const std::string u = ctx.AddNode("RandomUniformLike", {ShapeTemplate(ctx)}, std::move(attrs));
  const std::string lo = ctx.Cast(ctx.input(1), DataType::kDouble);
  const std::string span = ctx.AddNode("Sub", {ctx.Cast(ctx.input(2), DataType::kDouble), lo});
  const std::string value =
      ctx.AddNode("Add", {ctx.AddNode("Floor", {ctx.AddNode("Mul", {u, span})}), lo});
  ctx.SetOutput(0, ctx.Cast(value, *t));
  return absl::OkStatus();
}

// Multinomial(logits [batch, classes], num_samples) -> [batch, num_samples].
absl::Status ConvertMultinomial(NodeContext& ctx) {
  auto samples = ctx.const_ints(1);
  if (!samples.ok()) return samples.status();
  if (samples->size() != 1 || (*samples)[0] < 1) return ctx.Error("num_samples must be >= 1");
  auto out = ctx.attr_type("output_dtype");
  const DataType out_type = out.ok() ? *out : DataType::kInt64;
  std::vector<Attribute> attrs = SeedAttr(ctx);
  attrs.push_back(Attribute::Int("sample_size", (*samples)[0]));
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(out_type)));
  std::string logits = ctx.input(0);
  if (ctx.input_dtype(0) != DataType::kFloat) logits = ctx.Cast(logits, DataType::kFloat);
  ctx.SetOutput(0, ctx.AddNode("Multinomial", {logits}, std::move(attrs)));
  return absl::OkStatus();
}

// RandomShuffle: x's rows (axis 0) in a random order, the permutation being
// the order that sorts one uniform key per row. A scalar is itself.
absl::Status ConvertRandomShuffle(NodeContext& ctx) {
  if (ctx.input_rank(0) == 0) {
    ctx.SetOutput(0, ctx.input(0));
    return absl::OkStatus();
  }
  const std::string rows = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {ctx.input(0)}), ctx.ConstInt64s({0}, "begin"),
                ctx.ConstInt64s({1}, "end")});
  std::vector<Attribute> attrs = SeedAttr(ctx);
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(DataType::kFloat)));
  const std::string template_rows = ctx.AddNode(
      "ConstantOfShape", {rows}, {Attribute::TensorValue("value", ir::Tensor::Vector1D<float>({0.0f}))});
  const std::string keys = ctx.AddNode("RandomUniformLike", {template_rows}, std::move(attrs));
  const std::string perm =
      ctx.AddNodeMulti("TopK", {keys, rows}, 2, {Attribute::Int("axis", 0)})[1];
  ctx.SetOutput(0, ctx.AddNode("Gather", {ctx.input(0), perm}, {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

// SampleDistortedBoundingBox(V2)(image_size [h, w, c], bounding_boxes
// [.., 4]) -> begin, size, bboxes: TF's rejection sampler, all of its
// max_attempts candidates drawn at once. Each draws an aspect ratio, a
// height between the ones the area range allows (then the width from it),
// and an offset; the first candidate whose area is in range, that fits, and
// that covers min_object_covered of some box is the crop, else the whole
// image. Box coordinates are normalized (ymin, xmin, ymax, xmax).
absl::Status ConvertSampleDistortedBoundingBox(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const DataType t, ctx.attr_type("T"));
  const int64_t attempts = ctx.attr_int("max_attempts", 100);
  if (attempts < 1) return ctx.Error("max_attempts must be >= 1");
  std::vector<float> ratio = {0.75f, 1.33f}, area = {0.05f, 1.0f};
  if (auto it = ctx.node().attr().find("aspect_ratio_range"); it != ctx.node().attr().end()) {
    ratio.assign(it->second.list().f().begin(), it->second.list().f().end());
  }
  if (auto it = ctx.node().attr().find("area_range"); it != ctx.node().attr().end()) {
    area.assign(it->second.list().f().begin(), it->second.list().f().end());
  }
  if (ratio.size() != 2 || area.size() != 2) return ctx.Error("ranges must hold two values");
  const DataType f = DataType::kFloat;
  auto k = [&](double v) { return ctx.ConstScalar(f, v, "k"); };
  auto add = [&](const std::string& a, const std::string& b) { return ctx.AddNode("Add", {a, b}); };
  auto sub = [&](const std::string& a, const std::string& b) { return ctx.AddNode("Sub", {a, b}); };
  auto mul = [&](const std::string& a, const std::string& b) { return ctx.AddNode("Mul", {a, b}); };
  auto div = [&](const std::string& a, const std::string& b) { return ctx.AddNode("Div", {a, b}); };
  auto round = [&](const std::string& a) { return ctx.AddNode("Round", {a}); };
  auto where = [&](const std::string& c, const std::string& a, const std::string& b) {
    return ctx.AddNode("Where", {c, a, b});
  };
  auto both = [&](const std::string& a, const std::string& b) { return ctx.AddNode("And", {a, b}); };
  auto uniform = [&](const std::string& hint) {
    std::vector<Attribute> attrs = SeedAttr(ctx);
    attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(f)));
    attrs.push_back(Attribute::Ints("shape", {attempts}));
    if (!attrs.empty() && attrs[0].name == "seed") {  // distinct draws per use
      attrs[0] = Attribute::Float("seed", attrs[0].f + static_cast<float>(hint.size()));
    }
    return ctx.AddNode("RandomUniform", {}, std::move(attrs));
  };
  const std::string size_f = ctx.Cast(ctx.input(0), f);
  const std::string H = ctx.Squeeze(ctx.AddNode("Slice", {size_f, ctx.ConstInt64s({0}), ctx.ConstInt64s({1})}), {0});
  const std::string W = ctx.Squeeze(ctx.AddNode("Slice", {size_f, ctx.ConstInt64s({1}), ctx.ConstInt64s({2})}), {0});
  const std::string image_area = mul(H, W);
  const std::string min_area = mul(k(area[0]), image_area), max_area = mul(k(area[1]), image_area);
  const std::string ar = add(mul(uniform("a"), k(ratio[1] - ratio[0])), k(ratio[0]));
  std::string min_h = round(ctx.AddNode("Sqrt", {div(min_area, ar)}));
  std::string max_h = round(ctx.AddNode("Sqrt", {div(max_area, ar)}));
  auto too_wide = [&](const std::string& h) {
    return ctx.AddNode("Greater", {round(mul(h, ar)), W});
  };
  std::string capped = ctx.AddNode("Floor", {div(add(W, k(0.5 - 1e-7)), ar)});
  capped = where(too_wide(capped), sub(capped, k(1)), capped);
  max_h = where(too_wide(max_h), capped, max_h);
  max_h = ctx.AddNode("Min", {max_h, H});
  min_h = ctx.AddNode("Min", {min_h, max_h});
  std::string h = add(min_h, ctx.AddNode("Floor", {mul(uniform("bb"), add(sub(max_h, min_h), k(1)))}));
  std::string w = round(mul(h, ar));
  std::string a = mul(h, w);
  const std::string grow = ctx.AddNode("Less", {a, min_area});
  h = where(grow, add(h, k(1)), h);
  w = round(mul(h, ar));
  a = mul(h, w);
  const std::string shrink = ctx.AddNode("Greater", {a, max_area});
  h = where(shrink, sub(h, k(1)), h);
  w = round(mul(h, ar));
  a = mul(h, w);
  std::string ok = both(ctx.AddNode("GreaterOrEqual", {a, min_area}), ctx.AddNode("LessOrEqual", {a, max_area}));
  ok = both(ok, both(ctx.AddNode("LessOrEqual", {w, W}), ctx.AddNode("LessOrEqual", {h, H})));
  ok = both(ok, both(ctx.AddNode("Greater", {w, k(0)}), ctx.AddNode("Greater", {h, k(0)})));
  const std::string y = ctx.AddNode("Floor", {mul(uniform("ccc"), ctx.AddNode("Max", {sub(H, h), k(0)}))});
  const std::string x = ctx.AddNode("Floor", {mul(uniform("dddd"), ctx.AddNode("Max", {sub(W, w), k(0)}))});
  // Boxes in pixels [n, 4]; none: the whole image.
  std::string boxes = ctx.AddNode("Reshape", {ctx.Cast(ctx.input(1), f), ctx.ConstInt64s({-1, 4})});
  const std::string scale = ctx.AddNode("Concat", {ctx.Unsqueeze(H, {0}), ctx.Unsqueeze(W, {0}),
                                                   ctx.Unsqueeze(H, {0}), ctx.Unsqueeze(W, {0})},
                                        {Attribute::Int("axis", 0)});
  boxes = ctx.AddNode("Floor", {mul(boxes, scale)});
  if (ctx.attr_bool("use_image_if_no_bounding_boxes", false)) {
    const std::string whole = ctx.Unsqueeze(ctx.AddNode("Concat", {ctx.ConstFloats({2}, {0, 0}),
                                                                  ctx.Unsqueeze(H, {0}), ctx.Unsqueeze(W, {0})},
                                                        {Attribute::Int("axis", 0)}), {0});
    const std::string rows = ctx.AddNode("Max", {ctx.Reshape(RuntimeDim(ctx, boxes, 0), {1}),
                                                 ctx.ConstInt64s({1})});
    boxes = ctx.AddNode("Slice", {ctx.AddNode("Concat", {boxes, whole}, {Attribute::Int("axis", 0)}),
                                  ctx.ConstInt64s({0}), rows});
  }
  auto col = [&](const std::string& m, int64_t c) {  // [n] column c of [n, 4]
    return ctx.Squeeze(ctx.AddNode("Slice", {m, ctx.ConstInt64s({c}), ctx.ConstInt64s({c + 1}),
                                             ctx.ConstInt64s({1})}), {1});
  };
  auto per_box = [&](const std::string& v) { return ctx.Unsqueeze(v, {1}); };  // [attempts, 1]
  const std::string by0 = col(boxes, 0), bx0 = col(boxes, 1), by1 = col(boxes, 2), bx1 = col(boxes, 3);
  auto overlap = [&](const std::string& lo, const std::string& len, const std::string& b0,
                     const std::string& b1) {
    const std::string hi = ctx.AddNode("Min", {add(per_box(lo), per_box(len)), b1});
    return ctx.AddNode("Relu", {sub(hi, ctx.AddNode("Max", {per_box(lo), b0}))});
  };
  const std::string inter = mul(overlap(y, h, by0, by1), overlap(x, w, bx0, bx1));
  const std::string box_area = mul(sub(by1, by0), sub(bx1, bx0));
  std::string min_cov = ctx.num_inputs() > 2 ? ctx.Cast(ctx.input(2), f)
                                              : k(ctx.attr_float("min_object_covered", 0.1f));
  const std::string covers = ctx.AddNode("GreaterOrEqual", {div(inter, box_area), min_cov});
  const std::string any_cover = ctx.AddNode(
      "Greater", {ctx.Reduce("ReduceSum", ctx.Cast(covers, f), {1}, false), k(0)});
  ok = both(ok, ctx.AddNode("Or", {any_cover, ctx.AddNode("LessOrEqual", {min_cov, k(0)})}));
  const std::string ok_f = ctx.Cast(ok, f);
  const std::string first = ctx.AddNode("ArgMax", {ok_f}, {Attribute::Int("axis", 0), Attribute::Int("keepdims", 0)});
  const std::string found = ctx.AddNode("Greater", {ctx.Reduce("ReduceMax", ok_f, {0}, false), k(0)});
  auto pick = [&](const std::string& v, const std::string& fallback) {
    return where(found, ctx.AddNode("Gather", {v, first}, {Attribute::Int("axis", 0)}), fallback);
  };
  const std::string cy = pick(y, k(0)), cx = pick(x, k(0)), ch = pick(h, H), cw = pick(w, W);
  auto vec = [&](std::vector<std::string> v) {
    for (auto& e : v) e = ctx.Unsqueeze(e, {0});
    return ctx.AddNode("Concat", v, {Attribute::Int("axis", 0)});
  };
  ctx.SetOutput(0, ctx.Cast(vec({cy, cx, k(0)}), t));
  ctx.SetOutput(1, ctx.Cast(vec({ch, cw, k(-1)}), t));
  ctx.SetOutput(2, ctx.Reshape(vec({div(cy, H), div(cx, W), div(add(cy, ch), H), div(add(cx, cw), W)}),
                               {1, 1, 4}));
  return absl::OkStatus();
}

}  // namespace

void RegisterRandomOps(HandlerRegistry& r) {
  r.Register({"RandomUniform", "RandomStandardNormal"}, kMinOpset, Inputs(1), ConvertRandomFloat);
  r.Register({"RandomUniformInt"}, kMinOpset, Inputs(3), ConvertRandomUniformInt);
  r.Register({"Multinomial"}, kMinOpset, Inputs(2), ConvertMultinomial);
  r.Register({"RandomShuffle"}, kMinOpset, Inputs(1), ConvertRandomShuffle);
  r.Register({"SampleDistortedBoundingBox"}, kMinOpset, Inputs(2), ConvertSampleDistortedBoundingBox);
  r.Register({"SampleDistortedBoundingBoxV2"}, kMinOpset, Inputs(3), ConvertSampleDistortedBoundingBox);
}

}  // namespace onnxsmith::converter

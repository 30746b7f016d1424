// Random TF ops as ONNX's *Like random ops over a ConstantOfShape, so that
// computed shapes work too. Values cannot match TF's generator; the
// distribution, shape and type do. TF's seed, when set, becomes ONNX's.
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

}  // namespace

void RegisterRandomOps(HandlerRegistry& r) {
  r.Register({"RandomUniform", "RandomStandardNormal"}, kMinOpset, Inputs(1), ConvertRandomFloat);
  r.Register({"RandomUniformInt"}, kMinOpset, Inputs(3), ConvertRandomUniformInt);
  r.Register({"Multinomial"}, kMinOpset, Inputs(2), ConvertMultinomial);
}

}  // namespace onnxsmith::converter

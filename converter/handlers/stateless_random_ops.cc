// tf.random.stateless_* ops (V1 with a seed input; V2 with key/counter/alg
// from StatelessRandomGetKeyCounter*) as ONNX's *Like random ops over a
// ConstantOfShape. ONNX has no counter-based generator, so the values differ
// from TF's Philox stream; shape, type and distribution match. A constant
// seed becomes ONNX's seed, so a converted model is reproducible as TF's is.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

bool IsV2(const NodeContext& ctx) { return absl::EndsWith(ctx.op_type(), "V2"); }

// The ONNX seed attribute from a constant seed input (V1 ops, input 1).
std::vector<Attribute> StatelessSeed(const NodeContext& ctx) {
  if (IsV2(ctx) || ctx.num_inputs() < 2) return {};
  auto seed = ctx.const_ints(1);
  if (!seed.ok() || seed->empty()) return {};
  int64_t mixed = 0;
  for (int64_t s : *seed) mixed = mixed * 7919 + s;
  return {Attribute::Float("seed", static_cast<float>(mixed % 1000003))};
}

std::string ShapedZeros(NodeContext& ctx, const std::string& shape) {
  return ctx.AddNode("ConstantOfShape", {ctx.Cast(shape, DataType::kInt64)},
                     {Attribute::TensorValue("value", ir::Tensor::Vector1D<float>({0.0f}))});
}

absl::StatusOr<DataType> FloatDtype(const NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType t, ctx.attr_type("dtype"));
  if (t != DataType::kFloat && t != DataType::kDouble && t != DataType::kFloat16) {
    return ctx.Unsupported(absl::StrCat(ir::DataTypeName(t), " random values"));
  }
  return t;
}

// ONNX Runtime draws no float16: those are drawn as float and cast.
std::string Draw(NodeContext& ctx, const char* op, const std::string& like, DataType t,
                 float a, float b) {
  if (t == DataType::kFloat16) {
    return ctx.Cast(Draw(ctx, op, like, DataType::kFloat, a, b), DataType::kFloat16);
  }
  std::vector<Attribute> attrs = StatelessSeed(ctx);
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(t)));
  const bool uniform = std::string(op) == "RandomUniformLike";
  attrs.push_back(Attribute::Float(uniform ? "low" : "mean", a));
  attrs.push_back(Attribute::Float(uniform ? "high" : "scale", b));
  return ctx.AddNode(op, {like}, std::move(attrs));
}

// Uniform [0, 1) and standard normal.
absl::Status ConvertStatelessFloat(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType t, FloatDtype(ctx));
  const bool uniform = absl::StrContains(ctx.op_type(), "Uniform");
  ctx.SetOutput(0, Draw(ctx, uniform ? "RandomUniformLike" : "RandomNormalLike",
                        ShapedZeros(ctx, ctx.input(0)), t, 0.0f, 1.0f));
  return absl::OkStatus();
}

// Truncated normal: TF redraws values beyond 2 standard deviations. Eight
// candidates per element, the first inside [-2, 2] kept (all eight fall
// outside with probability 0.0455^8 ~ 2e-11; then the clip bounds it).
absl::Status ConvertStatelessTruncatedNormal(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType t, FloatDtype(ctx));
  constexpr int64_t kCandidates = 8;
  const std::string shape = ctx.Cast(ctx.input(0), DataType::kInt64);
  const std::string wide = ctx.AddNode(
      "Concat", {ctx.Reshape(shape, {-1}), ctx.ConstInt64s({kCandidates}, "candidates")},
      {Attribute::Int("axis", 0)});
  const std::string z = Draw(ctx, "RandomNormalLike", ShapedZeros(ctx, wide), DataType::kFloat,
                             0.0f, 1.0f);
  const std::string inside =
      ctx.AddNode("Less", {ctx.AddNode("Abs", {z}), ctx.ConstFloat(2.0f, "two")});
  const std::string first = ctx.AddNode(
      "ArgMax", {ctx.Cast(inside, DataType::kInt32)},
      {Attribute::Int("axis", -1), Attribute::Int("keepdims", 1)});
  const std::string picked = ctx.AddNode("GatherElements", {z, first}, {Attribute::Int("axis", -1)});
  const std::string bounded =
      ctx.AddNode("Clip", {picked, ctx.ConstFloat(-2.0f, "lo"), ctx.ConstFloat(2.0f, "hi")});
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("Squeeze", {bounded, ctx.ConstInt64s({-1}, "last")}), t));
  return absl::OkStatus();
}

// Integers in [minval, maxval): minval + floor(u * (maxval - minval)).
absl::Status ConvertStatelessUniformInt(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType t, ctx.attr_type("dtype"));
  const int lo_input = IsV2(ctx) ? 4 : 2;
  const std::string u =
      Draw(ctx, "RandomUniformLike", ShapedZeros(ctx, ctx.input(0)), DataType::kDouble, 0.0f, 1.0f);
  const std::string lo = ctx.Cast(ctx.input(lo_input), DataType::kDouble);
  const std::string span =
      ctx.AddNode("Sub", {ctx.Cast(ctx.input(lo_input + 1), DataType::kDouble), lo});
  const std::string value =
      ctx.AddNode("Add", {ctx.AddNode("Floor", {ctx.AddNode("Mul", {u, span})}), lo});
  ctx.SetOutput(0, ctx.Cast(value, t));
  return absl::OkStatus();
}

// StatelessMultinomial(logits, num_samples, seed).
absl::Status ConvertStatelessMultinomial(NodeContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> samples, ctx.const_ints(1));
  if (samples.size() != 1 || samples[0] < 1) return ctx.Error("num_samples must be >= 1");
  auto out = ctx.attr_type("output_dtype");
  const DataType out_type = out.ok() ? *out : DataType::kInt64;
  std::vector<Attribute> attrs;
  if (auto seed = ctx.const_ints(2); seed.ok() && !seed->empty()) {
    int64_t mixed = 0;
    for (int64_t s : *seed) mixed = mixed * 7919 + s;
    attrs.push_back(Attribute::Float("seed", static_cast<float>(mixed % 1000003)));
  }
  attrs.push_back(Attribute::Int("sample_size", samples[0]));
  attrs.push_back(Attribute::Int("dtype", static_cast<int64_t>(DataType::kInt64)));
  const std::string drawn =
      ctx.AddNode("Multinomial", {ctx.Cast(ctx.input(0), DataType::kFloat)}, std::move(attrs));
  ctx.SetOutput(0, ctx.Cast(drawn, out_type));
  return absl::OkStatus();
}

// The key/counter/alg the V2 ops take: the V2 handlers ignore them, so
// constants of TF's types and shapes (Philox: key [1], counter [2]) do.
absl::Status ConvertGetKeyCounter(NodeContext& ctx) {
  int k = 0;
  if (ctx.op_type() != "StatelessRandomGetAlg") {
    ctx.SetOutput(k++, ctx.AddConst(ir::Tensor::Vector1D<uint64_t>({0}), "key"));
    ctx.SetOutput(k++, ctx.AddConst(ir::Tensor::Vector1D<uint64_t>({0, 0}), "counter"));
  }
  if (ctx.op_type() != "StatelessRandomGetKeyCounter") {
    ctx.SetOutput(k, ctx.AddConst(ir::Tensor::Scalar<int32_t>(1), "alg"));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterStatelessRandomOps(HandlerRegistry& r) {
  r.Register({"StatelessRandomUniform", "StatelessRandomNormal"}, kMinOpset, Inputs(2),
             ConvertStatelessFloat);
  r.Register({"StatelessRandomUniformV2", "StatelessRandomNormalV2"}, kMinOpset, Inputs(4),
             ConvertStatelessFloat);
  r.Register({"StatelessTruncatedNormal"}, kMinOpset, Inputs(2), ConvertStatelessTruncatedNormal);
  r.Register({"StatelessTruncatedNormalV2"}, kMinOpset, Inputs(4), ConvertStatelessTruncatedNormal);
  r.Register({"StatelessRandomUniformInt"}, kMinOpset, Inputs(4), ConvertStatelessUniformInt);
  r.Register({"StatelessRandomUniformIntV2"}, kMinOpset, Inputs(6), ConvertStatelessUniformInt);
  r.Register({"StatelessMultinomial"}, kMinOpset, Inputs(3), ConvertStatelessMultinomial);
  r.Register({"StatelessRandomGetKeyCounter"}, kMinOpset, Inputs(1), ConvertGetKeyCounter);
  r.Register({"StatelessRandomGetKeyCounterAlg"}, kMinOpset, Inputs(1), ConvertGetKeyCounter);
  r.Register({"StatelessRandomGetAlg"}, kMinOpset, Inputs(0), ConvertGetKeyCounter);
}

}  // namespace onnxsmith::converter

// Array ops the per-op sweep (tools/op_sweep) found refused: GuaranteeConst,
// LinSpace, BroadcastArgs, LowerBound/UpperBound (tf.searchsorted), InTopKV2,
// HistogramFixedWidth.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "converter/emit/vector_math.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

absl::Status ConvertGuaranteeConst(NodeContext& ctx) {
  ctx.SetOutputAlias(0, ctx.input(0));
  return absl::OkStatus();
}

// LinSpace(start, stop, num): start + i * (stop - start) / (num - 1), the last
// element exactly `stop` as TF writes it; num == 1 gives [start].
absl::Status ConvertLinSpace(NodeContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  const std::string num = ctx.Reshape(ctx.Cast(ctx.input(2), DataType::kInt64), {});
  const std::string one = ctx.ConstScalar(DataType::kInt64, 1, "one");
  const std::string idx = ctx.AddNode(
      "Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), num, one});
  const std::string last = ctx.AddNode("Sub", {num, one});
  const std::string steps = ctx.Cast(ctx.AddNode("Max", {last, one}), t);
  const std::string step =
      ctx.AddNode("Div", {ctx.AddNode("Sub", {ctx.input(1), ctx.input(0)}), steps});
  const std::string value =
      ctx.AddNode("Add", {ctx.input(0), ctx.AddNode("Mul", {ctx.Cast(idx, t), step})});
  const std::string is_last =
      ctx.AddNode("And", {ctx.AddNode("Equal", {idx, last}),
                          ctx.AddNode("Greater", {num, one})});
  ctx.SetOutput(0, ctx.AddNode("Where", {is_last, ctx.input(1), value}));
  return absl::OkStatus();
}

// BroadcastArgs(s0, s1): the broadcast shape, as the shape of a 1-byte
// tensor of shape s0 expanded to s1 (Expand broadcasts both ways).
absl::Status ConvertBroadcastArgs(NodeContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  const std::string zeros = ctx.AddNode(
      "ConstantOfShape", {ctx.Cast(ctx.input(0), DataType::kInt64)},
      {Attribute::TensorValue("value", ir::Tensor::Vector1D<uint8_t>({0}))});
  const std::string expanded =
      ctx.AddNode("Expand", {zeros, ctx.Cast(ctx.input(1), DataType::kInt64)});
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("Shape", {expanded}), t));
  return absl::OkStatus();
}

// LowerBound/UpperBound(sorted [B, N], values [B, M]) -> [B, M]: how many
// sorted entries are < (lower) or <= (upper) each value.
absl::Status ConvertSearchSorted(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType out_type, ctx.attr_type("out_type"));
  const std::string sorted = ctx.Unsqueeze(ctx.input(0), {1});  // [B, 1, N]
  const std::string values = ctx.Unsqueeze(ctx.input(1), {2});  // [B, M, 1]
  const std::string count =
      EmitCountBelow(ctx, sorted, values, 2, ctx.op_type() == "UpperBound");  // [B, M]
  ctx.SetOutput(0, ctx.Cast(count, out_type));
  return absl::OkStatus();
}

// InTopKV2(predictions [B, C], targets [B], k): fewer than k classes score
// strictly above the target's (ties are in, as in TF), and that score is
// finite.
absl::Status ConvertInTopK(NodeContext& ctx) {
  const std::string pred = ctx.Cast(ctx.input(0), DataType::kFloat);
  const std::string target =
      ctx.Unsqueeze(ctx.Cast(ctx.input(1), DataType::kInt64), {1});  // [B, 1]
  const std::string score =
      ctx.AddNode("GatherElements", {pred, target}, {Attribute::Int("axis", 1)});  // [B, 1]
  const std::string above = ctx.AddNode(
      "ReduceSum",
      {ctx.Cast(ctx.AddNode("Greater", {pred, score}), DataType::kInt64),
       ctx.ConstInt64s({1}, "axis")},
      {Attribute::Int("keepdims", 0)});
  const std::string k = ctx.Reshape(ctx.Cast(ctx.input(2), DataType::kInt64), {});
  const std::string flat_score = ctx.Squeeze(score, {1});
  const std::string finite = ctx.AddNode(
      "Not", {ctx.AddNode("Or", {ctx.AddNode("IsNaN", {flat_score}),
                                 ctx.AddNode("IsInf", {flat_score})})});
  ctx.SetOutput(0, ctx.AddNode("And", {ctx.AddNode("Less", {above, k}), finite}));
  return absl::OkStatus();
}

// HistogramFixedWidth(values, [lo, hi], nbins): bin clip(floor((v - lo) /
// (hi - lo) * nbins), 0, nbins - 1), counted.
absl::Status ConvertHistogramFixedWidth(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType out_type, ctx.attr_type("dtype"));
  // Floats bin in their own type (as TF's kernel does), integers in double.
  const DataType in_type = ctx.input_dtype(0);
  const DataType t = ir::IsFloating(in_type) ? in_type : DataType::kDouble;
  const std::string v = ctx.Reshape(ctx.Cast(ctx.input(0), t), {-1});
  const std::string range = ctx.Cast(ctx.input(1), t);
  auto element = [&](int64_t i) {
    return ctx.AddNode("Gather", {range, ctx.ConstScalar(DataType::kInt64, i, "i")},
                       {Attribute::Int("axis", 0)});
  };
  const std::string lo = element(0);
  const std::string nbins = ctx.Reshape(ctx.Cast(ctx.input(2), DataType::kInt64), {});
  const std::string scaled = ctx.AddNode(
      "Mul", {ctx.AddNode("Div", {ctx.AddNode("Sub", {v, lo}),
                                  ctx.AddNode("Sub", {element(1), lo})}),
              ctx.Cast(nbins, t)});
  const std::string last = ctx.AddNode("Sub", {nbins, ctx.ConstScalar(DataType::kInt64, 1, "one")});
  const std::string bin = ctx.AddNode(
      "Clip", {ctx.Cast(ctx.AddNode("Floor", {scaled}), DataType::kInt64),
               ctx.ConstScalar(DataType::kInt64, 0, "zero"), last});
  const std::string bins = ctx.AddNode(
      "Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), nbins,
                ctx.ConstScalar(DataType::kInt64, 1, "one")});
  const std::string hits = ctx.AddNode("Equal", {ctx.Unsqueeze(bin, {1}), bins});  // [N, nbins]
  const std::string counts = ctx.AddNode(
      "ReduceSum", {ctx.Cast(hits, DataType::kInt64), ctx.ConstInt64s({0}, "axis")},
      {Attribute::Int("keepdims", 0)});
  ctx.SetOutput(0, ctx.Cast(counts, out_type));
  return absl::OkStatus();
}

}  // namespace

void RegisterArrayExtraOps(HandlerRegistry& r) {
  r.Register({"GuaranteeConst"}, kMinOpset, Inputs(1), ConvertGuaranteeConst);
  r.Register({"LinSpace"}, kMinOpset, Inputs(3), ConvertLinSpace);
  r.Register({"BroadcastArgs"}, kMinOpset, Inputs(2), ConvertBroadcastArgs);
  r.Register({"LowerBound", "UpperBound"}, kMinOpset, Inputs(2), ConvertSearchSorted);
  r.Register({"InTopKV2"}, kMinOpset, Inputs(3), ConvertInTopK);
  r.Register({"HistogramFixedWidth"}, kMinOpset, Inputs(3), ConvertHistogramFixedWidth);
}

}  // namespace onnxsmith::converter

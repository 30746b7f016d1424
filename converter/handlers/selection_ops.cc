// Ops that select or index elements: Unique/UniqueWithCounts (ONNX Unique
// keeps first-occurrence order with sorted=0, as TF does), Bucketize, and
// NonMaxSuppressionV2-V5 (ONNX NonMaxSuppression over one batch and class).
#include <cstdint>
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

DataType IndexType(const NodeContext& ctx) {
  auto t = ctx.attr_type("out_idx");
  return t.ok() ? *t : DataType::kInt32;
}

absl::Status ConvertUnique(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (rank.has_value() && *rank != 1) return ctx.Error("Unique takes a 1-D input");
  const DataType index = IndexType(ctx);
  // ONNX Runtime's Unique takes float, double, int8, int64 and strings: other
  // integers go through int64.
  const DataType t = ctx.input_dtype(0);
  const bool widen = ir::IsInteger(t) && t != DataType::kInt64 && t != DataType::kInt8;
  const std::string x = widen ? ctx.Cast(ctx.input(0), DataType::kInt64) : ctx.input(0);
  std::vector<std::string> outs =
      ctx.AddNodeMulti("Unique", {x}, 4, {Attribute::Int("sorted", 0)});
  ctx.SetOutput(0, widen ? ctx.Cast(outs[0], t) : outs[0]);
  ctx.SetOutput(1, ctx.Cast(outs[2], index));
  if (ctx.op_type() == "UniqueWithCounts") ctx.SetOutput(2, ctx.Cast(outs[3], index));
  return absl::OkStatus();
}

// The number of boundaries at or below each value.
absl::Status ConvertBucketize(NodeContext& ctx) {
  const std::vector<float> boundaries = [&] {
    std::vector<float> b;
    for (const auto& a : ctx.node().attr()) {
      if (a.first == "boundaries") b.assign(a.second.list().f().begin(), a.second.list().f().end());
    }
    return b;
  }();
  std::string x = ctx.input(0);
  if (boundaries.empty()) {
    ctx.SetOutput(0, ctx.AddNode("ConstantOfShape", {ctx.AddNode("Shape", {x})},
                                 {Attribute::TensorValue("value",
                                                         ir::Tensor::Vector1D<int32_t>({0}))}));
    return absl::OkStatus();
  }
  const bool wide = ctx.input_dtype(0) == DataType::kDouble;
  const DataType cmp = wide ? DataType::kDouble : DataType::kFloat;
  if (ctx.input_dtype(0) != cmp) x = ctx.Cast(x, cmp);
  std::string bounds = ctx.AddConst(ir::Tensor::Vector1D<float>(boundaries), "boundaries");
  if (wide) bounds = ctx.Cast(bounds, DataType::kDouble);
  const std::string above =
      ctx.AddNode("GreaterOrEqual", {ctx.Unsqueeze(x, {-1}), bounds});
  ctx.SetOutput(0, ctx.AddNode("ReduceSum", {ctx.Cast(above, DataType::kInt32),
                                             ctx.ConstInt64s({-1}, "axes")},
                               {Attribute::Int("keepdims", 0)}));
  return absl::OkStatus();
}

// A float scalar input as ONNX's 1-element threshold.
std::string Threshold(NodeContext& ctx, int i) {
  std::string v = ctx.input(i);
  if (ctx.input_dtype(i) != DataType::kFloat) v = ctx.Cast(v, DataType::kFloat);
  return ctx.AddNode("Reshape", {v, ctx.ConstInt64s({1}, "one")});
}

absl::Status ConvertNonMaxSuppression(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool v5 = op == "NonMaxSuppressionV5";
  if (v5) {
    const ir::Tensor* sigma = ctx.const_input(5);
    auto values = sigma == nullptr ? absl::StatusOr<std::vector<double>>(
                                         absl::InvalidArgumentError("not constant"))
                                   : sigma->ToDoubles();
    if (!values.ok() || values->size() != 1 || (*values)[0] != 0.0) {
      return ctx.Unsupported("soft-NMS (soft_nms_sigma other than a constant 0)");
    }
  }
  const std::string boxes = ctx.Unsqueeze(ctx.input(0), {0});               // [1, N, 4]
  const std::string scores = ctx.Unsqueeze(ctx.input(1), {0, 1});          // [1, 1, N]
  const std::string max_out = ctx.AddNode(
      "Reshape", {ctx.Cast(ctx.input(2), DataType::kInt64), ctx.ConstInt64s({1}, "one")});
  const bool v1 = op == "NonMaxSuppression";  // iou_threshold an attribute, no score threshold
  std::vector<std::string> inputs = {
      boxes, scores, max_out,
      v1 ? ctx.ConstFloats({1}, {ctx.attr_float("iou_threshold", 0.5f)}, "iou") : Threshold(ctx, 3)};
  if (op != "NonMaxSuppressionV2" && !v1) inputs.push_back(Threshold(ctx, 4));
  const std::string triples = ctx.AddNode("NonMaxSuppression", std::move(inputs));
  std::string selected =
      ctx.AddNode("Gather", {triples, ctx.ConstScalar(DataType::kInt64, 2, "box")},
                  {Attribute::Int("axis", 1)});  // [M] int64
  std::string selected_scores;
  if (v5) selected_scores = ctx.AddNode("Gather", {ctx.input(1), selected});
  const std::string count = ctx.AddNode("Shape", {selected});
  const bool pad = (op == "NonMaxSuppressionV4" || v5) &&
                   ctx.attr_bool("pad_to_max_output_size", false);
  if (pad) {
    const std::string missing = ctx.AddNode("Sub", {max_out, count});
    const std::string pads =
        ctx.AddNode("Concat", {ctx.ConstInt64s({0}, "zero"), missing}, {Attribute::Int("axis", 0)});
    selected = ctx.AddNode("Pad", {selected, pads});
    if (v5) selected_scores = ctx.AddNode("Pad", {selected_scores, pads});
  }
  ctx.SetOutput(0, ctx.Cast(selected, DataType::kInt32));
  int next = 1;
  if (v5) ctx.SetOutput(next++, selected_scores);
  if (op == "NonMaxSuppressionV4" || v5) {
    ctx.SetOutput(next, ctx.Cast(ctx.Squeeze(count, {0}), DataType::kInt32));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterSelectionOps(HandlerRegistry& r) {
  r.Register({"Unique", "UniqueWithCounts"}, kMinOpset, Inputs(1), ConvertUnique);
  r.Register({"Bucketize"}, kMinOpset, Inputs(1), ConvertBucketize);
  r.Register({"NonMaxSuppression"}, kMinOpset, Inputs(3), ConvertNonMaxSuppression);
  r.Register({"NonMaxSuppressionV2"}, kMinOpset, Inputs(4), ConvertNonMaxSuppression);
  r.Register({"NonMaxSuppressionV3", "NonMaxSuppressionV4"}, kMinOpset, Inputs(5),
             ConvertNonMaxSuppression);
  r.Register({"NonMaxSuppressionV5"}, kMinOpset, Inputs(6), ConvertNonMaxSuppression);
}

}  // namespace onnxsmith::converter

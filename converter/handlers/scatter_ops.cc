// Scatters and segment reductions as ONNX ScatterND: ScatterNd and
// TensorScatterUpdate/Add/Sub/Max/Min, UnsortedSegmentSum/Prod/Max/Min and
// SegmentSum/Prod/Max/Min. ScatterND's reduction attribute (add/mul from
// opset 16, max/min from 18) accumulates duplicate indices as TF does.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// The values' type: input i's, else TF's "T" attribute.
absl::StatusOr<DataType> ValueType(const NodeContext& ctx, int i) {
  DataType t = ctx.input_dtype(i);
  if (t == DataType::kUndefined) t = ctx.element_type();
  if (t == DataType::kUndefined) {
    return ctx.Error(absl::StrCat("the element type of input ", i, " is unknown"));
  }
  return t;
}

// A tensor of `shape` (a 1-D int64 value) filled with `value` of `dtype`.
absl::StatusOr<std::string> Filled(NodeContext& ctx, const std::string& shape, DataType dtype,
                                   double value) {
  auto fill = ir::Tensor::FromVector<double>({1}, {value}).CastTo(dtype);
  if (!fill.ok()) return ctx.Unsupported(absl::StrCat(ir::DataTypeName(dtype), " values"));
  return ctx.AddNode("ConstantOfShape", {shape}, {Attribute::TensorValue("value", *fill)});
}

// The value of `dtype` an empty max (min) segment holds in TF: the lowest
// (highest) finite value.
double Identity(DataType dtype, const std::string& reduction) {
  const bool max = reduction == "max";
  switch (dtype) {
    case DataType::kFloat:
      return max ? std::numeric_limits<float>::lowest() : std::numeric_limits<float>::max();
    case DataType::kDouble:
      return max ? std::numeric_limits<double>::lowest() : std::numeric_limits<double>::max();
    case DataType::kInt32:
      return max ? std::numeric_limits<int32_t>::lowest() : std::numeric_limits<int32_t>::max();
    case DataType::kInt64:
      return max ? static_cast<double>(std::numeric_limits<int64_t>::lowest())
                 : static_cast<double>(std::numeric_limits<int64_t>::max());
    default:
      return 0;
  }
}

std::string Scatter(NodeContext& ctx, const std::string& data, const std::string& indices,
                    const std::string& updates, const std::string& reduction) {
  std::vector<Attribute> attrs;
  if (reduction != "none") attrs.push_back(Attribute::String("reduction", reduction));
  return ctx.AddNode("ScatterND", {data, ctx.Cast(indices, DataType::kInt64), updates},
                     std::move(attrs));
}

// ScatterNd(indices, updates, shape): updates summed into zeros.
absl::Status ConvertScatterNd(NodeContext& ctx) {
  auto t = ValueType(ctx, 1);
  if (!t.ok()) return t.status();
  auto zeros = Filled(ctx, ctx.Cast(ctx.input(2), DataType::kInt64), *t, 0);
  if (!zeros.ok()) return zeros.status();
  ctx.SetOutput(0, Scatter(ctx, *zeros, ctx.input(0), ctx.input(1), "add"));
  return absl::OkStatus();
}

absl::Status ConvertTensorScatter(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  std::string reduction = "none";
  std::string updates = ctx.input(2);
  if (op == "TensorScatterAdd") reduction = "add";
  if (op == "TensorScatterSub") {
    reduction = "add";
    updates = ctx.AddNode("Neg", {updates});
  }
  if (op == "TensorScatterMax") reduction = "max";
  if (op == "TensorScatterMin") reduction = "min";
  ctx.SetOutput(0, Scatter(ctx, ctx.input(0), ctx.input(1), updates, reduction));
  return absl::OkStatus();
}

// Segment reductions: data rows scattered by segment id into
// [num_segments] + data.shape[rank(ids):], starting from the reduction's
// identity. TF leaves empty max/min segments at the type's lowest/highest
// value and ignores negative ids of the unsorted ops (ScatterND would wrap
// them: refused only by TF's own checks upstream, so not handled here).
absl::Status ConvertSegment(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool sorted = op.rfind("Segment", 0) == 0;
  std::string reduction;
  double init = 0;
  auto t = ValueType(ctx, 0);
  if (!t.ok()) return t.status();
  if (absl::EndsWith(op, "Sum")) {
    reduction = "add";
  } else if (absl::EndsWith(op, "Prod")) {
    reduction = "mul";
    init = 1;
  } else if (absl::EndsWith(op, "Max")) {
    reduction = "max";
    init = Identity(*t, reduction);
  } else {
    reduction = "min";
    init = Identity(*t, reduction);
  }
  const std::optional<int> ids_rank = ctx.input_rank(1);
  if (!ids_rank.has_value()) return ctx.Error("the rank of segment_ids is unknown");
  const std::string ids = ctx.Cast(ctx.input(1), DataType::kInt64);
  std::string count;
  if (sorted) {
    // Sorted ids: as many segments as the largest id + 1 (none when empty).
    const std::string flat = ctx.AddNode("Reshape", {ids, ctx.ConstInt64s({-1}, "flat")});
    const std::string padded = ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "none"), flat},
                                           {Attribute::Int("axis", 0)});
    count = ctx.AddNode("Add", {ctx.AddNode("ReduceMax", {padded}, {Attribute::Int("keepdims", 1)}),
                                ctx.ConstInt64s({1}, "one")});
  } else {
    count = ctx.AddNode("Reshape", {ctx.Cast(ctx.input(2), DataType::kInt64),
                                    ctx.ConstInt64s({1}, "one")});
  }
  const std::string shape = ctx.AddNode("Shape", {ctx.input(0)});
  const std::string rest = ctx.AddNode(
      "Slice", {shape, ctx.ConstInt64s({*ids_rank}, "from"),
                ctx.ConstInt64s({std::numeric_limits<int64_t>::max()}, "to")});
  const std::string out_shape =
      ctx.AddNode("Concat", {count, rest}, {Attribute::Int("axis", 0)});
  auto base = Filled(ctx, out_shape, *t, init);
  if (!base.ok()) return base.status();
  std::string y = Scatter(ctx, *base, ctx.Unsqueeze(ids, {*ids_rank}), ctx.input(0), reduction);
  if (sorted && (reduction == "max" || reduction == "min")) {
    // The sorted ops give 0 for an empty segment: the untouched identity
    // (a real max equal to the lowest value is taken for empty too).
    const std::string untouched = ctx.AddNode("Equal", {y, ctx.ConstScalar(*t, init, "identity")});
    y = ctx.AddNode("Where", {untouched, ctx.ConstScalar(*t, 0, "zero"), y});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

// Each op from the opset whose ScatterND has the reduction it needs.
void RegisterScatterOps(HandlerRegistry& r) {
  r.Register({"TensorScatterUpdate"}, kMinOpset, Inputs(3), ConvertTensorScatter);
  r.Register({"ScatterNd"}, 16, Inputs(3), ConvertScatterNd);
  r.Register({"TensorScatterAdd", "TensorScatterSub"}, 16, Inputs(3), ConvertTensorScatter);
  r.Register({"TensorScatterMax", "TensorScatterMin"}, 18, Inputs(3), ConvertTensorScatter);
  r.Register({"UnsortedSegmentSum", "UnsortedSegmentProd"}, 16, Inputs(3), ConvertSegment);
  r.Register({"SegmentSum", "SegmentProd"}, 16, Inputs(2), ConvertSegment);
  r.Register({"UnsortedSegmentMax", "UnsortedSegmentMin"}, 18, Inputs(3), ConvertSegment);
  r.Register({"SegmentMax", "SegmentMin"}, 18, Inputs(2), ConvertSegment);
}

}  // namespace onnxsmith::converter

// Scatters and segment reductions as ONNX ScatterND: ScatterNd and
// TensorScatterUpdate/Add/Sub/Max/Min, UnsortedSegmentSum/Prod/Max/Min,
// SegmentSum/Prod/Max/Min/Mean and SparseSegmentSum/Mean/SqrtN. ScatterND's
// reduction attribute (add/mul from opset 16, max/min from 18) accumulates
// duplicate indices as TF does.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
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
  if (op == "TensorScatterAdd" || op == "ScatterNdNonAliasingAdd") reduction = "add";
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
// identity. `ids` is int64 of rank `ids_rank`; `count` the 1-element segment
// count, or "" for sorted ids (the largest id + 1, none when empty). TF drops
// rows with a negative id (the unsorted ops): they go to an extra segment,
// sliced off after (ScatterND would count them from the end).
absl::StatusOr<std::string> SegmentReduce(NodeContext& ctx, const std::string& data,
                                          const std::string& ids, int ids_rank, std::string count,
                                          const std::string& reduction, double init,
                                          DataType t) {
  const bool drop_negative = !count.empty();
  if (count.empty()) {
    const std::string flat = ctx.AddNode("Reshape", {ids, ctx.ConstInt64s({-1}, "flat")});
    const std::string padded = ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "none"), flat},
                                           {Attribute::Int("axis", 0)});
    count = ctx.AddNode("Add", {ctx.AddNode("ReduceMax", {padded}, {Attribute::Int("keepdims", 1)}),
                                ctx.ConstInt64s({1}, "one")});
  }
  std::string at = ids;
  std::string rows = count;
  if (drop_negative) {
    const std::string negative = ctx.AddNode("Less", {ids, ctx.ConstInt64s({0}, "zero")});
    at = ctx.AddNode("Where", {negative, count, ids});
    rows = ctx.AddNode("Add", {count, ctx.ConstInt64s({1}, "one")});
  }
  const std::string shape = ctx.AddNode("Shape", {data});
  const std::string rest = ctx.AddNode(
      "Slice", {shape, ctx.ConstInt64s({ids_rank}, "from"),
                ctx.ConstInt64s({std::numeric_limits<int64_t>::max()}, "to")});
  const std::string out_shape = ctx.AddNode("Concat", {rows, rest}, {Attribute::Int("axis", 0)});
  ASSIGN_OR_RETURN(const std::string base, Filled(ctx, out_shape, t, init));
  std::string y = Scatter(ctx, base, ctx.Unsqueeze(at, {ids_rank}), data, reduction);
  if (drop_negative) {
    y = ctx.AddNode("Slice", {y, ctx.ConstInt64s({0}, "zero"), count, ctx.ConstInt64s({0}, "axes")});
    // Inference leaves a Slice to a computed end unranked.
    if (auto dims = ctx.StaticDims(data)) {
      EnsureType(ctx, y, t, std::vector<int64_t>(dims->size() - ids_rank + 1, -1));
    }
  }
  return y;
}

absl::Status ConvertSegment(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool sorted = op.rfind("Segment", 0) == 0;
  std::string reduction;
  double init = 0;
  ASSIGN_OR_RETURN(const DataType t, ValueType(ctx, 0));
  if (absl::EndsWith(op, "Sum")) {
    reduction = "add";
  } else if (absl::EndsWith(op, "Prod")) {
    reduction = "mul";
    init = 1;
  } else if (absl::EndsWith(op, "Max")) {
    reduction = "max";
    init = Identity(t, reduction);
  } else {
    reduction = "min";
    init = Identity(t, reduction);
  }
  const std::optional<int> ids_rank = ctx.input_rank(1);
  if (!ids_rank.has_value()) return ctx.Error("the rank of segment_ids is unknown");
  const std::string ids = ctx.Cast(ctx.input(1), DataType::kInt64);
  const std::string count =
      sorted ? "" : ctx.AddNode("Reshape", {ctx.Cast(ctx.input(2), DataType::kInt64),
                                            ctx.ConstInt64s({1}, "one")});
  ASSIGN_OR_RETURN(std::string y,
                   SegmentReduce(ctx, ctx.input(0), ids, *ids_rank, count, reduction, init, t));
  if (sorted && (reduction == "max" || reduction == "min")) {
    // The sorted ops give 0 for an empty segment: the untouched identity
    // (a real max equal to the lowest value is taken for empty too).
    const std::string untouched = ctx.AddNode("Equal", {y, ctx.ConstScalar(t, init, "identity")});
    y = ctx.AddNode("Where", {untouched, ctx.ConstScalar(t, 0, "zero"), y});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// SegmentMean, SparseSegmentSum/Mean/SqrtN(+WithNumSegments): the sparse ops
// gather data rows at `indices` first; Mean and SqrtN divide the sums by the
// segment sizes (or their square roots), an empty segment giving 0.
absl::Status ConvertSegmentMeanOrSparse(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool sparse = absl::StartsWith(op, "Sparse");
  const bool with_num = absl::EndsWith(op, "WithNumSegments");
  ASSIGN_OR_RETURN(const DataType t, ValueType(ctx, 0));
  std::string data = ctx.input(0);
  if (sparse) {
    data = ctx.AddNode("Gather", {data, ctx.Cast(ctx.input(1), DataType::kInt64)},
                       {Attribute::Int("axis", 0)});
  }
  const std::string ids = ctx.Cast(ctx.input(sparse ? 2 : 1), DataType::kInt64);
  const std::string count =
      with_num ? ctx.AddNode("Reshape", {ctx.Cast(ctx.input(3), DataType::kInt64),
                                         ctx.ConstInt64s({1}, "one")})
               : "";
  ASSIGN_OR_RETURN(std::string y, SegmentReduce(ctx, data, ids, 1, count, "add", 0, t));
  const bool mean = absl::StrContains(op, "Mean"), sqrt_n = absl::StrContains(op, "SqrtN");
  if (mean || sqrt_n) {
    const std::optional<int> rank = ctx.input_rank(0);
    if (!rank) return ctx.Unsupported("data of unknown rank");
    ASSIGN_OR_RETURN(const std::string ones,
                     Filled(ctx, ctx.AddNode("Shape", {ids}), t, 1));
    // The count of a sorted op comes from the same ids: both reductions agree.
    ASSIGN_OR_RETURN(std::string n, SegmentReduce(ctx, ones, ids, 1, count, "add", 0, t));
    n = ctx.AddNode("Max", {n, ctx.ConstScalar(t, 1, "one")});
    if (sqrt_n) n = ctx.AddNode("Sqrt", {n});
    std::vector<int64_t> trailing;
    for (int k = 1; k < *rank; ++k) trailing.push_back(k);
    if (!trailing.empty()) n = ctx.Unsqueeze(n, trailing);
    y = ctx.AddNode("Div", {y, n});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

// Each op from the opset whose ScatterND has the reduction it needs.
void RegisterScatterOps(HandlerRegistry& r) {
  r.Register({"TensorScatterUpdate"}, kMinOpset, Inputs(3), ConvertTensorScatter);
  r.Register({"ScatterNd"}, 16, Inputs(3), ConvertScatterNd);
  r.Register({"TensorScatterAdd", "TensorScatterSub", "ScatterNdNonAliasingAdd"}, 16, Inputs(3),
             ConvertTensorScatter);
  r.Register({"TensorScatterMax", "TensorScatterMin"}, 18, Inputs(3), ConvertTensorScatter);
  r.Register({"UnsortedSegmentSum", "UnsortedSegmentProd"}, 16, Inputs(3), ConvertSegment);
  r.Register({"SegmentSum", "SegmentProd"}, 16, Inputs(2), ConvertSegment);
  r.Register({"UnsortedSegmentMax", "UnsortedSegmentMin"}, 18, Inputs(3), ConvertSegment);
  r.Register({"SegmentMax", "SegmentMin"}, 18, Inputs(2), ConvertSegment);
  r.Register({"SegmentMean"}, 16, Inputs(2), ConvertSegmentMeanOrSparse);
  r.Register({"SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"}, 16, Inputs(3),
             ConvertSegmentMeanOrSparse);
  r.Register({"SparseSegmentSumWithNumSegments", "SparseSegmentMeanWithNumSegments",
              "SparseSegmentSqrtNWithNumSegments"},
             16, Inputs(4), ConvertSegmentMeanOrSparse);
}

}  // namespace onnxsmith::converter

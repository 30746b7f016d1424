// Ragged tensors as TF stores them, flat values plus row splits (one ragged
// dim): RaggedRange, RaggedGather, RaggedTensorToTensor (ROW_SPLITS) and
// RaggedTensorToSparse. Each position of the flat values finds its row by
// counting the row ends at or before it, which holds for empty rows too.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

struct Splits {
  std::string splits;  // [N+1] int64
  std::string starts;  // [N]: splits[:-1]
  std::string ends;    // [N]: splits[1:]
  std::string lens;    // [N]
};

Splits FromSplits(NodeContext& ctx, const std::string& splits_any) {
  Splits s;
  s.splits = ctx.Cast(splits_any, DataType::kInt64);
  s.starts = ctx.AddNode("Slice", {s.splits, ctx.ConstInt64s({0}, "zero"),
                                   ctx.ConstInt64s({-1}, "minus_one")});
  s.ends = ctx.AddNode("Slice", {s.splits, ctx.ConstInt64s({1}, "one"),
                                 ctx.ConstInt64s({kToEnd}, "to_end")});
  s.lens = ctx.AddNode("Sub", {s.ends, s.starts});
  return s;
}

// The splits [0, cumsum(lens)...] of rows of `lens` (int64 [N]).
std::string SplitsOfLengths(NodeContext& ctx, const std::string& lens) {
  const std::string sums =
      ctx.AddNode("CumSum", {lens, ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "axis")});
  return ctx.AddNode("Concat", {ctx.ConstInt64s({0}, "zero"), sums}, {Attribute::Int("axis", 0)});
}

std::string ScalarI64(NodeContext& ctx, int64_t v) {
  return ctx.AddConst(ir::Tensor::Scalar<int64_t>(v), "scalar");
}

// [0, total) as int64 (total: an int64 scalar).
std::string Iota(NodeContext& ctx, const std::string& total) {
  return ctx.AddNode("Range", {ScalarI64(ctx, 0), total, ScalarI64(ctx, 1)});
}

// The row of each position in `positions` ([K] int64): how many row ends
// (`ends`, [N]) are at or before it.
std::string RowOf(NodeContext& ctx, const std::string& positions, const std::string& ends) {
  const std::string past = ctx.AddNode(
      "LessOrEqual", {ctx.Unsqueeze(ends, {0}), ctx.Unsqueeze(positions, {1})});
  return ctx.Reduce("ReduceSum", ctx.Cast(past, DataType::kInt64), {1}, false);
}

std::string Gather0(NodeContext& ctx, const std::string& x, const std::string& at) {
  return ctx.AddNode("Gather", {x, at}, {Attribute::Int("axis", 0)});
}

std::string Last(NodeContext& ctx, const std::string& splits) {
  return ctx.AddNode("Reshape", {ctx.AddNode("Slice", {splits, ctx.ConstInt64s({-1}, "minus_one"),
                                                       ctx.ConstInt64s({kToEnd}, "to_end")}),
                                 ctx.ConstInt64s({}, "scalar")});
}

// RaggedRange(starts, limits, deltas): row i is range(starts[i], limits[i],
// deltas[i]) (scalars broadcast), of size max(ceil((limit-start)/delta), 0).
absl::Status ConvertRaggedRange(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const DataType t, ctx.attr_type("T"));
  ASSIGN_OR_RETURN(const DataType split_type, ctx.attr_type("Tsplits"));
  // Broadcast the three to one [N] vector each.
  const std::string shape = ctx.AddNode(
      "Shape", {ctx.AddNode("Add", {ctx.AddNode("Add", {ctx.input(0), ctx.input(1)}), ctx.input(2)})});
  auto vec = [&](int i) {
    return ctx.AddNode("Reshape", {ctx.AddNode("Expand", {ctx.input(i), shape}),
                                   ctx.ConstInt64s({-1}, "flat")});
  };
  const std::string starts = vec(0), limits = vec(1), deltas = vec(2);
  const std::string quotient =
      ctx.AddNode("Div", {ctx.Cast(ctx.AddNode("Sub", {limits, starts}), DataType::kDouble),
                          ctx.Cast(deltas, DataType::kDouble)});
  const std::string lens = ctx.AddNode(
      "Max", {ctx.Cast(ctx.AddNode("Ceil", {quotient}), DataType::kInt64),
              ctx.ConstInt64s({0}, "zero")});
  const std::string splits = SplitsOfLengths(ctx, lens);
  const Splits s = FromSplits(ctx, splits);
  const std::string k = Iota(ctx, Last(ctx, splits));
  const std::string row = RowOf(ctx, k, s.ends);
  const std::string offset = ctx.Cast(ctx.AddNode("Sub", {k, Gather0(ctx, s.starts, row)}), t);
  const std::string values = ctx.AddNode(
      "Add", {Gather0(ctx, starts, row), ctx.AddNode("Mul", {offset, Gather0(ctx, deltas, row)})});
  ctx.SetOutput(0, ctx.Cast(splits, split_type));
  ctx.SetOutput(1, values);
  return absl::OkStatus();
}

absl::Status CheckOneRaggedDim(const NodeContext& ctx, const char* attr) {
  if (ctx.attr_int(attr, 1) != 1) {
    return ctx.Unsupported(absl::StrCat(attr, " ", ctx.attr_int(attr, 1), " (only 1 ragged dim)"));
  }
  return absl::OkStatus();
}

// RaggedGather(params_splits, params_values, indices) with 1-D indices:
// out_lens = lens[indices]; out position k of row j reads params position
// splits[indices[j]] + (k - out_splits[j]).
absl::Status ConvertRaggedGather(NodeContext& ctx) {
  RETURN_IF_ERROR(CheckOneRaggedDim(ctx, "PARAMS_RAGGED_RANK"));
  RETURN_IF_ERROR(CheckOneRaggedDim(ctx, "OUTPUT_RAGGED_RANK"));
  if (ctx.num_inputs() != 3) return ctx.Unsupported("more than one ragged dim");
  const DataType split_type = ctx.input_dtype(0);
  const Splits in = FromSplits(ctx, ctx.input(0));
  const std::string indices = ctx.Cast(ctx.input(2), DataType::kInt64);
  const std::string out_splits = SplitsOfLengths(ctx, Gather0(ctx, in.lens, indices));
  const Splits out = FromSplits(ctx, out_splits);
  const std::string k = Iota(ctx, Last(ctx, out_splits));
  const std::string row = RowOf(ctx, k, out.ends);
  const std::string src = ctx.AddNode(
      "Add", {Gather0(ctx, in.starts, Gather0(ctx, indices, row)),
              ctx.AddNode("Sub", {k, Gather0(ctx, out.starts, row)})});
  ctx.SetOutput(0, split_type == DataType::kUndefined ? out_splits : ctx.Cast(out_splits, split_type));
  ctx.SetOutput(1, Gather0(ctx, ctx.input(1), src));
  return absl::OkStatus();
}

// RaggedTensorToTensor(shape, values, default_value, row_splits) with
// row_partition_types ["ROW_SPLITS"]: [N, width, inner...], width the
// longest row or shape[1] when given (longer rows are cut).
absl::Status ConvertRaggedTensorToTensor(NodeContext& ctx) {
  const tf::NodeDef& node = ctx.node();
  auto it = node.attr().find("row_partition_types");
  if (it == node.attr().end() || it->second.list().s_size() != 1 ||
      it->second.list().s(0) != "ROW_SPLITS" || ctx.num_inputs() != 4) {
    return ctx.Unsupported("row partitions other than one ROW_SPLITS tensor");
  }
  int64_t width = -1;
  if (const ir::Tensor* shape = ctx.const_input(0)) {
    ASSIGN_OR_RETURN(const std::vector<int64_t> dims, shape->ToInt64s());
    if (shape->rank() == 1 && dims.size() >= 2) {
      if (dims[0] >= 0) return ctx.Unsupported("a fixed row count in 'shape'");
      for (size_t d = 2; d < dims.size(); ++d) {
        if (dims[d] >= 0) return ctx.Unsupported("fixed inner dims in 'shape'");
      }
      width = dims[1];
    }
  } else {
    return ctx.Unsupported("a 'shape' computed at run time");
  }
  const Splits s = FromSplits(ctx, ctx.input(3));
  std::string w;
  if (width >= 0) {
    w = ScalarI64(ctx, width);
  } else {
    const std::string padded = ctx.AddNode("Concat", {ctx.ConstInt64s({0}, "zero"), s.lens},
                                           {Attribute::Int("axis", 0)});
    w = ctx.Reduce("ReduceMax", padded, {0}, false);
  }
  const std::string cols = ctx.Unsqueeze(Iota(ctx, w), {0});  // [1, W]
  const std::string inside = ctx.AddNode("Less", {cols, ctx.Unsqueeze(s.lens, {1})});  // [N, W]
  const std::string at = ctx.AddNode(
      "Where", {inside, ctx.AddNode("Add", {ctx.Unsqueeze(s.starts, {1}), cols}),
                ctx.ConstInt64s({0}, "zero")});
  std::string mask = inside;
  const std::optional<int> values_rank = ctx.input_rank(1);
  if (!values_rank) return ctx.Unsupported("values of unknown rank");
  std::vector<int64_t> inner;
  for (int d = 1; d < *values_rank; ++d) inner.push_back(1 + d);
  if (!inner.empty()) mask = ctx.Unsqueeze(mask, inner);
  // Cells past a row's end gather position 0 and are masked out.
  const std::string gathered = Gather0(ctx, ctx.input(1), at);
  ctx.SetOutput(0, ctx.AddNode("Where", {mask, gathered, ctx.input(2)}));
  return absl::OkStatus();
}

// RaggedTensorToSparse(splits, values) for 1-D values: indices [V, 2] of
// (row, column), the values, dense shape [N, longest row].
absl::Status ConvertRaggedTensorToSparse(NodeContext& ctx) {
  if (ctx.num_inputs() != 2) return ctx.Unsupported("more than one ragged dim");
  if (ctx.input_rank(1) != 1) return ctx.Unsupported("values not of rank 1");
  const Splits s = FromSplits(ctx, ctx.input(0));
  const std::string k = Iota(ctx, Last(ctx, s.splits));
  const std::string row = RowOf(ctx, k, s.ends);
  const std::string col = ctx.AddNode("Sub", {k, Gather0(ctx, s.starts, row)});
  ctx.SetOutput(0, ctx.AddNode("Concat", {ctx.Unsqueeze(row, {1}), ctx.Unsqueeze(col, {1})},
                               {Attribute::Int("axis", 1)}));
  ctx.SetOutput(1, ctx.input(1));
  const std::string n = ctx.AddNode("Shape", {s.lens});
  const std::string padded = ctx.AddNode("Concat", {ctx.ConstInt64s({0}, "zero"), s.lens},
                                         {Attribute::Int("axis", 0)});
  ctx.SetOutput(2, ctx.AddNode("Concat", {n, ctx.Reduce("ReduceMax", padded, {0}, true)},
                               {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterRaggedOps(HandlerRegistry& r) {
  r.Register({"RaggedRange"}, kMinOpset, Inputs(3), ConvertRaggedRange);
  r.Register({"RaggedGather"}, kMinOpset, InputsAtLeast(3), ConvertRaggedGather);
  r.Register({"RaggedTensorToTensor"}, kMinOpset, InputsAtLeast(4), ConvertRaggedTensorToTensor);
  r.Register({"RaggedTensorToSparse"}, kMinOpset, InputsAtLeast(2), ConvertRaggedTensorToSparse);
}

}  // namespace onnxsmith::converter

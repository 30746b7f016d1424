// Sparse and partition ops on dense ONNX tensors: SparseToDense (ScatterND
// into the default value), SparseReshape (index arithmetic), DynamicPartition (Compress per partition),
// DynamicStitch/ParallelDynamicStitch (a gather of the last row stitched to
// each slot), Bincount/DenseBincount (a one-hot comparison summed over the
// values).
#include <cstdint>
#include <limits>
#include <optional>
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

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

// `x` with its first `lead` dims flattened into one: [-1] + shape[lead:].
std::string FlattenLeading(NodeContext& ctx, const std::string& x, int lead) {
  const std::string rest = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({lead}, "from"),
                ctx.ConstInt64s({kToEnd}, "to")});
  const std::string shape =
      ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "rows"), rest}, {Attribute::Int("axis", 0)});
  return ctx.AddNode("Reshape", {x, shape});
}

std::string ElementGather(NodeContext& ctx, const std::string& x, const std::string& at) {
  return ctx.AddNode("Gather", {x, at}, {Attribute::Int("axis", 0)});
}

std::string Flat(NodeContext& ctx, const std::string& x) {
  return ctx.AddNode("Reshape", {x, ctx.ConstInt64s({-1}, "flat")});
}

// SparseToDense(sparse_indices, output_shape, sparse_values, default_value):
// indices [N, R], [N] or a scalar (into a 1-D output), values [N] or a scalar.
absl::Status ConvertSparseToDense(NodeContext& ctx) {
  const std::string shape = ctx.Cast(ctx.input(1), DataType::kInt64);
  const std::string index_shape = ctx.AddNode(
      "Concat", {ctx.ConstInt64s({-1}, "rows"), ctx.AddNode("Shape", {shape})},
      {Attribute::Int("axis", 0)});
  const std::string indices =
      ctx.AddNode("Reshape", {ctx.Cast(ctx.input(0), DataType::kInt64), index_shape});
  const std::string n = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {indices}), ctx.ConstInt64s({0}, "zero"),
                ctx.ConstInt64s({1}, "one")});
  const std::string values = ctx.AddNode("Expand", {ctx.input(2), n});
  const std::string dense = ctx.AddNode("Expand", {ctx.input(3), shape});
  ctx.SetOutput(0, ctx.AddNode("ScatterND", {dense, indices, values}));
  return absl::OkStatus();
}

// DynamicPartition(data, partitions; num_partitions): output i holds the
// rows of data (over partitions' dims) whose partition is i, in order.
absl::Status ConvertDynamicPartition(NodeContext& ctx) {
  const int64_t num = ctx.attr_int("num_partitions", -1);
  if (num < 1) return ctx.Error("needs a positive num_partitions");
  const std::optional<int> p_rank = ctx.input_rank(1);
  if (!p_rank) return ctx.Unsupported("partitions of unknown rank");
  const std::string rows = FlattenLeading(ctx, ctx.input(0), *p_rank);
  const std::string parts = Flat(ctx, ctx.Cast(ctx.input(1), DataType::kInt64));
  for (int64_t i = 0; i < num; ++i) {
    const std::string mine = ctx.AddNode(
        "Equal", {parts, ctx.AddConst(ir::Tensor::Scalar<int64_t>(i), "partition")});
    const std::string part = ctx.AddNode("Compress", {rows, mine}, {Attribute::Int("axis", 0)});
    if (auto dims = ctx.input_dims(0)) {
      EnsureType(ctx, part, InputDType(ctx, 0),
                 std::vector<int64_t>(dims->size() - *p_rank + 1, -1));
    }
    ctx.SetOutput(static_cast<int>(i), part);
  }
  return absl::OkStatus();
}

// DynamicStitch(indices[N], data[N]): merged[indices[m][i]] = data[m][i],
// the last (m, i) winning where indices repeat. Every slot up to the largest
// index gathers the row at the last position naming it (ArgMax with
// select_last_index over a one-hot comparison), which is exact whatever the
// repeats. ParallelDynamicStitch is the same where indices do not repeat.
absl::Status ConvertDynamicStitch(NodeContext& ctx) {
  const int n = ctx.num_inputs() / 2;
  if (n < 1 || ctx.num_inputs() != 2 * n) return ctx.Error("expects N indices and N data inputs");
  std::vector<std::string> indices, rows;
  for (int m = 0; m < n; ++m) {
    const std::optional<int> rank = ctx.input_rank(m);
    if (!rank) return ctx.Unsupported(absl::StrCat("indices ", m, " of unknown rank"));
    indices.push_back(Flat(ctx, ctx.Cast(ctx.input(m), DataType::kInt64)));
    rows.push_back(FlattenLeading(ctx, ctx.input(n + m), *rank));
  }
  const Attribute axis0 = Attribute::Int("axis", 0);
  const std::string all_indices = n == 1 ? indices[0] : ctx.AddNode("Concat", indices, {axis0});
  const std::string all_rows = n == 1 ? rows[0] : ctx.AddNode("Concat", rows, {axis0});
  const std::string padded =
      ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "none"), all_indices}, {axis0});
  const std::string size = ctx.AddNode(
      "Add", {ctx.Reduce("ReduceMax", padded, {0}, false),
              ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one")});
  const std::string slots =
      ctx.AddNode("Range", {ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero"), size,
                            ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one")});
  const std::string hits = ctx.Cast(
      ctx.AddNode("Equal", {ctx.Unsqueeze(slots, {1}), ctx.Unsqueeze(all_indices, {0})}),
      DataType::kInt32);
  const std::string last =
      ctx.AddNode("ArgMax", {hits}, {Attribute::Int("axis", 1), Attribute::Int("keepdims", 0),
                                     Attribute::Int("select_last_index", 1)});
  ctx.SetOutput(0, ctx.AddNode("Gather", {all_rows, last}, {axis0}));
  return absl::OkStatus();
}

// Bincount(arr, size, weights) and DenseBincount(input, size, weights;
// binary_output): out[..., b] = sum of the weights (or 1s) of the values
// equal to b, over the last axis of a 2-D DenseBincount input, else all of
// them. Empty weights count.
absl::Status ConvertBincount(NodeContext& ctx) {
  const bool dense = ctx.op_type() == "DenseBincount";
  ASSIGN_OR_RETURN(const DataType t, ctx.attr_type("T"));
  std::string values = ctx.input(0);
  int axis = 0;
  if (dense) {
    const std::optional<int> rank = ctx.input_rank(0);
    if (!rank || *rank < 1 || *rank > 2) return ctx.Unsupported("an input not of rank 1 or 2");
    axis = *rank - 1;
  } else {
    values = Flat(ctx, values);
  }
  bool counting = false;
  if (auto wdims = ctx.input_dims(2)) {
    for (int64_t d : *wdims) counting |= d == 0;
  } else {
    return ctx.Unsupported("weights of unknown shape (empty or not decides the meaning)");
  }
  // Bincount's values are int32; DenseBincount's are Tidx (int32 or int64).
  DataType idx = DataType::kInt32;
  if (dense) {
    ASSIGN_OR_RETURN(idx, ctx.attr_type("Tidx"));
  }
  const std::string size = ctx.Cast(
      ctx.AddNode("Reshape", {ctx.input(1), ctx.ConstInt64s({}, "scalar")}), idx);
  const std::string bins = ctx.AddNode(
      "Range", {ctx.ConstScalar(idx, 0, "zero"), size, ctx.ConstScalar(idx, 1, "one")});
  const std::string hits = ctx.AddNode("Equal", {ctx.Unsqueeze(values, {axis + 1}), bins});
  std::string terms;
  if (counting) {
    terms = ctx.Cast(hits, t);
  } else {
    std::string w = dense ? ctx.input(2) : Flat(ctx, ctx.input(2));
    terms = ctx.AddNode("Where", {hits, ctx.Unsqueeze(w, {axis + 1}), ctx.ConstScalar(t, 0, "zero")});
  }
  std::string out = ctx.Reduce("ReduceSum", terms, {axis}, false);
  if (dense && ctx.attr_bool("binary_output", false)) {
    out = ctx.Cast(ctx.AddNode("Greater", {out, ctx.ConstScalar(t, 0, "zero")}), t);
  }
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

// SparseReshape(indices [N, R], shape [R], new_shape [R']): each index's
// row-major linear position, re-split by the new shape's strides; one -1 in
// new_shape takes the rest of the element count.
absl::Status ConvertSparseReshape(NodeContext& ctx) {
  auto in_dims = ctx.input_dims(1), out_dims = ctx.input_dims(2);
  if (!in_dims || !out_dims || in_dims->size() != 1 || out_dims->size() != 1 ||
      (*in_dims)[0] < 1 || (*out_dims)[0] < 1) {
    return ctx.Unsupported("shapes of unknown (or zero) length");
  }
  const std::string shape = ctx.input(1), wanted = ctx.input(2);
  const std::string total = ctx.Reduce("ReduceProd", shape, {0}, true);
  const std::string known = ctx.AddNode(
      "Max", {ctx.AddNode("Abs", {ctx.Reduce("ReduceProd", wanted, {0}, true)}),
              ctx.ConstInt64s({1}, "one")});
  const std::string out_shape = ctx.AddNode(
      "Where", {ctx.AddNode("Equal", {wanted, ctx.ConstInt64s({-1}, "minus_one")}),
                ctx.AddNode("Div", {total, known}), wanted});
  const std::string in_strides = RowMajorStrides(ctx, shape, static_cast<int>((*in_dims)[0]));
  const std::string out_strides =
      RowMajorStrides(ctx, out_shape, static_cast<int>((*out_dims)[0]));
  const std::string linear = ctx.Reduce(
      "ReduceSum", ctx.AddNode("Mul", {ctx.input(0), ctx.Unsqueeze(in_strides, {0})}), {1}, true);
  const std::string split = ctx.AddNode("Div", {linear, ctx.Unsqueeze(out_strides, {0})});
  ctx.SetOutput(0, ctx.AddNode("Mod", {split, ctx.Unsqueeze(out_shape, {0})}));
  ctx.SetOutput(1, out_shape);
  return absl::OkStatus();
}

// SparseFillEmptyRows(indices [N, R], values [N], dense_shape [R], default):
// TF's output lists the rows in order, each row's entries in input order and
// one (row, 0, ...) entry holding `default` per empty row. An input entry
// lands at its row's offset (exclusive cumsum of the row sizes, an empty row
// counting 1) plus its rank among the row's earlier entries.
absl::Status ConvertSparseFillEmptyRows(NodeContext& ctx) {
  const Attribute axis0 = Attribute::Int("axis", 0);
  const std::string indices = ctx.input(0);
  const std::string rows = ctx.AddNode(
      "Reshape", {ctx.AddNode("Slice", {indices, ctx.ConstInt64s({0}, "zero"),
                                        ctx.ConstInt64s({1}, "one"), ctx.ConstInt64s({1}, "axes")}),
                  ctx.ConstInt64s({-1}, "flat")});
  const std::string num_rows = ElementAt(ctx, ctx.input(2), 0);
  const std::string zero = ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero");
  const std::string one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one");
  const std::string row_ids = ctx.AddNode("Range", {zero, num_rows, one});
  const std::string hits = ctx.Cast(
      ctx.AddNode("Equal", {ctx.Unsqueeze(rows, {1}), ctx.Unsqueeze(row_ids, {0})}),
      DataType::kInt64);  // [N, D]
  const std::string counts = ctx.Reduce("ReduceSum", hits, {0}, false);
  const std::string empty = ctx.AddNode("Equal", {counts, ctx.ConstInt64s({0}, "zero")});
  const std::string sizes = ctx.AddNode("Add", {counts, ctx.Cast(empty, DataType::kInt64)});
  const std::string offsets = ctx.AddNode("CumSum", {sizes, zero}, {Attribute::Int("exclusive", 1)});
  const std::string earlier = ctx.Reduce(
      "ReduceSum",
      ctx.AddNode("Mul", {ctx.AddNode("CumSum", {hits, zero}, {Attribute::Int("exclusive", 1)}), hits}),
      {1}, false);
  const std::string moved = ctx.AddNode("Add", {ElementGather(ctx, offsets, rows), earlier});
  const std::string empty_rows =
      ctx.AddNode("Reshape", {ctx.AddNode("NonZero", {empty}), ctx.ConstInt64s({-1}, "flat")});
  const std::string num_empty = ctx.AddNode("Shape", {empty_rows});
  // (row, 0, ..., 0) for each empty row.
  const std::string rank = ctx.AddNode("Shape", {ctx.input(2)});
  const std::string zeros = ctx.AddNode(
      "ConstantOfShape",
      {ctx.AddNode("Concat", {num_empty, ctx.AddNode("Sub", {rank, ctx.ConstInt64s({1}, "one")})},
                   {axis0})},
      {Attribute::TensorValue("value", ir::Tensor::FromVector<int64_t>({1}, {0}))});
  const std::string filler = ctx.AddNode(
      "Concat", {ctx.Unsqueeze(empty_rows, {1}), zeros}, {Attribute::Int("axis", 1)});
  const std::string at = ctx.Unsqueeze(
      ctx.AddNode("Concat", {moved, ElementGather(ctx, offsets, empty_rows)}, {axis0}), {1});
  const std::string all_indices = ctx.AddNode("Concat", {indices, filler}, {axis0});
  const std::string all_values = ctx.AddNode(
      "Concat", {ctx.input(1), ctx.AddNode("Expand", {ctx.input(3), num_empty})}, {axis0});
  const std::string total = ctx.AddNode("Shape", {all_values});
  const std::string index_base = ctx.AddNode(
      "ConstantOfShape", {ctx.AddNode("Concat", {total, rank}, {axis0})},
      {Attribute::TensorValue("value", ir::Tensor::FromVector<int64_t>({1}, {0}))});
  ctx.SetOutput(0, ctx.AddNode("ScatterND", {index_base, at, all_indices}));
  ctx.SetOutput(1, ctx.AddNode("ScatterND", {all_values, at, all_values}));
  ctx.SetOutput(2, empty);
  ctx.SetOutput(3, moved);
  return absl::OkStatus();
}

}  // namespace

void RegisterSparseOps(HandlerRegistry& r) {
  r.Register({"SparseToDense"}, kMinOpset, Inputs(4), ConvertSparseToDense);
  r.Register({"SparseReshape"}, kMinOpset, Inputs(3), ConvertSparseReshape);
  r.Register({"SparseFillEmptyRows"}, kMinOpset, Inputs(4), ConvertSparseFillEmptyRows);
  r.Register({"DynamicPartition"}, kMinOpset, Inputs(2), ConvertDynamicPartition);
  r.Register({"DynamicStitch", "ParallelDynamicStitch"}, kMinOpset, InputsAtLeast(2),
             ConvertDynamicStitch);
  r.Register({"Bincount"}, kMinOpset, Inputs(3), ConvertBincount);
  r.Register({"DenseBincount"}, kMinOpset, Inputs(3), ConvertBincount);
}

}  // namespace onnxsmith::converter

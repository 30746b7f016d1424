// DenseToDenseSetOperation: per row of the last dimension, the set
// intersection, union or difference of a and b, as a sparse tensor (indices
// [n, rank], values [n], dense shape [rank]) whose rows hold their set in
// ascending order, the last dim being the largest set's size. On dense ONNX
// tensors: a candidate keeps its place when it is the first of its value in
// the row (and, for intersection/difference, is / is not in b's row); the
// kept values sort ascending with the rest moved past them (TopK), and the
// first `count` of each row are the output, read in row-major order.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

// x [rows, n] against y [rows, m]: [rows, n, m] element equality.
std::string PairwiseEqual(NodeContext& ctx, const std::string& x, const std::string& y) {
  return ctx.AddNode("Equal", {ctx.Unsqueeze(x, {2}), ctx.Unsqueeze(y, {1})});
}

// Whether any of the last axis of a bool [rows, n, m] holds (false when m == 0).
std::string AnyLast(NodeContext& ctx, const std::string& b) {
  const std::string count = ctx.Reduce("ReduceSum", ctx.Cast(b, DataType::kInt64), {2}, false);
  return ctx.AddNode("Greater", {count, ctx.ConstScalar(DataType::kInt64, 0, "zero")});
}

// [rows, n] bool: x[r, i] equals no x[r, j] with j < i.
std::string FirstOfValue(NodeContext& ctx, const std::string& x) {
  const std::string n = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({1}, "one"), ctx.ConstInt64s({2}, "two")});
  const std::string pos =
      ctx.AddNode("Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), ctx.Squeeze(n, {0}),
                            ctx.ConstScalar(DataType::kInt64, 1, "one")});
  const std::string earlier = ctx.AddNode("Less", {ctx.Unsqueeze(pos, {0}), ctx.Unsqueeze(pos, {1})});
  const std::string dup = AnyLast(ctx, ctx.AddNode("And", {PairwiseEqual(ctx, x, x), earlier}));
  return ctx.AddNode("Not", {dup});
}

absl::Status ConvertDenseToDenseSetOperation(NodeContext& ctx) {
  const DataType t = InputDType(ctx, 0);
  if (t == DataType::kString) return ctx.Unsupported("string sets (ONNX TopK sorts numbers only)");
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank || *rank < 2 || ctx.input_rank(1) != rank) {
    return ctx.Unsupported("operands of unknown or different rank (TF requires rank >= 2)");
  }
  const std::string op = ctx.attr_string("set_operation", "");
  std::string a = ctx.input(0), b = ctx.input(1);
  if (op == "b-a") std::swap(a, b);
  // Rows are the leading dims flattened; values sort as int64.
  const DataType key_type = DataType::kInt64;  // TF's set ops take integers (and strings)
  const std::string lead = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {a}), ctx.ConstInt64s({0}, "zero"), ctx.ConstInt64s({-1}, "last")});
  // [rows, last] in the key type.
  auto flat = [&](const std::string& x) {
    const std::string last = ctx.AddNode(
        "Slice", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({-1}, "last"), ctx.ConstInt64s({kToEnd}, "end")});
    const std::string shape =
        ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "rows"), last}, {Attribute::Int("axis", 0)});
    return ctx.Cast(ctx.AddNode("Reshape", {x, shape}), key_type);
  };
  std::string cand = flat(a);
  const std::string other = flat(b);
  std::string keep;
  if (op == "union") {
    cand = ctx.AddNode("Concat", {cand, other}, {Attribute::Int("axis", 1)});
    keep = FirstOfValue(ctx, cand);
  } else if (op == "intersection" || op == "a-b" || op == "b-a") {
    std::string in_other = AnyLast(ctx, PairwiseEqual(ctx, cand, other));
    if (op != "intersection") in_other = ctx.AddNode("Not", {in_other});
    keep = ctx.AddNode("And", {FirstOfValue(ctx, cand), in_other});
  } else {
    return ctx.Error(absl::StrCat("unknown set_operation '", op, "'"));
  }
  const std::string count = ctx.Reduce("ReduceSum", ctx.Cast(keep, DataType::kInt64), {1}, false);
  const std::string width = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {cand}), ctx.ConstInt64s({1}, "one"), ctx.ConstInt64s({2}, "two")});
  // Dropped candidates take the row's largest value: they sort after (or tie
  // with) every kept one, so the first `count` sorted values are the set.
  const std::string row_max = ctx.Reduce("ReduceMax", cand, {1}, true);
  const std::string keys = ctx.AddNode("Where", {keep, cand, row_max});
  const std::string sorted = ctx.AddNodeMulti(
      "TopK", {keys, width}, 2, {Attribute::Int("axis", 1), Attribute::Int("largest", 0)})[0];
  const std::string pos =
      ctx.AddNode("Range", {ctx.ConstScalar(DataType::kInt64, 0, "zero"), ctx.Squeeze(width, {0}),
                            ctx.ConstScalar(DataType::kInt64, 1, "one")});
  const std::string valid = ctx.AddNode("Less", {ctx.Unsqueeze(pos, {0}), ctx.Unsqueeze(count, {1})});
  const std::string row_col = ctx.Transpose(ctx.AddNode("NonZero", {valid}), {1, 0});  // [n, 2]
  ctx.SetOutput(1, ctx.Cast(ctx.AddNode("GatherND", {sorted, row_col}), t));
  // The flat row index back to the leading coordinates.
  const int lead_rank = *rank - 1;
  std::string index = row_col;
  if (lead_rank > 1) {
    const std::string row = ctx.AddNode("Slice", {row_col, ctx.ConstInt64s({0}, "zero"),
                                                  ctx.ConstInt64s({1}, "one"), ctx.ConstInt64s({1}, "one")});
    const std::string col = ctx.AddNode("Slice", {row_col, ctx.ConstInt64s({1}, "one"),
                                                  ctx.ConstInt64s({2}, "two"), ctx.ConstInt64s({1}, "one")});
    const std::string coords = ctx.AddNode(
        "Mod", {ctx.AddNode("Div", {row, ctx.Unsqueeze(RowMajorStrides(ctx, lead, lead_rank), {0})}),
                ctx.Unsqueeze(lead, {0})});
    index = ctx.AddNode("Concat", {coords, col}, {Attribute::Int("axis", 1)});
  }
  ctx.SetOutput(0, index);
  const std::string max_count =
      ctx.AddNode("Max", {ctx.Reduce("ReduceMax", count, {0}, true), ctx.ConstInt64s({0}, "zero")});
  ctx.SetOutput(2, ctx.AddNode("Concat", {lead, max_count}, {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterSetOps(HandlerRegistry& r) {
  r.Register({"DenseToDenseSetOperation"}, kMinOpset, Inputs(2), ConvertDenseToDenseSetOperation);
}

}  // namespace onnxsmith::converter

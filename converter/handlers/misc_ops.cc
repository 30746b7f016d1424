// Ops of no wider family: Cumprod (ONNX has no CumProd), ListDiff,
// ParallelConcat, CTCGreedyDecoder and the softmax cross-entropy losses.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// x reversed along `axis` (a Slice with step -1).
std::string ReverseAxis(NodeContext& ctx, const std::string& x, int64_t axis) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({-1}, "starts"),
                               ctx.ConstInt64s({std::numeric_limits<int64_t>::min()}, "ends"),
                               ctx.ConstInt64s({axis}, "axes"), ctx.ConstInt64s({-1}, "steps")});
}

// x shifted by `shift` toward higher indices along `axis` (length `len`),
// `fill` entering at the front: Pad then Slice.
std::string ShiftAxis(NodeContext& ctx, const std::string& x, int64_t axis, int rank, int64_t shift,
                      int64_t len, const std::string& fill) {
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  pads[static_cast<size_t>(axis)] = shift;
  const std::string padded = ctx.AddNode("Pad", {x, ctx.ConstInt64s(pads, "pads"), fill});
  return ctx.AddNode("Slice", {padded, ctx.ConstInt64s({0}, "starts"), ctx.ConstInt64s({len}, "ends"),
                               ctx.ConstInt64s({axis}, "axes")});
}

// Cumprod as a Hillis-Steele scan: after the step with shift s each element
// holds the product of its last 2s inputs, ceil(log2 n) steps in all. Only
// multiplications, so zeros, signs and integers come out exact, unlike
// exp(cumsum(log|x|)). It needs the axis length static.
absl::Status ConvertCumprod(NodeContext& ctx) {
  auto axis_in = ConstScalarInt(ctx, 1, "axis");
  if (!axis_in.ok()) return axis_in.status();
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  if (!dims) return ctx.Unsupported("Cumprod of an input of unknown rank");
  const int rank = static_cast<int>(dims->size());
  auto axis = NormalizeAxis(ctx, *axis_in, rank);
  if (!axis.ok()) return axis.status();
  const int64_t len = (*dims)[static_cast<size_t>(*axis)];
  if (len < 0) {
    return ctx.Unsupported(
        "Cumprod along an axis of dynamic length (ONNX has no CumProd; the scan is unrolled "
        "from the static length; --custom-ops Cumprod keeps it as a custom op)");
  }
  const DataType dtype = InputDType(ctx, 0);
  auto one_t = ZeroOrOneTensor(dtype, true);
  if (!one_t.ok()) return ctx.Unsupported(absl::StrCat("element type ", ir::DataTypeName(dtype)));
  auto one = ir::Tensor(*one_t).Reshaped({});
  const std::string fill = one.ok() ? ctx.AddConst(*std::move(one), "one") : ctx.AddConst(*one_t);
  const bool reverse = ctx.attr_bool("reverse", false);
  std::string y = ctx.input(0);
  if (reverse) y = ReverseAxis(ctx, y, *axis);
  if (ctx.attr_bool("exclusive", false) && len > 0) y = ShiftAxis(ctx, y, *axis, rank, 1, len, fill);
  for (int64_t shift = 1; shift < len; shift *= 2) {
    y = ctx.AddNode("Mul", {y, ShiftAxis(ctx, y, *axis, rank, shift, len, fill)});
  }
  if (reverse) y = ReverseAxis(ctx, y, *axis);
  if (y == ctx.input(0)) y = ctx.AddNode("Identity", {y});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// ListDiff (SetDiff1D): the elements of x not in y, in x's order, and their
// positions: an x-by-y equality table, a count per row, NonZero of the zeros.
absl::Status ConvertListDiff(NodeContext& ctx) {
  const std::string eq = ctx.AddNode(
      "Equal", {ctx.Unsqueeze(ctx.input(0), {1}), ctx.Unsqueeze(ctx.input(1), {0})});
  // A sum, not a max: over an empty y it is 0.
  const std::string hits = ctx.Reduce("ReduceSum", ctx.Cast(eq, DataType::kInt64), {1}, false);
  const std::string keep =
      ctx.AddNode("Equal", {hits, ctx.ConstScalar(DataType::kInt64, 0, "zero")});
  const std::string idx = ctx.Squeeze(ctx.AddNode("NonZero", {keep}), {0});
  ctx.SetOutput(0, ctx.AddNode("Gather", {ctx.input(0), idx}));
  auto out_idx = ctx.attr_type("out_idx");
  ctx.SetOutput(1, ctx.Cast(idx, out_idx.ok() ? *out_idx : DataType::kInt32));
  return absl::OkStatus();
}

// ParallelConcat stacks [1, ...] slices on axis 0.
absl::Status ConvertParallelConcat(NodeContext& ctx) {
  std::vector<std::string> parts;
  for (int i = 0; i < ctx.num_inputs(); ++i) parts.push_back(ctx.input(i));
  ctx.SetOutput(0, ctx.AddNode("Concat", std::move(parts), {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

// loss = -sum(labels * log_softmax(logits)), backprop = softmax - labels, per row.
absl::Status EmitCrossEntropy(NodeContext& ctx, const std::string& labels) {
  const std::string logits = ctx.input(0);
  const std::optional<int> rank = ctx.input_rank(0);
  if (rank && *rank != 2) return ctx.Error(absl::StrCat("logits must be 2-D, got rank ", *rank));
  const std::string log_sm =
      ctx.AddNode("LogSoftmax", {logits}, {Attribute::Int("axis", -1)});
  const std::string sum =
      ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {labels, log_sm}), {-1}, false);
  ctx.SetOutput(0, ctx.AddNode("Neg", {sum}));
  ctx.SetOutput(1, ctx.AddNode(
                       "Sub", {ctx.AddNode("Softmax", {logits}, {Attribute::Int("axis", -1)}),
                               labels}));
  return absl::OkStatus();
}

absl::Status ConvertSoftmaxCrossEntropy(NodeContext& ctx) {
  return EmitCrossEntropy(ctx, ctx.input(1));
}

// Sparse labels become one-hot rows (an out-of-range label, which TF rejects,
// gives a zero row); int64 labels, the indices type ORT's OneHot kernels take.
absl::Status ConvertSparseSoftmaxCrossEntropy(NodeContext& ctx) {
  const DataType dtype = InputDType(ctx, 0);
  const std::string classes = ctx.AddNode(
      "Gather", {ctx.AddNode("Shape", {ctx.input(0)}), ctx.ConstScalar(DataType::kInt64, 1, "axis")});
  const std::string one_hot =
      ctx.AddNode("OneHot", {ctx.Cast(ctx.input(1), DataType::kInt64), classes, ctx.ConstFloats({2}, {0.0f, 1.0f}, "values")},
                  {Attribute::Int("axis", -1)});
  return EmitCrossEntropy(ctx, ctx.Cast(one_hot, dtype));
}

// CTCGreedyDecoder: per batch entry, the best class of each step below the
// sequence length, repeats merged (when asked) and blanks dropped, as a
// SparseTensor (indices [n, 2], values, dense shape) and -sum of the best
// logits as the log probability.
absl::Status ConvertCtcGreedyDecoder(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (rank && *rank != 3) return ctx.Error(absl::StrCat("inputs must be 3-D, got rank ", *rank));
  const std::string x = ctx.input(0);  // [T, B, C]
  const DataType dtype = InputDType(ctx, 0);
  const std::string zero = ctx.ConstScalar(DataType::kInt64, 0, "zero");
  const std::string one = ctx.ConstScalar(DataType::kInt64, 1, "one");
  const std::string shape = ctx.AddNode("Shape", {x});
  const std::string best = ctx.Transpose(
      ctx.AddNode("ArgMax", {x}, {Attribute::Int("axis", 2), Attribute::Int("keepdims", 0)}),
      {1, 0});  // [B, T]
  const std::string best_logit = ctx.Transpose(ctx.Reduce("ReduceMax", x, {2}, false), {1, 0});
  const std::string steps = ctx.AddNode(
      "Range", {zero, ctx.AddNode("Gather", {shape, zero}), one});
  const std::string valid = ctx.AddNode(
      "Less", {ctx.Unsqueeze(steps, {0}), ctx.Unsqueeze(ctx.Cast(ctx.input(1), DataType::kInt64), {1})});
  auto zero_t = ZeroOrOneTensor(dtype, false);
  if (!zero_t.ok()) return ctx.Unsupported(absl::StrCat("element type ", ir::DataTypeName(dtype)));
  const std::string zero_logit = ctx.AddConst(*std::move(zero_t), "zero_logit");
  ctx.SetOutput(3, ctx.AddNode("Neg", {ctx.Reduce(
                                          "ReduceSum",
                                          ctx.AddNode("Where", {valid, best_logit, zero_logit}),
                                          {1}, true)}));

  const int64_t blank_attr = ctx.attr_int("blank_index", -1);
  std::string blank = ctx.ConstScalar(DataType::kInt64, blank_attr, "blank");
  if (blank_attr < 0) {
    blank = ctx.AddNode("Add", {ctx.AddNode("Gather", {shape, ctx.ConstScalar(DataType::kInt64, 2, "c")}),
                                blank});
  }
  std::string keep = ctx.AddNode(
      "And", {valid, ctx.AddNode("Not", {ctx.AddNode("Equal", {best, blank})})});
  if (ctx.attr_bool("merge_repeated", false)) {
    // TF compares with the previous step's best class, blank or not.
    const std::string padded = ctx.AddNode(
        "Pad", {best, ctx.ConstInt64s({0, 1, 0, 0}, "pads"), ctx.ConstScalar(DataType::kInt64, -1, "none")});
    const std::string previous = ctx.AddNode(
        "Slice", {padded, ctx.ConstInt64s({0}, "starts"), ctx.ConstInt64s({-1}, "ends"),
                  ctx.ConstInt64s({1}, "axes")});
    keep = ctx.AddNode("And", {keep, ctx.AddNode("Not", {ctx.AddNode("Equal", {best, previous})})});
  }
  const std::string kept = ctx.Cast(keep, DataType::kInt64);
  const std::string where = ctx.AddNode("NonZero", {keep});   // [2, n]: (b, t), row-major
  const std::string bt = ctx.Transpose(where, {1, 0});        // [n, 2]
  ctx.SetOutput(1, ctx.AddNode("GatherND", {best, bt}));
  const std::string position = ctx.AddNode(
      "Sub", {ctx.AddNode("CumSum", {kept, ctx.ConstScalar(DataType::kInt64, 1, "axis")}), one});
  const std::string indices = ctx.AddNode(
      "Concat", {ctx.AddNode("Gather", {where, ctx.ConstInt64s({0}, "b")}),
                 ctx.Unsqueeze(ctx.AddNode("GatherND", {position, bt}), {0})},
      {Attribute::Int("axis", 0)});
  ctx.SetOutput(0, ctx.Transpose(indices, {1, 0}));
  // Dense shape [B, longest]; ReduceMax over [B, 0] counts (B > 0) is 0.
  const std::string counts = ctx.Reduce("ReduceSum", kept, {1}, false);
  const std::string longest = ctx.Reduce(
      "ReduceMax", ctx.AddNode("Concat", {counts, ctx.ConstInt64s({0}, "floor")},
                               {Attribute::Int("axis", 0)}),
      {0}, true);
  ctx.SetOutput(2, ctx.AddNode("Concat", {ctx.AddNode("Slice", {shape, ctx.ConstInt64s({1}, "b0"),
                                                                ctx.ConstInt64s({2}, "b1")}),
                                          longest},
                               {Attribute::Int("axis", 0)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterMiscOps(HandlerRegistry& r) {
  r.Register({"Cumprod"}, kMinOpset, Inputs(2), ConvertCumprod);
  r.Register({"ListDiff"}, kMinOpset, Inputs(2), ConvertListDiff);
  r.Register({"ParallelConcat"}, kMinOpset, InputsAtLeast(1), ConvertParallelConcat);
  r.Register({"SoftmaxCrossEntropyWithLogits"}, kMinOpset, Inputs(2), ConvertSoftmaxCrossEntropy);
  r.Register({"SparseSoftmaxCrossEntropyWithLogits"}, kMinOpset, Inputs(2),
             ConvertSparseSoftmaxCrossEntropy);
  r.Register({"CTCGreedyDecoder"}, kMinOpset, Inputs(2), ConvertCtcGreedyDecoder);
}

}  // namespace onnxsmith::converter

// Joining and splitting: Pack, Concat/ConcatV2, Split, SplitV, Unpack.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Joining and splitting

// Joins constant inputs [first, first + count) along their first axis
// (`stack`: along a new first axis), or nullopt if any is not a constant of
// the same type and shape. TF builds StridedSlice's begin/end/strides with
// Pack even when every element is a constant, and that handler needs them
// as constants.
std::optional<ir::Tensor> JoinConstants(const NodeContext& ctx, int first, int count, bool stack) {
  std::vector<const ir::Tensor*> parts;
  for (int k = first; k < first + count; ++k) {
    const ir::Tensor* t = ctx.const_input(k);
    if (t == nullptr || t->dtype() == DataType::kString) return std::nullopt;
    if (!parts.empty()) {
      const ir::Tensor& p = *parts[0];
      if (t->dtype() != p.dtype() || t->rank() != p.rank()) return std::nullopt;
      // Stacking needs equal shapes; concatenating equal trailing dims.
      for (int d = stack ? 0 : 1; d < t->rank(); ++d) {
        if (t->dims()[d] != p.dims()[d]) return std::nullopt;
      }
    }
    if (!stack && t->rank() == 0) return std::nullopt;
    parts.push_back(t);
  }
  if (parts.empty()) return std::nullopt;
  std::vector<int64_t> dims = parts[0]->dims();
  std::string raw;
  int64_t joined = 0;
  for (const ir::Tensor* t : parts) {
    absl::StrAppend(&raw, t->raw());
    joined += stack ? 1 : t->dims()[0];
  }
  if (stack) {
    dims.insert(dims.begin(), joined);
  } else {
    dims[0] = joined;
  }
  auto tensor = ir::Tensor::FromRaw(parts[0]->dtype(), std::move(dims), std::move(raw));
  if (!tensor.ok()) return std::nullopt;
  return *std::move(tensor);
}

// TF's Pack/ExpandDims axis counts from the output rank when negative, and so
// does ONNX Unsqueeze's (and Concat's on the unsqueezed inputs).
absl::Status ConvertPack(NodeContext& ctx) {
  const int64_t axis = ctx.attr_int("axis", 0);
  // Constants of rank 0 stack along axis 0 or -1 alike.
  const std::optional<int> rank = ctx.input_rank(0);
  if (axis == 0 || (axis == -1 && rank == 0)) {
    if (auto joined = JoinConstants(ctx, 0, ctx.num_inputs(), /*stack=*/true)) {
      ctx.SetOutput(0, ctx.AddConst(*std::move(joined), "packed"));
      return absl::OkStatus();
    }
  }
  std::vector<std::string> expanded;
  for (int k = 0; k < ctx.num_inputs(); ++k) {
    expanded.push_back(ctx.Unsqueeze(ctx.input(k), {axis}));
  }
  if (expanded.size() == 1) {
    ctx.SetOutput(0, expanded[0]);
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.AddNode("Concat", expanded, {Attribute::Int("axis", axis)}));
  return absl::OkStatus();
}

absl::Status ConcatInputs(NodeContext& ctx, int axis_input, int first, int count) {
  auto axis = ConstScalarInt(ctx, axis_input, "axis");
  if (!axis.ok()) return axis.status();
  if (count < 1) return ctx.Error("needs at least one input to concatenate");
  if (*axis == 0 && count > 1) {
    if (auto joined = JoinConstants(ctx, first, count, /*stack=*/false)) {
      ctx.SetOutput(0, ctx.AddConst(*std::move(joined), "concat"));
      return absl::OkStatus();
    }
  }
  std::vector<std::string> inputs;
  for (int k = first; k < first + count; ++k) inputs.push_back(ctx.input(k));
  if (count == 1) {
    ctx.SetOutputAlias(0, inputs[0]);
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.AddNode("Concat", inputs, {Attribute::Int("axis", *axis)}));
  return absl::OkStatus();
}

absl::Status ConvertConcatV2(NodeContext& ctx) {  // values..., axis
  return ConcatInputs(ctx, ctx.num_inputs() - 1, 0, ctx.num_inputs() - 1);
}

absl::Status ConvertConcat(NodeContext& ctx) {  // axis, values...
  return ConcatInputs(ctx, 0, 1, ctx.num_inputs() - 1);
}

// The output dims of splitting `x` along `axis` into pieces of `size` (-1 if unknown).
std::optional<std::vector<int64_t>> PieceDims(const NodeContext& ctx, int x_input, int64_t axis,
                                              int64_t size) {
  auto dims = ctx.input_dims(x_input);
  if (!dims) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(dims->size());
  if (axis < -rank || axis >= rank) return std::nullopt;
  (*dims)[axis < 0 ? axis + rank : axis] = size;
  return dims;
}

// Splits input `x_input` into `num` equal pieces along `axis`. The piece
// count is implied by the number of outputs up to opset 17 and must be the
// num_outputs attribute from 18 on.
std::vector<std::string> SplitEqual(NodeContext& ctx, int x_input, int64_t axis, int num) {
  std::vector<Attribute> attrs = {Attribute::Int("axis", axis)};
  if (ctx.opset() >= 18) attrs.push_back(Attribute::Int("num_outputs", num));
  std::vector<std::string> pieces =
      ctx.AddNodeMulti("Split", {ctx.input(x_input)}, num, std::move(attrs));
  int64_t piece_size = -1;
  if (auto dims = ctx.input_dims(x_input)) {
    const int64_t rank = static_cast<int64_t>(dims->size());
    if (axis >= -rank && axis < rank) {
      const int64_t whole = (*dims)[axis < 0 ? axis + rank : axis];
      if (whole >= 0) piece_size = whole / num;
    }
  }
  for (const std::string& piece : pieces) {
    RecordType(ctx, piece, ctx.input_dtype(x_input), PieceDims(ctx, x_input, axis, piece_size));
  }
  return pieces;
}

// Splits with explicit sizes (the 'split' input, valid at every opset here).
std::vector<std::string> SplitSizes(NodeContext& ctx, int x_input, int64_t axis,
                                    const std::string& sizes, int num,
                                    const std::vector<int64_t>& known_sizes) {
  std::vector<std::string> pieces =
      ctx.AddNodeMulti("Split", {ctx.input(x_input), sizes}, num, {Attribute::Int("axis", axis)});
  for (int k = 0; k < num; ++k) {
    const int64_t size = k < static_cast<int>(known_sizes.size()) ? known_sizes[k] : -1;
    RecordType(ctx, pieces[k], ctx.input_dtype(x_input), PieceDims(ctx, x_input, axis, size));
  }
  return pieces;
}

absl::Status ConvertSplit(NodeContext& ctx) {  // axis, value; num_split
  auto axis = ConstScalarInt(ctx, 0, "split axis");
  if (!axis.ok()) return axis.status();
  const int64_t num = ctx.attr_int("num_split", 1);
  if (num < 1) return ctx.Error(absl::StrCat("num_split must be positive, got ", num));
  if (num == 1) {
    ctx.SetOutputAlias(0, ctx.input(1));
    return absl::OkStatus();
  }
  std::vector<std::string> pieces = SplitEqual(ctx, 1, *axis, static_cast<int>(num));
  for (int k = 0; k < num; ++k) ctx.SetOutput(k, pieces[k]);
  return absl::OkStatus();
}

// SplitV with size_splits computed at run time: the piece count is the
// num_split attribute; a -1 size becomes dim - (sum of the sizes + 1), i.e.
// the rest of the axis (Where leaves the other sizes as they are).
absl::Status SplitVRuntimeSizes(NodeContext& ctx, int64_t axis) {
  const int64_t num = ctx.attr_int("num_split", -1);
  if (num < 1) return ctx.Error("size_splits computed at run time needs a positive num_split");
  if (num == 1) {
    ctx.SetOutputAlias(0, ctx.input(0));
    return absl::OkStatus();
  }
  const std::string sizes = Int64Input(ctx, 1);
  const std::string total = ctx.Reduce("ReduceSum", sizes, {0}, false);
  const std::string rest = ctx.AddNode(
      "Sub", {ctx.AddNode("Sub", {RuntimeDim(ctx, ctx.input(0), axis), total}),
              ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one")});
  const std::string infer = ctx.AddNode(
      "Equal", {sizes, ctx.AddConst(ir::Tensor::Scalar<int64_t>(-1), "minus_one")});
  const std::string fixed = ctx.AddNode("Where", {infer, rest, sizes});
  std::vector<std::string> pieces =
      SplitSizes(ctx, 0, axis, fixed, static_cast<int>(num), std::vector<int64_t>(num, -1));
  for (int k = 0; k < num; ++k) {
    EnsureType(ctx, pieces[k], InputDType(ctx, 0), PieceDims(ctx, 0, axis, -1));
    ctx.SetOutput(k, pieces[k]);
  }
  return absl::OkStatus();
}

absl::Status ConvertSplitV(NodeContext& ctx) {  // value, size_splits, axis
  auto axis = ConstScalarInt(ctx, 2, "split axis");
  if (!axis.ok()) return axis.status();
  if (ctx.const_input(1) == nullptr) return SplitVRuntimeSizes(ctx, *axis);
  auto sizes = ctx.const_ints(1);
  if (!sizes.ok()) return sizes.status();
  const int num = static_cast<int>(sizes->size());
  if (num < 1) return ctx.Error("size_splits is empty");
  if (num == 1) {
    ctx.SetOutputAlias(0, ctx.input(0));
    return absl::OkStatus();
  }
  // One size may be -1: the rest of the axis.
  int infer_at = -1;
  int64_t known_sum = 0;
  for (int k = 0; k < num; ++k) {
    const int64_t s = (*sizes)[k];
    if (s == -1 && infer_at < 0) {
      infer_at = k;
    } else if (s < 0) {
      return ctx.Error(absl::StrCat("invalid size_splits [", absl::StrJoin(*sizes, ","), "]"));
    } else {
      known_sum += s;
    }
  }
  std::string sizes_value;
  if (infer_at >= 0) {
    std::optional<int64_t> whole;
    if (auto dims = ctx.input_dims(0)) {
      auto a = NormalizeAxis(ctx, *axis, static_cast<int>(dims->size()));
      if (!a.ok()) return a.status();
      if ((*dims)[*a] >= 0) whole = (*dims)[*a];
    }
    if (whole) {
      if (*whole < known_sum) {
        return ctx.Error(absl::StrCat("size_splits sum ", known_sum, " exceeds the dim ", *whole));
      }
      (*sizes)[infer_at] = *whole - known_sum;
    } else {
      // The dim is known only at run time: rest = dim - sum(known sizes).
      std::string dim = ctx.AddNode(
          "Gather", {ctx.AddNode("Shape", {ctx.input(0)}), ctx.ConstInt64s({*axis}, "axis")},
          {Attribute::Int("axis", 0)});
      std::string rest = ctx.AddNode("Sub", {dim, ctx.ConstInt64s({known_sum}, "known")});
      std::vector<int64_t> before(sizes->begin(), sizes->begin() + infer_at);
      std::vector<int64_t> after(sizes->begin() + infer_at + 1, sizes->end());
      std::vector<std::string> parts;
      if (!before.empty()) parts.push_back(ctx.ConstInt64s(before, "sizes"));
      parts.push_back(rest);
      if (!after.empty()) parts.push_back(ctx.ConstInt64s(after, "sizes"));
      sizes_value =
          parts.size() == 1 ? rest : ctx.AddNode("Concat", parts, {Attribute::Int("axis", 0)});
      (*sizes)[infer_at] = -1;
    }
  }
  if (sizes_value.empty()) sizes_value = ctx.ConstInt64s(*sizes, "split");
  std::vector<std::string> pieces = SplitSizes(ctx, 0, *axis, sizes_value, num, *sizes);
  for (int k = 0; k < num; ++k) ctx.SetOutput(k, pieces[k]);
  return absl::OkStatus();
}

absl::Status ConvertUnpack(NodeContext& ctx) {
  const int64_t num = ctx.attr_int("num", -1);
  const int64_t axis = ctx.attr_int("axis", 0);
  if (num < 1) return ctx.Error("needs a positive 'num'");
  if (num == 1) {
    ctx.SetOutput(0, ctx.Squeeze(ctx.input(0), {axis}));
    return absl::OkStatus();
  }
  std::vector<std::string> pieces = SplitEqual(ctx, 0, axis, static_cast<int>(num));
  for (int k = 0; k < num; ++k) ctx.SetOutput(k, ctx.Squeeze(pieces[k], {axis}));
  return absl::OkStatus();
}

}  // namespace

void RegisterJoinSplitOps(HandlerRegistry& r) {
  r.Register({"Pack"}, kMinOpset, InputsAtLeast(1), ConvertPack);
  r.Register({"ConcatV2"}, kMinOpset, InputsAtLeast(2), ConvertConcatV2);  // values..., axis
  r.Register({"Concat"}, kMinOpset, InputsAtLeast(2), ConvertConcat);      // axis, values...
  // Equal splits name num_outputs from opset 18 on (SplitEqual reads the
  // opset); the second registration records that the emission changes there.
  r.Register({"Split"}, 13, Inputs(2), ConvertSplit);
  r.Register({"Split"}, 18, Inputs(2), ConvertSplit);
  r.Register({"Unpack"}, 13, Inputs(1), ConvertUnpack);
  r.Register({"Unpack"}, 18, Inputs(1), ConvertUnpack);
  r.Register({"SplitV"}, kMinOpset, Inputs(3), ConvertSplitV);
}

}  // namespace onnxsmith::converter

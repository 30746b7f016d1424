// Array ops: shapes and reshapes, joining and splitting, padding, filling,
// gathering, and layout ops around ONNX's NCHW-only SpaceToDepth and Resize.
// Slicing (StridedSlice, Slice, Reverse) lives in slice_ops.cc.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

void RegisterSliceOps(HandlerRegistry& r);  // slice_ops.cc

namespace {

using ir::Attribute;
using ir::DataType;

// The dtype of input `i`: inferred if known, else the node's type attribute.
DataType InputDType(const NodeContext& ctx, int i, const std::string& type_attr = "T") {
  DataType t = ctx.input_dtype(i);
  if (t != DataType::kUndefined) return t;
  auto from_attr = ctx.attr_type(type_attr);
  return from_attr.ok() ? *from_attr : DataType::kUndefined;
}

// Input `i` as an int64 ONNX value (shape vectors, repeats, split sizes are
// int64-only in ONNX; TF mostly uses int32). Constants are cast here.
std::string Int64Input(NodeContext& ctx, int i) {
  if (const ir::Tensor* t = ctx.const_input(i)) {
    auto cast = t->CastTo(DataType::kInt64);
    if (cast.ok()) return ctx.AddConst(*std::move(cast), "i64");
  }
  return ctx.Cast(ctx.input(i), DataType::kInt64);
}

// A constant scalar input as one integer (TF axes arrive as 0-D or 1-element 1-D).
absl::StatusOr<int64_t> ConstScalarInt(const NodeContext& ctx, int i, const char* what) {
  auto values = ctx.const_ints(i);
  if (!values.ok()) return values.status();
  if (values->size() != 1) {
    return ctx.Error(absl::StrCat(what, " must hold one value, got ", values->size()));
  }
  return (*values)[0];
}

// Normalizes `axis` into [0, rank); an error if out of range.
absl::StatusOr<int64_t> NormalizeAxis(const NodeContext& ctx, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// Records a type for a value whose op ONNX inference skips (libonnx knows
// schemas up to opset 17; Split, Pad and Resize changed after it), so later
// handlers still see its dtype and rank.
void RecordType(NodeContext& ctx, const std::string& value, DataType dtype,
                const std::optional<std::vector<int64_t>>& dims) {
  if (ctx.opset() <= kMaxCheckedOpset || dtype == DataType::kUndefined) return;
  ir::ValueType type;
  type.dtype = dtype;
  if (dims) {
    std::vector<ir::Dim> shape;
    for (int64_t d : *dims) shape.push_back(ir::Dim{d >= 0 ? d : -1, ""});
    type.shape = std::move(shape);
  }
  ctx.SetType(value, std::move(type));
}

// Types ConstantOfShape can fill (bfloat16 joined at opset 20; never strings).
bool ConstantOfShapeSupports(DataType t, int opset) {
  switch (t) {
    case DataType::kFloat16:
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64:
    case DataType::kBool:
      return true;
    case DataType::kBfloat16:
      return opset >= 20;
    default:
      return false;
  }
}

// A one-element tensor of `dtype` holding 0 or 1 (ConstantOfShape's 'value').
absl::StatusOr<ir::Tensor> ZeroOrOneTensor(DataType dtype, bool one) {
  // Tensor::CastTo has no half types; their bit patterns are spelled out.
  if (dtype == DataType::kFloat16 || dtype == DataType::kBfloat16) {
    uint16_t bits = !one ? 0 : dtype == DataType::kFloat16 ? 0x3C00 : 0x3F80;
    std::string raw(2, '\0');
    raw[0] = static_cast<char>(bits & 0xFF);
    raw[1] = static_cast<char>(bits >> 8);
    return ir::Tensor::FromRaw(dtype, {1}, std::move(raw));
  }
  auto t = ir::Tensor::FromVector<double>({1}, {one ? 1.0 : 0.0}).CastTo(dtype);
  if (!t.ok()) return t.status();
  return *t;
}

// ---------------------------------------------------------------------------
// Shape queries

// Casts ONNX's int64 shape results to the TF out_type (int32 by default).
std::string ToOutType(NodeContext& ctx, const std::string& value) {
  auto out_type = ctx.attr_type("out_type");
  return ctx.Cast(value, out_type.ok() ? *out_type : DataType::kInt32);
}

absl::Status ConvertShape(NodeContext& ctx) {
  for (int k = 0; k < ctx.num_inputs(); ++k) {  // ShapeN has N inputs and outputs
    ctx.SetOutput(k, ToOutType(ctx, ctx.AddNode("Shape", {ctx.input(k)})));
  }
  return absl::OkStatus();
}

absl::Status ConvertSize(NodeContext& ctx) {
  ctx.SetOutput(0, ToOutType(ctx, ctx.AddNode("Size", {ctx.input(0)})));
  return absl::OkStatus();
}

absl::Status ConvertRank(NodeContext& ctx) {
  if (std::optional<int> rank = ctx.input_rank(0)) {
    ctx.SetOutput(0, ctx.AddConst(ir::Tensor::Scalar<int32_t>(*rank), "rank"));
    return absl::OkStatus();
  }
  std::string rank = ctx.AddNode("Size", {ctx.AddNode("Shape", {ctx.input(0)})});
  ctx.SetOutput(0, ctx.Cast(rank, DataType::kInt32));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Reshape

// ONNX Reshape reads 0 as "copy the input dim" unless allowzero=1 (opset 14);
// TF reads it as a zero-size dim. Only constant shapes are checked: a 0 in
// a shape computed at run time is rare and allowzero is not universally
// supported by runtimes.
absl::Status ConvertReshapeImpl(NodeContext& ctx, bool has_allowzero) {
  const ir::Tensor* shape_const = ctx.const_input(1);
  if (shape_const == nullptr) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), Int64Input(ctx, 1)}));
    return absl::OkStatus();
  }
  auto shape = shape_const->ToInt64s();
  if (!shape.ok()) return ctx.Error(std::string(shape.status().message()));
  bool has_zero = false, has_infer = false;
  for (int64_t d : *shape) {
    if (d < -1) return ctx.Error(absl::StrCat("invalid dim ", d, " in the target shape"));
    has_zero |= d == 0;
    has_infer |= d == -1;
  }
  if (!has_zero) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), ctx.ConstInt64s(*shape, "shape")}));
    return absl::OkStatus();
  }
  if (has_infer) {
    return ctx.Error("a target shape with both 0 and -1 cannot infer the -1 dim");
  }
  if (has_allowzero) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), ctx.ConstInt64s(*shape, "shape")},
                                 {Attribute::Int("allowzero", 1)}));
    return absl::OkStatus();
  }
  // Opset 13 has no allowzero; the result has no elements, so an empty
  // tensor of the target shape is the same value.
  const DataType dtype = InputDType(ctx, 0);
  if (!ConstantOfShapeSupports(dtype, ctx.opset())) {
    return ctx.Unsupported(absl::StrCat("reshape of ", ir::DataTypeName(dtype),
                                        " to a zero-size shape before opset 14"));
  }
  auto zero = ZeroOrOneTensor(dtype, false);
  if (!zero.ok()) return ctx.Error(std::string(zero.status().message()));
  ctx.SetOutput(0, ctx.AddNode("ConstantOfShape", {ctx.ConstInt64s(*shape, "shape")},
                               {Attribute::TensorValue("value", *std::move(zero))}));
  return absl::OkStatus();
}

absl::Status ConvertReshape13(NodeContext& ctx) { return ConvertReshapeImpl(ctx, false); }
absl::Status ConvertReshape14(NodeContext& ctx) { return ConvertReshapeImpl(ctx, true); }

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
    raw += t->raw();
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

absl::Status ConvertSplitV(NodeContext& ctx) {  // value, size_splits, axis
  auto axis = ConstScalarInt(ctx, 2, "split axis");
  if (!axis.ok()) return axis.status();
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

// ---------------------------------------------------------------------------
// Squeeze, ExpandDims, Transpose

absl::Status ConvertSqueeze(NodeContext& ctx) {
  std::vector<int64_t> axes = ctx.attr_ints("squeeze_dims");
  if (axes.empty()) {
    // Squeeze all size-1 dims: name them when the shape is static, else let
    // ONNX Squeeze without axes find them at run time (same meaning).
    auto dims = ctx.input_dims(0);
    bool all_known = dims.has_value();
    if (dims) {
      for (size_t i = 0; i < dims->size(); ++i) {
        if ((*dims)[i] < 0) all_known = false;
        if ((*dims)[i] == 1) axes.push_back(static_cast<int64_t>(i));
      }
    }
    if (all_known && axes.empty()) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
    if (!all_known) axes.clear();
  }
  ctx.SetOutput(0, ctx.Squeeze(ctx.input(0), axes));
  return absl::OkStatus();
}

absl::Status ConvertExpandDims(NodeContext& ctx) {
  auto axis = ConstScalarInt(ctx, 1, "axis");
  if (!axis.ok()) return axis.status();
  ctx.SetOutput(0, ctx.Unsqueeze(ctx.input(0), {*axis}));
  return absl::OkStatus();
}

absl::Status ConvertTranspose(NodeContext& ctx) {
  if (ctx.const_input(1) == nullptr) return ctx.Unsupported("a permutation computed at run time");
  auto perm = ctx.const_ints(1);
  if (!perm.ok()) return perm.status();
  ctx.SetOutput(0, ctx.Transpose(ctx.input(0), *perm));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Padding

// TF paddings [rank, 2] -> ONNX pads [begin..., end...] as an int64 value.
std::string OnnxPads(NodeContext& ctx, const std::vector<int64_t>& paddings) {
  const size_t rank = paddings.size() / 2;
  std::vector<int64_t> pads(2 * rank);
  for (size_t i = 0; i < rank; ++i) {
    pads[i] = paddings[2 * i];
    pads[rank + i] = paddings[2 * i + 1];
  }
  return ctx.ConstInt64s(pads, "pads");
}

// Run-time paddings: transpose to [2, rank] and flatten.
std::string DynamicOnnxPads(NodeContext& ctx, int paddings_input) {
  std::string by_side = ctx.Transpose(ctx.input(paddings_input), {1, 0});
  std::string flat = ctx.AddNode("Reshape", {by_side, ctx.ConstInt64s({-1}, "flat")});
  return ctx.Cast(flat, DataType::kInt64);
}

// The padded dims when both the input dims and the paddings are known.
std::optional<std::vector<int64_t>> PaddedDims(const NodeContext& ctx,
                                               const std::vector<int64_t>* paddings) {
  auto dims = ctx.input_dims(0);
  if (!dims) return std::nullopt;
  if (paddings == nullptr || paddings->size() != 2 * dims->size()) {
    for (int64_t& d : *dims) d = -1;
    return dims;
  }
  for (size_t i = 0; i < dims->size(); ++i) {
    if ((*dims)[i] >= 0) (*dims)[i] += (*paddings)[2 * i] + (*paddings)[2 * i + 1];
  }
  return dims;
}

absl::Status EmitPad(NodeContext& ctx, const std::string& mode) {
  std::optional<std::vector<int64_t>> paddings;
  std::string pads;
  if (ctx.const_input(1) != nullptr) {
    auto values = ctx.const_ints(1);
    if (!values.ok()) return values.status();
    if (values->size() % 2 != 0) return ctx.Error("paddings must have shape [rank, 2]");
    paddings = *values;
    bool all_zero = true;
    for (int64_t p : *paddings) {
      if (p < 0) return ctx.Error("negative paddings are invalid");
      all_zero &= p == 0;
    }
    if (all_zero) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
    pads = OnnxPads(ctx, *paddings);
  } else {
    pads = DynamicOnnxPads(ctx, 1);
  }
  std::vector<std::string> inputs = {ctx.input(0), pads};
  if (mode == "constant" && ctx.num_inputs() > 2) inputs.push_back(ctx.input(2));  // PadV2
  std::string out = ctx.AddNode("Pad", inputs, {Attribute::String("mode", mode)});
  RecordType(ctx, out, ctx.input_dtype(0), PaddedDims(ctx, paddings ? &*paddings : nullptr));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertPad(NodeContext& ctx) { return EmitPad(ctx, "constant"); }

// SYMMETRIC mirrors including the edge; ONNX has no such mode, so each padded
// axis becomes concat(reversed head, x, reversed tail).
absl::Status EmitSymmetricPad(NodeContext& ctx, const std::vector<int64_t>& paddings) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  std::string x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(paddings.size() / 2);
  for (int64_t axis = 0; axis < rank; ++axis) {
    const int64_t before = paddings[2 * axis], after = paddings[2 * axis + 1];
    if (before == 0 && after == 0) continue;
    std::vector<std::string> parts;
    const std::string axes = ctx.ConstInt64s({axis}, "axes");
    const std::string step = ctx.ConstInt64s({-1}, "steps");
    if (before > 0) {  // x[before-1], ..., x[0]
      parts.push_back(ctx.AddNode("Slice", {x, ctx.ConstInt64s({before - 1}, "starts"),
                                            ctx.ConstInt64s({kMin}, "ends"), axes, step}));
    }
    parts.push_back(x);
    if (after > 0) {  // x[n-1], ..., x[n-after]
      parts.push_back(ctx.AddNode("Slice", {x, ctx.ConstInt64s({-1}, "starts"),
                                            ctx.ConstInt64s({-1 - after}, "ends"), axes, step}));
    }
    x = ctx.AddNode("Concat", parts, {Attribute::Int("axis", axis)});
  }
  ctx.SetOutput(0, x);
  return absl::OkStatus();
}

absl::Status ConvertMirrorPad(NodeContext& ctx) {
  const std::string mode = ctx.attr_string("mode", "REFLECT");
  if (mode == "REFLECT") return EmitPad(ctx, "reflect");
  if (mode != "SYMMETRIC") return ctx.Error(absl::StrCat("unknown mode '", mode, "'"));
  if (ctx.const_input(1) == nullptr) {
    return ctx.Unsupported("SYMMETRIC MirrorPad with paddings computed at run time");
  }
  auto paddings = ctx.const_ints(1);
  if (!paddings.ok()) return paddings.status();
  if (paddings->size() % 2 != 0) return ctx.Error("paddings must have shape [rank, 2]");
  for (int64_t p : *paddings) {
    if (p < 0) return ctx.Error("negative paddings are invalid");
  }
  return EmitSymmetricPad(ctx, *paddings);
}

// ---------------------------------------------------------------------------
// Filling

absl::Status ConvertFill(NodeContext& ctx) {  // dims, value
  const std::string dims = Int64Input(ctx, 0);
  const ir::Tensor* value = ctx.const_input(1);
  if (value != nullptr && value->num_elements() == 1 &&
      ConstantOfShapeSupports(value->dtype(), ctx.opset())) {
    auto one_element = value->Reshaped({1});
    if (!one_element.ok()) return ctx.Error(std::string(one_element.status().message()));
    ctx.SetOutput(0, ctx.AddNode("ConstantOfShape", {dims},
                                 {Attribute::TensorValue("value", *std::move(one_element))}));
    return absl::OkStatus();
  }
  // A run-time (or string) value: broadcast the scalar to the shape.
  ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.input(1), dims}));
  return absl::OkStatus();
}

absl::Status FillLike(NodeContext& ctx, bool one) {
  const DataType dtype = InputDType(ctx, 0);
  const bool via_float =
      dtype == DataType::kBfloat16 && !ConstantOfShapeSupports(dtype, ctx.opset());
  const DataType fill_type = via_float ? DataType::kFloat : dtype;
  if (!ConstantOfShapeSupports(fill_type, ctx.opset())) {
    return ctx.Unsupported(absl::StrCat("dtype ", ir::DataTypeName(dtype)));
  }
  auto value = ZeroOrOneTensor(fill_type, one);
  if (!value.ok()) return ctx.Error(std::string(value.status().message()));
  std::string out = ctx.AddNode("ConstantOfShape", {ctx.AddNode("Shape", {ctx.input(0)})},
                                {Attribute::TensorValue("value", *std::move(value))});
  ctx.SetOutput(0, via_float ? ctx.Cast(out, dtype) : out);
  return absl::OkStatus();
}

absl::Status ConvertZerosLike(NodeContext& ctx) { return FillLike(ctx, false); }
absl::Status ConvertOnesLike(NodeContext& ctx) { return FillLike(ctx, true); }

absl::Status ConvertRange(NodeContext& ctx) {  // start, limit, delta
  auto tidx = ctx.attr_type("Tidx");
  const DataType dtype = tidx.ok() ? *tidx : InputDType(ctx, 0, "Tidx");
  // ONNX Range takes float, double, int16, int32, int64; others go through
  // the nearest of those and back.
  DataType compute = dtype;
  switch (dtype) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
      break;
    case DataType::kFloat16:
    case DataType::kBfloat16:
      compute = DataType::kFloat;
      break;
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
      compute = DataType::kInt64;
      break;
    default:
      return ctx.Unsupported(absl::StrCat("Range of ", ir::DataTypeName(dtype)));
  }
  std::vector<std::string> inputs;
  for (int k = 0; k < 3; ++k) inputs.push_back(ctx.Cast(ctx.input(k), compute));
  std::string out = ctx.AddNode("Range", inputs);
  ctx.SetOutput(0, compute == dtype ? out : ctx.Cast(out, dtype));
  return absl::OkStatus();
}

absl::Status ConvertTile(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Tile", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

// TF broadcasts one way (input to shape); ONNX Expand both ways, which gives
// the same result whenever TF accepts the shapes.
absl::Status ConvertBroadcastTo(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Expand", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Gathering

absl::Status EmitGather(NodeContext& ctx, int64_t axis, int64_t batch_dims) {
  if (batch_dims < 0) {
    std::optional<int> indices_rank = ctx.input_rank(1);
    if (!indices_rank) return ctx.Unsupported("negative batch_dims with indices of unknown rank");
    batch_dims += *indices_rank;
  }
  if (batch_dims == 0) {
    ctx.SetOutput(
        0, ctx.AddNode("Gather", {ctx.input(0), ctx.input(1)}, {Attribute::Int("axis", axis)}));
    return absl::OkStatus();
  }
  // With the gather axis right after the batch dims, GatherV2 is GatherND
  // over one-element index tuples.
  if (axis < 0) {
    std::optional<int> params_rank = ctx.input_rank(0);
    if (!params_rank) return ctx.Unsupported("negative axis with params of unknown rank");
    axis += *params_rank;
  }
  if (axis != batch_dims) {
    return ctx.Unsupported(
        absl::StrCat("batch_dims ", batch_dims, " with axis ", axis, " (only axis == batch_dims)"));
  }
  std::string tuples = ctx.Unsqueeze(Int64Input(ctx, 1), {-1});
  ctx.SetOutput(0, ctx.AddNode("GatherND", {ctx.input(0), tuples},
                               {Attribute::Int("batch_dims", batch_dims)}));
  return absl::OkStatus();
}

absl::Status ConvertGatherV2(NodeContext& ctx) {  // params, indices, axis
  auto axis = ConstScalarInt(ctx, 2, "axis");
  if (!axis.ok()) return axis.status();
  return EmitGather(ctx, *axis, ctx.attr_int("batch_dims", 0));
}

absl::Status ConvertGather(NodeContext& ctx) { return EmitGather(ctx, 0, 0); }

absl::Status ConvertGatherNd(NodeContext& ctx) {
  // ONNX GatherND indices are int64 only.
  ctx.SetOutput(0, ctx.AddNode("GatherND", {ctx.input(0), Int64Input(ctx, 1)}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// OneHot, Cumsum, TopK

bool IsSignedInteger(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

absl::Status ConvertOneHot(NodeContext& ctx) {  // indices, depth, on_value, off_value
  std::string indices = ctx.input(0);
  const DataType index_type = InputDType(ctx, 0, "TI");
  // ONNX counts negative indices from the end; TF makes their rows all
  // off_value. Moving them to `depth` (out of range) gives TF's result.
  if (IsSignedInteger(index_type)) {
    bool may_be_negative = true;
    if (const ir::Tensor* t = ctx.const_input(0)) {
      auto values = t->ToInt64s();
      may_be_negative = !values.ok();
      if (values.ok()) {
        for (int64_t v : *values) may_be_negative |= v < 0;
      }
    }
    if (may_be_negative) {
      std::string negative = ctx.AddNode("Less", {indices, ctx.ConstScalar(index_type, 0, "zero")});
      indices = ctx.AddNode("Where", {negative, ctx.Cast(ctx.input(1), index_type), indices});
    }
  }
  std::string values;
  const ir::Tensor* on = ctx.const_input(2);
  const ir::Tensor* off = ctx.const_input(3);
  if (on != nullptr && off != nullptr && on->num_elements() == 1 && off->num_elements() == 1 &&
      on->dtype() == off->dtype() && on->dtype() != DataType::kString) {
    auto pair = ir::Tensor::FromRaw(on->dtype(), {2}, off->raw() + on->raw());
    if (!pair.ok()) return ctx.Error(std::string(pair.status().message()));
    values = ctx.AddConst(*std::move(pair), "off_on");
  } else {
    values =
        ctx.AddNode("Concat", {ctx.Unsqueeze(ctx.input(3), {0}), ctx.Unsqueeze(ctx.input(2), {0})},
                    {Attribute::Int("axis", 0)});
  }
  ctx.SetOutput(0, ctx.AddNode("OneHot", {indices, ctx.input(1), values},
                               {Attribute::Int("axis", ctx.attr_int("axis", -1))}));
  return absl::OkStatus();
}

absl::Status ConvertCumsum(NodeContext& ctx) {  // x, axis
  ctx.SetOutput(0, ctx.AddNode("CumSum", {ctx.input(0), ctx.input(1)},
                               {Attribute::Int("exclusive", ctx.attr_bool("exclusive", false)),
                                Attribute::Int("reverse", ctx.attr_bool("reverse", false))}));
  return absl::OkStatus();
}

absl::Status ConvertTopKV2(NodeContext& ctx) {  // input, k
  // ONNX K is a one-element 1-D int64 tensor.
  std::string k;
  if (ctx.const_input(1) != nullptr) {
    auto value = ConstScalarInt(ctx, 1, "k");
    if (!value.ok()) return value.status();
    k = ctx.ConstInt64s({*value}, "k");
  } else {
    k = ctx.AddNode("Reshape", {Int64Input(ctx, 1), ctx.ConstInt64s({1}, "one")});
  }
  // TF's sorted=false allows any order, so ONNX's sorted output is valid too.
  std::vector<std::string> outs = ctx.AddNodeMulti(
      "TopK", {ctx.input(0), k}, 2,
      {Attribute::Int("axis", -1), Attribute::Int("largest", 1), Attribute::Int("sorted", 1)});
  auto index_type = ctx.attr_type("index_type");
  ctx.SetOutput(0, outs[0]);
  ctx.SetOutput(1, ctx.Cast(outs[1], index_type.ok() ? *index_type : DataType::kInt32));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Layout ops that ONNX defines on NCHW only

// Runs the NCHW `emit` on an NHWC (default) or NCHW input.
template <typename EmitFn>
absl::Status OnNchw(NodeContext& ctx, EmitFn emit) {
  const std::string format = ctx.attr_string("data_format", "NHWC");
  if (format == "NCHW") {
    ctx.SetOutput(0, emit(ctx.input(0)));
    return absl::OkStatus();
  }
  if (format != "NHWC") return ctx.Unsupported(absl::StrCat("data_format ", format));
  std::string nchw = ctx.Transpose(ctx.input(0), NhwcToNchwPerm(4));
  ctx.SetOutput(0, ctx.Transpose(emit(nchw), NchwToNhwcPerm(4)));
  return absl::OkStatus();
}

absl::Status ConvertSpaceToDepth(NodeContext& ctx) {
  const int64_t block = ctx.attr_int("block_size", 0);
  if (block < 2) return ctx.Error(absl::StrCat("block_size must be at least 2, got ", block));
  return OnNchw(ctx, [&](const std::string& x) {
    return ctx.AddNode("SpaceToDepth", {x}, {Attribute::Int("blocksize", block)});
  });
}

// TF's DepthToSpace reads depth as (block_row, block_col, channel): ONNX's DCR.
absl::Status ConvertDepthToSpace(NodeContext& ctx) {
  const int64_t block = ctx.attr_int("block_size", 0);
  if (block < 2) return ctx.Error(absl::StrCat("block_size must be at least 2, got ", block));
  return OnNchw(ctx, [&](const std::string& x) {
    return ctx.AddNode("DepthToSpace", {x},
                       {Attribute::Int("blocksize", block), Attribute::String("mode", "DCR")});
  });
}

// TF resize ops take NHWC images and a [new_height, new_width] size.
absl::Status EmitResize(NodeContext& ctx, bool bilinear) {
  const bool align_corners = ctx.attr_bool("align_corners", false);
  const bool half_pixel = ctx.attr_bool("half_pixel_centers", false);
  if (align_corners && half_pixel) {
    return ctx.Error("align_corners and half_pixel_centers cannot both be set");
  }
  std::vector<Attribute> attrs;
  if (bilinear) {
    attrs.push_back(Attribute::String("mode", "linear"));
    attrs.push_back(
        Attribute::String("coordinate_transformation_mode", align_corners ? "align_corners"
                                                            : half_pixel  ? "half_pixel"
                                                                          : "asymmetric"));
  } else {
    // TF nearest: align_corners rounds (half up) x*(in-1)/(out-1); half-pixel
    // takes floor((x+0.5)*scale), which is half_pixel with round-half-up
    // (tf_half_pixel_for_nn left ONNX at opset 13); else floor(x*scale).
    attrs.push_back(Attribute::String("mode", "nearest"));
    attrs.push_back(
        Attribute::String("coordinate_transformation_mode", align_corners ? "align_corners"
                                                            : half_pixel  ? "half_pixel"
                                                                          : "asymmetric"));
    attrs.push_back(Attribute::String("nearest_mode",
                                      align_corners || half_pixel ? "round_prefer_ceil" : "floor"));
  }
  std::optional<int> rank = ctx.input_rank(0);
  if (rank && *rank != 4) return ctx.Error(absl::StrCat("images must be 4-D, got rank ", *rank));
  // TF's bilinear resize returns float32 whatever the image type.
  const DataType dtype = bilinear ? DataType::kFloat : InputDType(ctx, 0);
  std::string image = bilinear ? ctx.Cast(ctx.input(0), DataType::kFloat) : ctx.input(0);
  std::string nchw = ctx.Transpose(image, NhwcToNchwPerm(4));
  // sizes = [N, C, new_h, new_w]; 'sizes' needs every axis before opset 18.
  std::string batch_channels = ctx.AddNode(
      "Slice",
      {ctx.AddNode("Shape", {nchw}), ctx.ConstInt64s({0}, "starts"), ctx.ConstInt64s({2}, "ends")});
  std::string sizes =
      ctx.AddNode("Concat", {batch_channels, Int64Input(ctx, 1)}, {Attribute::Int("axis", 0)});
  std::string resized = ctx.AddNode("Resize", {nchw, "", "", sizes}, std::move(attrs));
  RecordType(ctx, resized, dtype, std::vector<int64_t>{-1, -1, -1, -1});
  ctx.SetOutput(0, ctx.Transpose(resized, NchwToNhwcPerm(4)));
  return absl::OkStatus();
}

absl::Status ConvertResizeBilinear(NodeContext& ctx) { return EmitResize(ctx, true); }
absl::Status ConvertResizeNearest(NodeContext& ctx) { return EmitResize(ctx, false); }

}  // namespace

void RegisterArrayOps(HandlerRegistry& r) {
  r.Register({"Shape", "ShapeN"}, kMinOpset, ConvertShape);
  r.Register({"Size"}, kMinOpset, ConvertSize);
  r.Register({"Rank"}, kMinOpset, ConvertRank);
  r.Register({"Reshape"}, 13, ConvertReshape13);
  r.Register({"Reshape"}, 14, ConvertReshape14);  // allowzero

  r.Register({"Pack"}, kMinOpset, ConvertPack);
  r.Register({"ConcatV2"}, kMinOpset, ConvertConcatV2);
  r.Register({"Concat"}, kMinOpset, ConvertConcat);
  // Equal splits name num_outputs from opset 18 on (SplitEqual reads the
  // opset); the second registration records that the emission changes there.
  r.Register({"Split"}, 13, ConvertSplit);
  r.Register({"Split"}, 18, ConvertSplit);
  r.Register({"Unpack"}, 13, ConvertUnpack);
  r.Register({"Unpack"}, 18, ConvertUnpack);
  r.Register({"SplitV"}, kMinOpset, ConvertSplitV);

  r.Register({"Squeeze"}, kMinOpset, ConvertSqueeze);
  r.Register({"ExpandDims"}, kMinOpset, ConvertExpandDims);
  r.Register({"Transpose"}, kMinOpset, ConvertTranspose);

  r.Register({"Pad", "PadV2"}, kMinOpset, ConvertPad);
  r.Register({"MirrorPad"}, kMinOpset, ConvertMirrorPad);

  r.Register({"Fill"}, kMinOpset, ConvertFill);
  r.Register({"ZerosLike"}, kMinOpset, ConvertZerosLike);
  r.Register({"OnesLike"}, kMinOpset, ConvertOnesLike);
  r.Register({"Range"}, kMinOpset, ConvertRange);
  r.Register({"Tile"}, kMinOpset, ConvertTile);
  r.Register({"BroadcastTo"}, kMinOpset, ConvertBroadcastTo);

  r.Register({"GatherV2"}, kMinOpset, ConvertGatherV2);
  r.Register({"Gather"}, kMinOpset, ConvertGather);
  r.Register({"GatherNd"}, kMinOpset, ConvertGatherNd);

  r.Register({"OneHot"}, kMinOpset, ConvertOneHot);
  r.Register({"Cumsum"}, kMinOpset, ConvertCumsum);
  r.Register({"TopKV2"}, kMinOpset, ConvertTopKV2);

  r.Register({"SpaceToDepth"}, kMinOpset, ConvertSpaceToDepth);
  r.Register({"DepthToSpace"}, kMinOpset, ConvertDepthToSpace);
  r.Register({"ResizeBilinear"}, kMinOpset, ConvertResizeBilinear);
  r.Register({"ResizeNearestNeighbor"}, kMinOpset, ConvertResizeNearest);

  RegisterSliceOps(r);
}

}  // namespace onnxsmith::converter

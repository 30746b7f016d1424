#include "converter/handlers/array_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

using ir::DataType;

DataType InputDType(const NodeContext& ctx, int i, const std::string& type_attr) {
  DataType t = ctx.input_dtype(i);
  if (t != DataType::kUndefined) return t;
  auto from_attr = ctx.attr_type(type_attr);
  return from_attr.ok() ? *from_attr : DataType::kUndefined;
}

std::string Int64Input(NodeContext& ctx, int i) {
  if (const ir::Tensor* t = ctx.const_input(i)) {
    auto cast = t->CastTo(DataType::kInt64);
    if (cast.ok()) return ctx.AddConst(*std::move(cast), "i64");
  }
  return ctx.Cast(ctx.input(i), DataType::kInt64);
}

absl::StatusOr<int64_t> ConstScalarInt(const NodeContext& ctx, int i, const char* what) {
  auto values = ctx.const_ints(i);
  if (!values.ok()) return values.status();
  if (values->size() != 1) {
    return ctx.Error(absl::StrCat(what, " must hold one value, got ", values->size()));
  }
  return (*values)[0];
}

std::string ElementAt(NodeContext& ctx, const std::string& vec, int64_t index) {
  return ctx.AddNode("Gather", {vec, ctx.AddConst(ir::Tensor::Scalar<int64_t>(index), "index")},
                     {ir::Attribute::Int("axis", 0)});
}

std::string RuntimeDim(NodeContext& ctx, const std::string& x, int64_t axis) {
  return ElementAt(ctx, ctx.AddNode("Shape", {x}), axis);
}

std::string RowMajorStrides(NodeContext& ctx, const std::string& shape, int rank) {
  std::vector<std::string> strides(rank);
  strides[rank - 1] = ctx.ConstInt64s({1}, "stride");
  for (int k = rank - 2; k >= 0; --k) {
    const std::string next_dim = ctx.AddNode(
        "Slice", {shape, ctx.ConstInt64s({k + 1}, "starts"), ctx.ConstInt64s({k + 2}, "ends")});
    strides[k] = ctx.AddNode("Mul", {strides[k + 1], next_dim});
  }
  return rank == 1 ? strides[0]
                   : ctx.AddNode("Concat", strides, {ir::Attribute::Int("axis", 0)});
}

absl::StatusOr<int64_t> NormalizeAxis(const NodeContext& ctx, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

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

void EnsureType(NodeContext& ctx, const std::string& value, DataType dtype,
                const std::optional<std::vector<int64_t>>& dims) {
  const ir::ValueType known = ctx.TypeOf(value);
  if (known.rank().has_value() && known.dtype != DataType::kUndefined) return;
  if (dtype == DataType::kUndefined || !dims) return;
  ir::ValueType type;
  type.dtype = dtype;
  std::vector<ir::Dim> shape;
  for (int64_t d : *dims) shape.push_back(ir::Dim{d >= 0 ? d : -1, ""});
  type.shape = std::move(shape);
  ctx.SetType(value, std::move(type));
}

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

}  // namespace onnxsmith::converter

#include "converter/tf/tensor_convert.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

std::optional<std::vector<int64_t>> ToDims(const tf::TensorShapeProto& shape) {
  if (shape.unknown_rank()) return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : shape.dim()) dims.push_back(d.size() < 0 ? -1 : d.size());
  return dims;
}

absl::Status CheckNodeRanks(const tf::NodeDef& node) {
  for (const auto& [name, value] : node.attr()) {
    const std::string what =
        absl::StrCat("node '", node.name(), "' (", node.op(), ") attribute '", name, "'");
    absl::Status s = CheckTfRank(value.shape().dim_size(), what);
    if (s.ok()) s = CheckTfRank(value.tensor().tensor_shape().dim_size(), what);
    for (int i = 0; s.ok() && i < value.list().shape_size(); ++i) {
      s = CheckTfRank(value.list().shape(i).dim_size(), what);
    }
    for (int i = 0; s.ok() && i < value.list().tensor_size(); ++i) {
      s = CheckTfRank(value.list().tensor(i).tensor_shape().dim_size(), what);
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

ir::ValueType ToValueType(ir::DataType dtype, const std::optional<std::vector<int64_t>>& dims) {
  ir::ValueType t;
  t.dtype = dtype;
  if (dims) {
    std::vector<ir::Dim> out;
    for (int64_t d : *dims) out.push_back(ir::Dim{d, ""});
    t.shape = std::move(out);
  }
  return t;
}

namespace {

// Fills `n` elements of T from a repeated field: all given values, the last
// one repeated (TF's splat encoding), or zeros when the field is empty.
template <typename T, typename Field>
std::string FillFrom(const Field& field, int64_t n) {
  std::string raw(static_cast<size_t>(n) * sizeof(T), '\0');
  T* out = reinterpret_cast<T*>(raw.data());
  const int given = field.size();
  for (int64_t i = 0; i < n && given > 0; ++i) {
    out[i] = static_cast<T>(field.Get(i < given ? static_cast<int>(i) : given - 1));
  }
  return raw;
}

}  // namespace

absl::StatusOr<ir::Tensor> ToIrTensor(const tf::TensorProto& proto) {
  auto dtype = ToOnnxType(proto.dtype());
  if (!dtype.ok()) return dtype.status();
  if (absl::Status s = CheckTfRank(proto.tensor_shape().dim_size(), "constant"); !s.ok()) {
    return s;
  }
  auto dims_opt = ToDims(proto.tensor_shape());
  if (!dims_opt) return absl::InvalidArgumentError("constant with unknown rank");
  std::vector<int64_t> dims = *dims_opt;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return absl::InvalidArgumentError("constant with a negative dimension");
    if (d != 0 && n > kMaxConstElements / d) {
      return absl::InvalidArgumentError(
          absl::StrCat("constant with more than ", kMaxConstElements, " elements"));
    }
    n *= d;
  }
  if (*dtype == ir::DataType::kString) {
    std::vector<std::string> values;
    const int given = proto.string_val_size();
    if (given != n && given != 1 && n != 0) {
      return absl::InvalidArgumentError("string constant has the wrong number of values");
    }
    for (int64_t i = 0; i < n; ++i) values.push_back(proto.string_val(given == 1 ? 0 : i));
    return ir::Tensor::FromStrings(dims, std::move(values));
  }
  const int esize = ir::ElementSize(*dtype);
  if (!proto.tensor_content().empty()) {
    if (static_cast<int64_t>(proto.tensor_content().size()) != n * esize) {
      return absl::InvalidArgumentError(absl::StrCat("constant has ",
                                                     proto.tensor_content().size(),
                                                     " bytes of content, its shape needs ",
                                                     n * esize));
    }
    return ir::Tensor::FromRaw(*dtype, dims, proto.tensor_content());
  }
  std::string raw;
  switch (*dtype) {
    case ir::DataType::kFloat: raw = FillFrom<float>(proto.float_val(), n); break;
    case ir::DataType::kDouble: raw = FillFrom<double>(proto.double_val(), n); break;
    case ir::DataType::kInt32: raw = FillFrom<int32_t>(proto.int_val(), n); break;
    case ir::DataType::kInt16: raw = FillFrom<int16_t>(proto.int_val(), n); break;
    case ir::DataType::kInt8: raw = FillFrom<int8_t>(proto.int_val(), n); break;
    case ir::DataType::kUint8: raw = FillFrom<uint8_t>(proto.int_val(), n); break;
    case ir::DataType::kUint16: raw = FillFrom<uint16_t>(proto.int_val(), n); break;
    case ir::DataType::kInt64: raw = FillFrom<int64_t>(proto.int64_val(), n); break;
    case ir::DataType::kBool: raw = FillFrom<uint8_t>(proto.bool_val(), n); break;
    case ir::DataType::kFloat16:
    case ir::DataType::kBfloat16: raw = FillFrom<uint16_t>(proto.half_val(), n); break;
    case ir::DataType::kUint32: raw = FillFrom<uint32_t>(proto.uint32_val(), n); break;
    case ir::DataType::kUint64: raw = FillFrom<uint64_t>(proto.uint64_val(), n); break;
    default:
      return absl::UnimplementedError(
          absl::StrCat("constants of type ", TfTypeName(proto.dtype()), " are not supported"));
  }
  return ir::Tensor::FromRaw(*dtype, dims, std::move(raw));
}

}  // namespace onnxsmith::converter

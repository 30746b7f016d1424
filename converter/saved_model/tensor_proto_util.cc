#include "converter/saved_model/tensor_proto_util.h"

#include "absl/strings/str_cat.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter::saved_model {

tf::DataType ToTfType(ir::DataType dtype) {
  switch (dtype) {
    case ir::DataType::kFloat: return tf::DT_FLOAT;
    case ir::DataType::kDouble: return tf::DT_DOUBLE;
    case ir::DataType::kInt32: return tf::DT_INT32;
    case ir::DataType::kUint8: return tf::DT_UINT8;
    case ir::DataType::kInt16: return tf::DT_INT16;
    case ir::DataType::kInt8: return tf::DT_INT8;
    case ir::DataType::kString: return tf::DT_STRING;
    case ir::DataType::kInt64: return tf::DT_INT64;
    case ir::DataType::kBool: return tf::DT_BOOL;
    case ir::DataType::kBfloat16: return tf::DT_BFLOAT16;
    case ir::DataType::kUint16: return tf::DT_UINT16;
    case ir::DataType::kFloat16: return tf::DT_HALF;
    case ir::DataType::kUint32: return tf::DT_UINT32;
    case ir::DataType::kUint64: return tf::DT_UINT64;
    case ir::DataType::kComplex64: return tf::DT_COMPLEX64;
    case ir::DataType::kComplex128: return tf::DT_COMPLEX128;
    default: return tf::DT_INVALID;
  }
}

absl::StatusOr<tf::TensorProto> ToTensorProto(const ir::Tensor& tensor, tf::DataType dtype,
                                              bool with_content) {
  const tf::DataType own = ToTfType(tensor.dtype());
  if (own == tf::DT_INVALID) {
    return absl::InvalidArgumentError(absl::StrCat("a tensor of type ",
                                                   ir::DataTypeName(tensor.dtype()),
                                                   " has no TensorFlow equivalent"));
  }
  if (dtype == tf::DT_INVALID) dtype = own;
  int base = static_cast<int>(dtype);
  if (base > 100) base -= 100;  // reference types
  dtype = static_cast<tf::DataType>(base);
  if (dtype != own) {
    return absl::InvalidArgumentError(absl::StrCat("a ", ir::DataTypeName(tensor.dtype()),
                                                   " tensor cannot be stored as ",
                                                   TfTypeName(dtype)));
  }
  tf::TensorProto proto;
  proto.set_dtype(dtype);
  for (int64_t d : tensor.dims()) proto.mutable_tensor_shape()->add_dim()->set_size(d);
  if (!with_content) return proto;
  if (tensor.dtype() == ir::DataType::kString) {
    for (const std::string& s : tensor.strings()) proto.add_string_val(s);
  } else {
    proto.set_tensor_content(tensor.raw().data(), tensor.raw().size());
  }
  return proto;
}

}  // namespace onnxsmith::converter::saved_model

#include "converter/tf/dtype.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

absl::StatusOr<ir::DataType> ToOnnxType(tf::DataType dtype) {
  int base = static_cast<int>(dtype);
  if (base > 100) base -= 100;  // reference types
  switch (static_cast<tf::DataType>(base)) {
    case tf::DT_FLOAT: return ir::DataType::kFloat;
    case tf::DT_DOUBLE: return ir::DataType::kDouble;
    case tf::DT_INT32: return ir::DataType::kInt32;
    case tf::DT_UINT8: return ir::DataType::kUint8;
    case tf::DT_INT16: return ir::DataType::kInt16;
    case tf::DT_INT8: return ir::DataType::kInt8;
    case tf::DT_STRING: return ir::DataType::kString;
    case tf::DT_INT64: return ir::DataType::kInt64;
    case tf::DT_BOOL: return ir::DataType::kBool;
    case tf::DT_BFLOAT16: return ir::DataType::kBfloat16;
    case tf::DT_UINT16: return ir::DataType::kUint16;
    case tf::DT_HALF: return ir::DataType::kFloat16;
    case tf::DT_UINT32: return ir::DataType::kUint32;
    case tf::DT_UINT64: return ir::DataType::kUint64;
    case tf::DT_COMPLEX64: return ir::DataType::kComplex64;
    case tf::DT_COMPLEX128: return ir::DataType::kComplex128;
    default: break;
  }
  const std::string& name = tf::DataType_Name(dtype);
  return absl::UnimplementedError(
      absl::StrCat("TensorFlow type ", name.empty() ? absl::StrCat("#", static_cast<int>(dtype)) : name,
                   " has no ONNX equivalent"));
}

const char* TfTypeName(tf::DataType dtype) {
  const std::string& name = tf::DataType_Name(dtype);
  if (name.empty()) return "unknown dtype";
  return name.c_str();
}

}  // namespace onnxsmith::converter

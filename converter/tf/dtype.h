// TensorFlow dtypes in terms of the IR: the one table shared by the GraphDef
// converter and the checkpoint reader (a library of its own so that
// //converter/checkpoint can use it without depending on //converter).
#ifndef ONNXSMITH_CONVERTER_TF_DTYPE_H_
#define ONNXSMITH_CONVERTER_TF_DTYPE_H_

#include "absl/status/statusor.h"
#include "converter/tf/proto/types.pb.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

// The ONNX type for a TF dtype (reference types map like their base type);
// Unimplemented for types ONNX cannot hold (resource, variant, quantized).
absl::StatusOr<ir::DataType> ToOnnxType(tf::DataType dtype);
// "DT_FLOAT", ...; "unknown dtype" for a number the enum does not name.
const char* TfTypeName(tf::DataType dtype);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_DTYPE_H_

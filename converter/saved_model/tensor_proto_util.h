// IR tensors back to TensorFlow TensorProtos, for the Const nodes that replace
// frozen variables.
#ifndef ONNXSMITH_CONVERTER_SAVED_MODEL_TENSOR_PROTO_UTIL_H_
#define ONNXSMITH_CONVERTER_SAVED_MODEL_TENSOR_PROTO_UTIL_H_

#include "absl/status/statusor.h"
#include "converter/tf/proto/tensor.pb.h"
#include "converter/tf/proto/types.pb.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::saved_model {

// The TF dtype of an IR element type; DT_INVALID when there is none.
tf::DataType ToTfType(ir::DataType dtype);

// `tensor` as a TensorProto of TF type `dtype` (DT_INVALID: derived from the
// tensor). Numbers go into tensor_content (little-endian, as TF writes it),
// strings into string_val. An error when the types do not correspond.
// Without `with_content` only the dtype and shape are set (the value lives
// in a ConstValues side table, tf_converter.h).
absl::StatusOr<tf::TensorProto> ToTensorProto(const ir::Tensor& tensor,
                                              tf::DataType dtype = tf::DT_INVALID,
                                              bool with_content = true);

}  // namespace onnxsmith::converter::saved_model

#endif  // ONNXSMITH_CONVERTER_SAVED_MODEL_TENSOR_PROTO_UTIL_H_

// A constant key -> value map applied elementwise, as ai.onnx.ml LabelEncoder
// (domain opset 2: int64, float and string keys and values). Shared by TF's
// lookup tables (HashTableV2) and Keras's IntegerLookup/StringLookup.
#ifndef ONNXSMITH_CONVERTER_EMIT_LABEL_ENCODER_H_
#define ONNXSMITH_CONVERTER_EMIT_LABEL_ENCODER_H_

#include <string>

#include "absl/status/statusor.h"
#include "converter/emit/onnx_emitter.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

// The ai.onnx.ml opset the emitted LabelEncoder needs; converters import it
// when a node of that domain is in the graph.
inline constexpr int kLabelEncoderMlOpset = 2;

// Maps x (of keys' type) through keys[i] -> values[i]; other elements become
// `default_value` (one element of values' type). int32 keys/values travel as
// int64 and double as float (LabelEncoder's types), cast back on output.
// Errors name only the type refused; callers prefix their node.
absl::StatusOr<std::string> EmitLabelEncoder(OnnxEmitter& e, const std::string& x,
                                             const ir::Tensor& keys, const ir::Tensor& values,
                                             const ir::Tensor& default_value);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_LABEL_ENCODER_H_

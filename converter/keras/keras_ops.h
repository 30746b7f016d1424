// Shared by the handlers of Keras 3 operations (keras_ops.cc, keras_array_ops.cc).
#ifndef ONNXSMITH_CONVERTER_KERAS_KERAS_OPS_H_
#define ONNXSMITH_CONVERTER_KERAS_KERAS_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/json_util.h"
#include "converter/keras/layer_context.h"

namespace onnxsmith::converter::keras {

// True for a saved reference to a symbolic tensor ({"class_name": "__keras_tensor__", ...}).
bool IsKerasTensor(const Json& v);

// The operands of the call in its saved argument order: tensors, and numbers
// made constants of the element type of the first tensor operand from input
// `first_typed` on (ops.where's condition is bool, its branches are not);
// "" for a null argument; a (nested) list of numbers or a saved NumPy array
// becomes a constant (lists in that element type, arrays in their own).
absl::StatusOr<std::vector<std::string>> Operands(LayerContext& ctx, int first_typed = 0);

// The registry names of operation classes: "ops.<Class>".
std::vector<std::string> Prefixed(const std::vector<std::string>& names);

// The config's `key` axes (an int or a list), or every axis of input 0 when null (numpy).
absl::StatusOr<std::vector<int64_t>> AxesOrAll(LayerContext& ctx, const char* key = "axis");

// `axis` (negative from the end) as an index into a tensor of `rank`, or an error.
absl::StatusOr<int64_t> OpAxis(const LayerContext& ctx, int64_t axis, int rank);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_KERAS_OPS_H_

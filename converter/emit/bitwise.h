// Bitwise And/Or/Xor/Not on integer tensors at any opset: ONNX's Bitwise*
// ops from opset 18; below, a decomposition into standard ops (opset 11+).
// Shared by TF's BitwiseAnd/Or/Xor/Invert and keras.ops.bitwise_*.
#ifndef ONNXSMITH_CONVERTER_EMIT_BITWISE_H_
#define ONNXSMITH_CONVERTER_EMIT_BITWISE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/emit/onnx_emitter.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

// `op` is "BitwiseAnd", "BitwiseOr", "BitwiseXor" (two inputs) or
// "BitwiseNot" (one); the inputs share the integer type `type`. Errors name
// only what is refused; callers prefix their node.
absl::StatusOr<std::string> EmitBitwise(OnnxEmitter& e, const std::string& op,
                                        const std::vector<std::string>& inputs,
                                        ir::DataType type);

// TF's LeftShift/RightShift (keras.ops.left_shift/right_shift): x << y and
// x >> y on the integer type `type`, the right shift arithmetic for signed
// types (ONNX BitShift shifts unsigned types, logically).
absl::StatusOr<std::string> EmitShift(OnnxEmitter& e, bool left, const std::string& x,
                                      const std::string& y, ir::DataType type);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_BITWISE_H_

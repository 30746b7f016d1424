// Special functions ONNX has no operator for, as elementwise ONNX arithmetic:
// erfinv (TF Erfinv, keras.ops.erfinv).
#ifndef ONNXSMITH_CONVERTER_EMIT_SPECIAL_FUNCTIONS_H_
#define ONNXSMITH_CONVERTER_EMIT_SPECIAL_FUNCTIONS_H_

#include <string>

#include "converter/emit/onnx_emitter.h"

namespace onnxsmith::converter {

// erfinv(x) for float x of type `dtype` (float, double or float16), with
// Giles' single-precision approximation ("Approximating the erfinv function",
// 2010): two polynomials in w = -log((1 - x)(1 + x)), times x; within float32
// rounding of TF's kernel (which goes through ndtri). +-inf at +-1 and NaN
// outside [-1, 1], as TF.
std::string EmitErfinv(OnnxEmitter& e, const std::string& x, ir::DataType dtype);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_SPECIAL_FUNCTIONS_H_

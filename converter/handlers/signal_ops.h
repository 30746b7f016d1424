// Complex values in a converted graph. ONNX's DFT, the only ONNX op on
// complex numbers, carries them as a trailing dimension of 2 (real,
// imaginary) in a real type, and so does onnxsmith: a TF complex64 tensor is
// a float [..., 2] value, complex128 a double one. Only the handlers named
// by HandlesComplex know that layout; the converter refuses any other op
// whose type attributes are complex, rather than computing on the pairs as
// if they were real numbers. A complex graph output is exposed as its
// [..., 2] real value; a complex graph input is refused.
#ifndef ONNXSMITH_CONVERTER_HANDLERS_SIGNAL_OPS_H_
#define ONNXSMITH_CONVERTER_HANDLERS_SIGNAL_OPS_H_

#include <string>

#include "converter/emit/onnx_emitter.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

// atan2(y, x) elementwise in float type `t` (math_special_ops.cc; Atan2 and
// Angle use it).
std::string EmitAtan2(OnnxEmitter& emitter, const std::string& y, const std::string& x,
                      ir::DataType t);

// Whether TF op `op` converts with complex-typed attributes (the FFT family,
// ComplexAbs, Real, Imag, Complex, Conj, Angle, and ops that only forward a
// value).
bool HandlesComplex(const std::string& op);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_HANDLERS_SIGNAL_OPS_H_

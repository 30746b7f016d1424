// Small array computations shared by the TF and Keras frontends: the 3-vector
// cross product (TF Cross, keras.ops.cross) and the count of sorted entries
// below each value (TF LowerBound/UpperBound, keras.ops.searchsorted/digitize).
#ifndef ONNXSMITH_CONVERTER_EMIT_VECTOR_MATH_H_
#define ONNXSMITH_CONVERTER_EMIT_VECTOR_MATH_H_

#include <cstdint>
#include <string>

#include "converter/emit/onnx_emitter.h"

namespace onnxsmith::converter {

// a x b for a, b [..., 3] (broadcasting): a.yzx * b.zxy - a.zxy * b.yzx.
std::string EmitCross3(OnnxEmitter& e, const std::string& a, const std::string& b);

// How many entries of `sorted` are < (upper: <=) `values`, counted over
// `axis`, along which the two broadcast against each other (one of them has
// size 1 there); int64, the axis removed.
std::string EmitCountBelow(OnnxEmitter& e, const std::string& sorted, const std::string& values,
                           int64_t axis, bool upper);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_EMIT_VECTOR_MATH_H_

// float16 tensors in the kernels: a node reading float16 values runs its
// float32 kernel on widened copies of them, and its float32 outputs are
// rounded to float16 on store (round to nearest even). That is what ONNX
// Runtime's CPU provider does for the many ops it has no float16 kernel for
// (it inserts Casts around them), so results match it closely. Cast,
// CastLike, Shape, Size and the control-flow and sequence ops take float16
// as it is.
#ifndef ONNXSMITH_EVALUATOR_HALF_H_
#define ONNXSMITH_EVALUATOR_HALF_H_

#include "absl/status/status.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

// Runs `fn` on `ctx`, through float32 when an input is float16.
absl::Status RunKernel(const KernelFn& fn, KernelContext& ctx);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_HALF_H_

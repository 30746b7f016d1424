// Compares a computed tensor with a reference one the way numpy.allclose does
// (an element passes when |got - want| <= atol + rtol * |want|; NaN matches
// only NaN, infinities only the same infinity), and reports the worst element.
// Shared by `onnxsmith run --expect` and `optimize --check`.
#ifndef ONNXSMITH_EVALUATOR_COMPARE_H_
#define ONNXSMITH_EVALUATOR_COMPARE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {

struct Tolerance {
  double rtol = 1e-4;
  double atol = 1e-5;
};

struct TensorComparison {
  bool within_tolerance = true;
  int64_t num_elements = 0;
  int64_t num_mismatched = 0;
  // The element with the largest excess over its allowed error (the first
  // one on ties); its flat index, the two values and |got - want|.
  int64_t worst_index = -1;
  double worst_got = 0, worst_want = 0, worst_abs_error = 0;
  double max_abs_error = 0;    // over all elements
  double max_abs_reference = 0;  // scale of the reference, for messages
};

// Both tensors must have the same dims; numeric dtypes may differ (an int32
// reference for an int64 output compares by value). Strings and mismatched
// shapes are errors (InvalidArgument), not comparisons.
absl::StatusOr<TensorComparison> CompareTensors(const ir::Tensor& got, const ir::Tensor& want,
                                                const Tolerance& tolerance);

// "Identity:0: 3 of 20 elements differ; largest error 0.0123 at [1,4] (got
// 1.2345, want 1.2222; rtol 1e-4, atol 1e-5)" or "...: max error 2e-7 (ok)".
std::string DescribeComparison(const std::string& name, const ir::Tensor& want,
                               const TensorComparison& c, const Tolerance& tolerance);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_COMPARE_H_

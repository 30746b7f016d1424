// `optimize --check`: runs the model before and after optimization on the
// same seeded random inputs with the reference evaluator and compares every
// output (like onnxsim's --check).
#ifndef ONNXSMITH_CLI_OPTIMIZE_CHECK_H_
#define ONNXSMITH_CLI_OPTIMIZE_CHECK_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace onnxsmith::cli {

struct CheckOptions {
  uint32_t seed = 0;
  int64_t default_dim = 1;                   // unknown dims without a named value
  std::map<std::string, int64_t> named_dims;  // dim_param -> size
  // An output passes when max |after - before| <= rtol * max |before| + atol
  // (tolerance relative to the output's scale).
  double rtol = 1e-4;
  double atol = 1e-6;
  int num_threads = 0;
};

// Random values for one input (unknown dims as `options` say): floats in
// [-1, 1), integers in [0, 4) (small, so that index-like inputs stay in
// range), booleans.
absl::StatusOr<ir::Tensor> RandomInput(const ir::ValueInfo& v, const CheckOptions& options,
                                       std::mt19937& rng);

// "4" (every unknown dim) and/or "batch=2,seq=8" (by dim_param).
absl::Status ParseCheckDims(const std::string& text, CheckOptions* options);

// One line per output with its largest error; an error (FailedPrecondition,
// with the same lines) when an output differs beyond the tolerance, has
// another shape or is missing.
absl::StatusOr<std::string> CheckOptimized(const ir::Model& before, const ir::Model& after,
                                           const CheckOptions& options);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_OPTIMIZE_CHECK_H_

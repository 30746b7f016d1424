// The numeric check of --precision fp16: the float16 model against the
// float32 one on the same inputs (calibration samples, or seeded random
// ones), on the reference evaluator: per output the SQNR (10 log10 of the
// signal's energy over the error's, over all samples) and the largest
// absolute error.
#ifndef ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_CHECK_H_
#define ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/precision/float16.h"
#include "quantize/calibration_data.h"

namespace onnxsmith::optimizer::precision {

struct OutputError {
  std::string name;
  double sqnr_db = 0;  // 999 when the outputs are equal
  double max_abs_error = 0;
  double max_abs_reference = 0;
};

struct Float16Check {
  std::string inputs;  // "8 random samples (seed 0)" or the calibration path
  int64_t samples = 0;
  std::vector<OutputError> outputs;  // float outputs, graph order
};

// Runs both models on up to `max_samples` samples of `data` (float32 feeds;
// cast to float16 for the inputs the float16 model declares so).
absl::StatusOr<Float16Check> CheckFloat16(const ir::Model& fp32, const ir::Model& fp16,
                                          quantize::CalibrationSource& data, int64_t max_samples,
                                          int threads);

std::string FormatFloat16Check(const Float16Check& check);
// {"fp16": {conversion counts}, "check": {...}} for --report.
std::string Float16ReportJson(const Float16Report& report, const Float16Check& check,
                              int64_t file_bytes_before, int64_t file_bytes_after);

}  // namespace onnxsmith::optimizer::precision

#endif  // ONNXSMITH_OPTIMIZER_PRECISION_FLOAT16_CHECK_H_

// Calibration: runs the fp32 model on samples with the reference evaluator
// and reduces every observed value to TensorStats as it is produced, so
// memory is bounded by the model, the histograms and a few samples in
// flight, never by the number of samples. Samples run in parallel (TBB).
#ifndef ONNXSMITH_QUANTIZE_CALIBRATE_H_
#define ONNXSMITH_QUANTIZE_CALIBRATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "quantize/calibration_data.h"
#include "quantize/tensor_stats.h"

namespace onnxsmith::quantize {

// Reads up to `count` samples (all when < 0) from `source` and calls
// fn(sample) for each on TBB workers, at most `in_flight` samples in memory.
// The first error stops the stream and is returned. Returns samples read.
absl::StatusOr<int64_t> ForEachSample(CalibrationSource& source, int64_t count, int in_flight,
                                      const std::function<absl::Status(const Sample&)>& fn);

struct CalibrationOptions {
  bool histograms = false;  // percentile and entropy need them
  int in_flight = 0;        // samples in flight; 0 = 2 per worker thread
};

struct CalibrationResult {
  std::map<std::string, TensorStats> stats;  // per observed float tensor
  int64_t samples = 0;
};

// Statistics of the named float tensors (graph inputs or node outputs) of
// `model` over `count` samples of `source`.
absl::StatusOr<CalibrationResult> Calibrate(const ir::Model& model,
                                            const std::vector<std::string>& tensors,
                                            CalibrationSource& source, int64_t count,
                                            const CalibrationOptions& options);

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_CALIBRATE_H_

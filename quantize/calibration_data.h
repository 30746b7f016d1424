// Calibration samples for static quantization, streamed from NumPy files.
//
// A .npz holds one array per model input, keyed by the input's name, with
// the samples on the first axis. Sample i of an array of shape [S, d...] is
// arr[i:i+1] when the model input has the array's rank (a batch of one), or
// arr[i] when it has one axis less. A directory is read file by file in name
// order: every .npz is such a chunk; .npy files named <input>.npy form one
// chunk together, and any other .npy is a chunk of its own when the model
// has a single input. Chunks may have different shapes (dynamic dims), each
// sample runs at its own shape.
//
// Reads are bounded and sequential: one sample of every input is in memory
// at a time, whatever the file size. Names, dtypes, shapes and values (NaN,
// Inf) are checked; errors name the file and the input.
#ifndef ONNXSMITH_QUANTIZE_CALIBRATION_DATA_H_
#define ONNXSMITH_QUANTIZE_CALIBRATION_DATA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::quantize {

struct Sample {
  int64_t index = 0;  // 0-based over the whole source
  std::map<std::string, ir::Tensor> feeds;
};

class CalibrationSource {
 public:
  virtual ~CalibrationSource() = default;
  // The next sample; false at the end.
  virtual absl::StatusOr<bool> Next(Sample* sample) = 0;
  // Samples in the whole source (read from the headers when opened).
  virtual int64_t size() const = 0;
};

struct CalibrationLimits {
  int64_t max_sample_bytes = int64_t{1} << 30;  // one sample of one input
  int64_t max_header_bytes = int64_t{1} << 16;  // one .npy header
  int64_t max_files = 100000;                   // in a directory
};

// Opens `path` (a .npz file, or a directory) for a model whose required
// inputs are `inputs`; checks every header against them.
absl::StatusOr<std::unique_ptr<CalibrationSource>> OpenCalibrationData(
    const std::string& path, const std::vector<ir::ValueInfo>& inputs,
    const CalibrationLimits& limits = {});

// In-memory samples (tests, and callers that build data themselves).
std::unique_ptr<CalibrationSource> MakeSampleList(std::vector<Sample> samples);

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_CALIBRATION_DATA_H_

// Per-node sensitivity to quantization for the accuracy fallback
// (fallback.h). Internal to //quantize.
#ifndef ONNXSMITH_QUANTIZE_SENSITIVITY_H_
#define ONNXSMITH_QUANTIZE_SENSITIVITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "quantize/calibrate.h"
#include "quantize/calibration_data.h"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

struct NodeSensitivity {
  std::string node;
  double sqnr_db = 0;  // lowest output SQNR with only this node quantized
};

// For each of `candidates` (named nodes of the fp32 `model` that static
// quantization would quantize): the model's output SQNR on `samples` when
// that node alone is quantized with the parameters from `calib`. Each node
// runs only its forward cone, fed with the fp32 values of one fp32 run per
// sample; the nodes run in parallel. Most sensitive (lowest SQNR) first.
absl::StatusOr<std::vector<NodeSensitivity>> MeasureSensitivity(
    const ir::Model& model, const std::vector<std::string>& candidates, const QuantizeOptions& options,
    const CalibrationResult& calib, const std::vector<Sample>& samples);

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_SENSITIVITY_H_

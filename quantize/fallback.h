// Accuracy-driven fallback (--max-sqnr-drop, --min-sqnr, --min-agreement):
// after calibration, every quantized compute node (Conv, MatMul, Gemm, Add,
// pools, ...) is scored by the output SQNR of the model with that node alone
// quantized. Only the node's forward cone runs, fed with the fp32
// activations computed once per sample, all nodes in parallel (TBB). The
// most sensitive nodes then move back to float, a growing prefix of the
// ranking (1, 2, 3, 5, 8, ... then a bisection), each trial measured on the
// held-out samples against the fp32 outputs computed once, until the goals
// hold. If they do not hold with --max-float-nodes nodes float, the trial
// with the best SQNR is kept and the report says the goal was not met (the
// CLI then writes the model and exits non-zero).
//
// --max-sqnr-drop D compares each output with the best any 8-bit
// representation of it could do: its SQNR must be within D dB of the SQNR
// of the fp32 output itself rounded to uint8 over its calibrated range.
#ifndef ONNXSMITH_QUANTIZE_FALLBACK_H_
#define ONNXSMITH_QUANTIZE_FALLBACK_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ir/graph.h"
#include "quantize/calibrate.h"
#include "quantize/calibration_data.h"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

bool FallbackRequested(const QuantizeOptions& options);

// The goal values (a clear error naming the flag).
absl::Status CheckFallbackOptions(const QuantizeOptions& options);

// Fallback names the nodes it moves (--exclude-nodes works by name).
void NameUnnamedNodes(ir::Graph& graph);

// Passes `source` through, keeping copies of its first `keep` samples.
class KeepingSource : public CalibrationSource {
 public:
  KeepingSource(CalibrationSource& source, int keep) : source_(source), keep_(keep) {}
  absl::StatusOr<bool> Next(Sample* sample) override;
  int64_t size() const override { return source_.size(); }
  const std::vector<Sample>& kept() const { return kept_; }

 private:
  CalibrationSource& source_;
  size_t keep_;
  std::vector<Sample> kept_;
};

// Quantizes `model` (fp32, nodes named) with the fallback: `samples` score
// the nodes, the next `holdout` samples of `data` measure the trials. Fills
// report->nodes, outputs, warnings and fallback.
absl::Status RunFallback(ir::Model& model, const QuantizeOptions& options,
                         const CalibrationResult& calib, const std::vector<Sample>& samples,
                         CalibrationSource& data, int64_t holdout, QuantizeReport* report);

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_FALLBACK_H_

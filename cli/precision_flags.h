// `--precision fp16` on convert and optimize: the flag group (declared and
// checked here only, like the quantize flags), the conversion
// (optimizer/precision/float16.h) and its numeric check against the float32
// model, printed and written to --report FILE.json.
#ifndef ONNXSMITH_CLI_PRECISION_FLAGS_H_
#define ONNXSMITH_CLI_PRECISION_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/precision/float16.h"
#include "optimizer/precision/float16_check.h"

namespace CLI {
class App;
}  // namespace CLI

namespace onnxsmith::cli {

struct PrecisionFlags {
  std::string precision = "fp32";           // fp32 (nothing to do) or fp16
  std::vector<std::string> keep_fp32_ops;   // repeated or comma lists
  bool fp16_io = false;
  int64_t check_samples = 4;  // samples of the numeric check (0: no check)
  // Declared by optimize only: convert shares the quantize group's
  // --calibration. Both share the other groups' --report.
  std::string calibration;
};

// Declares --precision, --keep-fp32-ops, --fp16-io, --fp16-check-samples and,
// with `data_flags`, --calibration.
void AddPrecisionFlags(CLI::App* sub, PrecisionFlags* f, bool data_flags);

// The conversion's options (nullopt for fp32), or an error naming the flag:
// an unknown --precision, unknown op types, fp16-only flags without fp16.
absl::StatusOr<std::optional<optimizer::precision::Float16Options>> CheckPrecisionFlags(
    const PrecisionFlags& f);

struct PrecisionResult {
  optimizer::precision::Float16Report report;
  optimizer::precision::Float16Check check;
};

// Converts `model` to float16 and checks it against its float32 self on
// `calibration` samples (a path, or "" for seeded random inputs).
absl::StatusOr<PrecisionResult> ApplyPrecision(ir::Model& model,
                                               const optimizer::precision::Float16Options& options,
                                               const PrecisionFlags& f, const std::string& calibration,
                                               int threads);

// The conversion and the check as printed; writes `report_path`'s JSON
// (unless "").
absl::StatusOr<std::string> FinishPrecisionReport(const PrecisionResult& result,
                                                  const std::string& report_path,
                                                  int64_t file_bytes_before, int64_t file_bytes_after);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_PRECISION_FLAGS_H_

// `onnxsmith quantize IN.onnx OUT.onnx --calibration DATA [...]`: INT8
// quantization (quantize/quantize.h) of any ONNX model. AddQuantizeFlags
// declares the quantization flags (the only code that knows them; `convert
// --quantize int8` declares the same), CheckQuantizeFlags turns their text
// into QuantizeOptions (a bad value is a usage error), QuantizeModel runs it
// on a model in memory, and RunQuantize is the command.
#ifndef ONNXSMITH_CLI_QUANTIZE_COMMAND_H_
#define ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/report.h"
#include "cli/target_flags.h"
#include "ir/graph.h"
#include "ir/model_writer.h"
#include "quantize/quantize.h"

namespace CLI {
class App;
}  // namespace CLI

namespace onnxsmith::cli {

// The command line's words, as given (shared by quantize and convert).
struct QuantizeFlags {
  std::string calibration;  // .npz, .npy or a directory ("" in dynamic mode)
  std::string report_path;  // --report FILE.json ("" = none)
  std::string mode = "static";
  std::string method = "minmax";
  double percentile = 99.999;
  bool per_tensor = false;
  std::string activations;  // "" = uint8 (or the --target's)
  bool symmetric_activations = false;
  bool reduce_range = false;
  bool full_range = false;
  std::vector<std::string> exclude_nodes;     // repeated or comma lists
  std::vector<std::string> exclude_op_types;  // repeated or comma lists
  std::string format = "qdq";
  int64_t eval_samples = -1;
  // Accuracy fallback goals (NaN: not given).
  double max_sqnr_drop = std::numeric_limits<double>::quiet_NaN();
  double min_sqnr = std::numeric_limits<double>::quiet_NaN();
  double min_agreement = std::numeric_limits<double>::quiet_NaN();
  int max_float_nodes = -1;
};

struct QuantizeCommandOptions {
  std::string input;        // fp32 .onnx
  std::string output;       // quantized .onnx (written atomically, after the ONNX checker)
  QuantizeFlags flags;
  TargetFlags target;
  int threads = 0;  // TBB workers; 0 = all cores
  ir::ExternalDataOptions external_data;
};

// Declares --calibration, --mode, --method, ... (not --threads) on `sub`.
void AddQuantizeFlags(CLI::App* sub, QuantizeFlags* f);

// The library's options from the flags, or an error naming the bad flag
// (also: static mode without --calibration).
absl::StatusOr<quantize::QuantizeOptions> CheckQuantizeFlags(const QuantizeFlags& f);

// Quantizes `model` (loaded, fp32) as the flags say: opens the calibration
// data against the model's inputs and runs quantize::Quantize; a target
// profile sets the scheme (ApplyProfile).
absl::StatusOr<quantize::QuantizeReport> QuantizeModel(ir::Model& model, const QuantizeFlags& f,
                                                       const targets::Profile* profile = nullptr);

// Prints the report (and peak memory); writes --report's JSON with the file
// sizes (`before` -1: no fp32 file, e.g. in convert).
absl::Status FinishQuantizeReport(const QuantizeFlags& f, const quantize::QuantizeReport& report,
                                  int64_t before, int64_t after,
                                  const targets::ComplianceReport* target = nullptr);

// Non-OK when the accuracy fallback could not meet its goal (the model and
// report are written first; the exit status then says so).
absl::Status FallbackOutcome(const quantize::QuantizeReport& report);

absl::Status CheckQuantizeUsage(const QuantizeCommandOptions& options);
absl::Status RunQuantize(const QuantizeCommandOptions& options);
// quantize IN OUT without printing or --report (RunQuantize does both).
absl::StatusOr<QuantizeSummary> QuantizeFile(const QuantizeCommandOptions& options);
CLI::App* AddQuantizeCommand(CLI::App& app, QuantizeCommandOptions* o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

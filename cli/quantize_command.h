// `onnxsmith quantize IN.onnx OUT.onnx --calibration DATA [...]`: INT8
// quantization (quantize/quantize.h) of any ONNX model. AddQuantizeCommand
// declares the flags (the only code that knows the parser), CheckQuantizeUsage
// turns their text into QuantizeOptions (a bad value is a usage error), and
// RunQuantize runs it.
#ifndef ONNXSMITH_CLI_QUANTIZE_COMMAND_H_
#define ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/report.h"
#include "quantize/quantize.h"

namespace CLI {
class App;
}  // namespace CLI

namespace onnxsmith::cli {

// The command line's words, as given.
struct QuantizeFlags {
  std::string mode = "static";
  std::string method = "minmax";
  double percentile = 99.999;
  bool per_tensor = false;
  std::string activations = "uint8";
  bool symmetric_activations = false;
  bool reduce_range = false;
  bool full_range = false;
  std::vector<std::string> exclude_nodes;     // repeated or comma lists
  std::vector<std::string> exclude_op_types;  // repeated or comma lists
  std::string format = "qdq";
  int64_t eval_samples = -1;
};

struct QuantizeCommandOptions {
  std::string input;        // fp32 .onnx
  std::string output;       // quantized .onnx (written atomically, after the ONNX checker)
  std::string calibration;  // .npz, .npy or a directory ("" in dynamic mode)
  std::string report_path;  // --report FILE.json ("" = none)
  QuantizeFlags flags;
  int threads = 0;  // TBB workers; 0 = all cores
};

// The library's options from the flags, or an error naming the bad flag.
absl::StatusOr<quantize::QuantizeOptions> ToQuantizeOptions(const QuantizeFlags& f);

absl::Status CheckQuantizeUsage(const QuantizeCommandOptions& options);
absl::Status RunQuantize(const QuantizeCommandOptions& options);
// quantize IN OUT without printing or --report (RunQuantize does both).
absl::StatusOr<QuantizeSummary> QuantizeFile(const QuantizeCommandOptions& options);
CLI::App* AddQuantizeCommand(CLI::App& app, QuantizeCommandOptions* o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

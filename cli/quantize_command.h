// `onnxsmith quantize IN.onnx OUT.onnx --calibration DATA [...]`: INT8
// quantization (quantize/quantize.h) of any ONNX model. The options struct
// is filled from the command line by QuantizeCommandOptionsFromFlags (the
// only code that knows the flag parser) and run by RunQuantize.
#ifndef ONNXSMITH_CLI_QUANTIZE_COMMAND_H_
#define ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quantize/quantize.h"

namespace onnxsmith::cli {

struct QuantizeCommandOptions {
  std::string input;        // fp32 .onnx
  std::string output;       // quantized .onnx (written atomically, after the ONNX checker)
  std::string calibration;  // .npz, .npy or a directory ("" in dynamic mode)
  std::string report_path;  // --report FILE.json ("" = none)
  quantize::QuantizeOptions quantize;
  int threads = 0;  // TBB workers; 0 = all cores
};

// Positional arguments (IN OUT) plus the quantize flags.
absl::StatusOr<QuantizeCommandOptions> QuantizeCommandOptionsFromFlags(
    const std::vector<std::string>& args);

absl::Status RunQuantize(const QuantizeCommandOptions& options);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_QUANTIZE_COMMAND_H_

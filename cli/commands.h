// The onnxsmith subcommands. Each takes the positional arguments after the
// subcommand name (flags are already parsed) and returns the process exit code.
#ifndef ONNXSMITH_CLI_COMMANDS_H_
#define ONNXSMITH_CLI_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "optimizer/registry.h"
#include "tbb/global_control.h"

namespace onnxsmith::cli {

absl::Status RunConvert(const std::vector<std::string>& args);
absl::Status RunInspect(const std::vector<std::string>& args);
absl::Status RunOptimize(const std::vector<std::string>& args);

// --optimize/--no-optimize/--passes/--skip, shared by convert and optimize.
absl::StatusOr<optimizer::OptimizeOptions> OptimizeOptionsFromFlags();
// A TBB thread bound from --threads (nullptr for 0 = all cores); held by a
// command for its whole run.
std::unique_ptr<tbb::global_control> ThreadLimitFromFlags();
// Runs the pipeline; returns its wall time (ms) and a printable summary.
absl::StatusOr<double> OptimizeModel(ir::Model& model, const optimizer::OptimizeOptions& options,
                                     std::string* summary);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_COMMANDS_H_

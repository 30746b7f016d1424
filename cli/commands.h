// The onnxsmith subcommands. Each takes the positional arguments after the
// subcommand name (flags are already parsed) and returns the process exit code.
#ifndef ONNXSMITH_CLI_COMMANDS_H_
#define ONNXSMITH_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace onnxsmith::cli {

absl::Status RunConvert(const std::vector<std::string>& args);
absl::Status RunInspect(const std::vector<std::string>& args);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_COMMANDS_H_

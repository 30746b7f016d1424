// `onnxsmith inspect FILE|DIR`: what a model file is and what it holds.
#ifndef ONNXSMITH_CLI_INSPECT_COMMAND_H_
#define ONNXSMITH_CLI_INSPECT_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace onnxsmith::cli {

struct InspectOptions {
  std::string path;
  bool json = false;
  int max_items = 20;
};

absl::Status RunInspect(const InspectOptions& o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_INSPECT_COMMAND_H_

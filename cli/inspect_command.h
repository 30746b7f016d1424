// `onnxsmith inspect PATH`: what a model file is and what it holds, for
// people (lists capped at max_items) or, with json, as one JSON document in
// full on stdout.
#ifndef ONNXSMITH_CLI_INSPECT_COMMAND_H_
#define ONNXSMITH_CLI_INSPECT_COMMAND_H_

#include <string>

#include "absl/status/status.h"

namespace onnxsmith::cli {

struct InspectOptions {
  std::string path;    // a model file or a SavedModel directory
  bool json = false;   // the full document (no caps) instead of the text
  int max_items = 20;  // longest list the text shows; 0 = no cap
};

absl::Status RunInspect(const InspectOptions& o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_INSPECT_COMMAND_H_

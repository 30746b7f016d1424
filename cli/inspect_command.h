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
  // --target NAME: check an ONNX file against a target profile instead
  // (exit 1 when it does not comply, unless allow_fallback and only nodes
  // are unsupported); report_path: the report as JSON.
  std::string target;
  bool allow_fallback = false;
  std::string report_path;
};

absl::Status RunInspect(const InspectOptions& o);
// inspect --target (cli/target_flags.cc).
absl::Status RunInspectTarget(const InspectOptions& o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_INSPECT_COMMAND_H_

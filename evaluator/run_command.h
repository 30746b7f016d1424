// `onnxsmith run MODEL --input name=file.npy [--input ...] [--output_dir DIR]`:
// runs an ONNX model on the reference evaluator and writes every graph
// output as DIR/<output name>.npy (characters other than [A-Za-z0-9._-] in
// the name become '_').
#ifndef ONNXSMITH_EVALUATOR_RUN_COMMAND_H_
#define ONNXSMITH_EVALUATOR_RUN_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace onnxsmith::evaluator {

// `args`: the positional arguments after `run` (flags already parsed by
// absl::ParseCommandLine): exactly one, the model path.
absl::Status RunModelCommand(const std::vector<std::string>& args);

// The file name an output is written under (without directory).
std::string OutputFileName(const std::string& output_name);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_RUN_COMMAND_H_

// Stand-alone `run` until the onnxsmith CLI wires it:
//   run_tool MODEL.onnx --input name=file.npy [--input ...] [--output_dir DIR]
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "evaluator/run_command.h"

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "run_tool MODEL.onnx --input name=file.npy [--input ...] [--output_dir DIR]");
  // Accept --output-dir as well as --output_dir.
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      const size_t end = std::min(a.find('='), a.size());
      for (size_t k = 2; k < end; ++k) {
        if (a[k] == '-') a[k] = '_';
      }
    }
  }
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargv.size()), cargv.data());
  std::vector<std::string> positional(rest.begin() + 1, rest.end());
  absl::Status status = onnxsmith::evaluator::RunModelCommand(positional);
  if (!status.ok()) {
    std::fprintf(stderr, "onnxsmith run: error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

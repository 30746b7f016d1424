// onnxsmith: TensorFlow/Keras -> ONNX conversion, optimization and inspection.
// The commands and their flags: cli/command_table.cc.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/command_line.h"

namespace {

// --quiet (any command): progress output off for the whole process.
void SetQuiet(bool quiet) {
  // Nothing prints progress yet; common/progress.h's switch goes here.
  (void)quiet;
}

}  // namespace

int main(int argc, char** argv) {
  // `bazel run` starts us in the runfiles tree; paths on the command line are
  // relative to where the user ran it.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr) {
    if (chdir(dir) != 0) std::perror("onnxsmith: cannot enter BUILD_WORKING_DIRECTORY");
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  return onnxsmith::cli::OnnxsmithCommandLine()->Main(args, SetQuiet);
}

// onnxsmith: TensorFlow/Keras -> ONNX conversion, optimization and inspection.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/quantize_command.h"
#include "evaluator/run_command.h"

namespace {

constexpr char kUsage[] =
    "onnxsmith <command> [flags]\n"
    "\n"
    "commands:\n"
    "  convert   --graphdef FILE | --saved-model DIR | --keras FILE  --output FILE.onnx\n"
    "            [--opset N] [--inputs x:0[1,224,224,3],...] [--outputs y:0,...]\n"
    "            [--inputs-as-nchw x:0,...] [--outputs-as-nchw y:0,...]\n"
    "            [--custom-ops Op[:domain],...]\n"
    "            [--optimize 0-3 | --no-optimize] [--passes a,b] [--skip c] [--threads N]\n"
    "  optimize  IN.onnx OUT.onnx [--optimize 0-3] [--passes a,b] [--skip c] [--list-passes]\n"
    "            [--check [--check-dims 4|batch=2,...] [--check-seed N] [--check-rtol R]]\n"
    "            [--threads N]\n"
    "  quantize  IN.onnx OUT.onnx --calibration DATA.npz [--mode static|dynamic]\n"
    "            [--method minmax|percentile|entropy] [--percentile P] [--per-tensor]\n"
    "            [--activations uint8|int8] [--symmetric-activations] [--reduce-range|--full-range]\n"
    "            [--exclude-nodes a,b] [--exclude-op-types Op,...] [--report FILE.json]\n"
    "  run       MODEL.onnx --input name=file.npy ... [--output_dir DIR]  (reference evaluator)\n"
    "  inspect   FILE|DIR   summary of a TF GraphDef, SavedModel or ONNX model\n"
    "\n"
    "Flags may be spelled with - or _ (--saved-model or --saved_model).";

// absl flag names cannot hold '-'; accept tf2onnx's spelling by mapping it.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a.compare(0, 2, "--") == 0) {
      const size_t end = a.find('=');
      for (size_t k = 2; k < std::min(end, a.size()); ++k) {
        if (a[k] == '-') a[k] = '_';
      }
    }
    args.push_back(a);
  }
  // `optimize --check` compares the model before and after; convert's
  // --check (the ONNX checker, on by default) is another flag.
  bool optimize = false;
  for (size_t i = 1; i < args.size() && !optimize; ++i) optimize = args[i] == "optimize";
  if (optimize) {
    for (size_t i = 1; i < args.size(); ++i) {
      std::string& a = args[i];
      if (a == "--check" || a.rfind("--check=", 0) == 0 || a == "--nocheck") {
        a = a == "--nocheck" ? "--nooptimize_check" : "--optimize_check" + a.substr(7);
      }
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  // `bazel run` starts us in the runfiles tree; paths on the command line are
  // relative to where the user ran it.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr) {
    if (chdir(dir) != 0) std::perror("onnxsmith: cannot enter BUILD_WORKING_DIRECTORY");
  }
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> normalized = NormalizeFlagNames(argc, argv);
  std::vector<char*> cargv;
  for (auto& a : normalized) cargv.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargv.size()), cargv.data());
  if (rest.size() < 2) {
    std::fprintf(stderr, "%s\n", kUsage);
    return 2;
  }
  const std::string command = rest[1];
  std::vector<std::string> args(rest.begin() + 2, rest.end());
  absl::Status status;
  if (command == "convert") {
    status = onnxsmith::cli::RunConvert(args);
  } else if (command == "optimize") {
    status = onnxsmith::cli::RunOptimize(args);
  } else if (command == "quantize") {
    auto options = onnxsmith::cli::QuantizeCommandOptionsFromFlags(args);
    status = options.ok() ? onnxsmith::cli::RunQuantize(*options) : options.status();
  } else if (command == "run") {
    status = onnxsmith::evaluator::RunModelCommand(args);
  } else if (command == "inspect") {
    status = onnxsmith::cli::RunInspect(args);
  } else {
    std::fprintf(stderr, "onnxsmith: unknown command '%s'\n\n%s\n", command.c_str(), kUsage);
    return 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "onnxsmith %s: error: %s\n", command.c_str(),
                 std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}

// The onnxsmith command table, and the small commands (inspect's flags,
// version). A new command is one AddCommand line here.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/inspect_command.h"
#include "cli/quantize_command.h"
#include "common/build_info.h"
#include "common/version.h"

namespace onnxsmith::cli {
namespace {

constexpr char kUsage[] =
    "onnxsmith <command> [flags]    (onnxsmith <command> --help: the command's flags)\n"
    "\n"
    "commands:\n"
    "  convert   --graphdef FILE | --saved-model DIR | --keras FILE  --output FILE.onnx\n"
    "            [--opset N] [--inputs x:0[1,224,224,3],...] [--outputs y:0,...]\n"
    "            [--inputs-as-nchw x:0,...] [--outputs-as-nchw y:0,...]\n"
    "            [--custom-ops Op[:domain],...]\n"
    "            [--tag serve] [--signature-def KEY | --concrete-function NAME]\n"
    "            [--optimize 0-3 | --no-optimize] [--passes a,b] [--skip c] [--threads N]\n"
    "            [--quantize int8 --calibration DATA.npz [quantize's flags]]\n"
    "            [--target NAME [--fix-shape x:1x224x224x3 | --batch N] [--allow-fallback]]\n"
    "  optimize  IN.onnx OUT.onnx [--optimize 0-3] [--passes a,b] [--skip c] [--list-passes]\n"
    "            [--check [--check-dims 4|batch=2,...] [--check-seed N] [--check-rtol R]]\n"
    "            [--threads N] [--target NAME [--fix-shape ...] [--report FILE.json]]\n"
    "  quantize  IN.onnx OUT.onnx --calibration DATA.npz | --mode dynamic\n"
    "            [--method minmax|percentile|entropy] [--per-tensor] [--activations uint8|int8]\n"
    "            [--reduce-range | --full-range] [--exclude-nodes a,b] [--exclude-op-types T]\n"
    "            [--format qdq|qoperator] [--report FILE.json]   (INT8)\n"
    "            [--target NAME [--fix-shape ...] [--allow-fallback]]  (docs/targets.md)\n"
    "  run       MODEL.onnx --input name=file.npy ... [--output-dir DIR]  (reference evaluator)\n"
    "            [--expect name=file.npy ... [--rtol R] [--atol A]]\n"
    "  inspect   FILE|DIR [--json] [--max-items N]   summary of a TF GraphDef, SavedModel,\n"
    "            Keras or ONNX model; --target NAME [--report FILE.json] checks an ONNX\n"
    "            model against a target profile\n"
    "  version   the release, git commit and build mode (also --version)\n"
    "\n"
    "Every command takes --quiet (no progress output). Flags may be spelled with - or _\n"
    "(--saved-model or --saved_model). Exit codes: 0 success, 1 error, 2 bad command line.";

}  // namespace

CLI::App* AddInspectCommand(CLI::App& app, InspectOptions* o) {
  CLI::App* sub = app.add_subcommand(
      "inspect", "summary of a TF GraphDef, SavedModel, Keras or ONNX model");
  sub->add_option("path", o->path, "FILE|DIR")->required();
  sub->add_flag(FlagNames("json"), o->json, "print JSON instead of text");
  sub->add_option(FlagNames("max-items"), o->max_items,
                  "longest lists shown (ops, tensors, layers)")
      ->capture_default_str();
  sub->add_option(FlagNames("target"), o->target,
                  "check an ONNX model against a target profile (docs/targets.md)");
  sub->add_flag(FlagNames("allow-fallback"), o->allow_fallback,
                "--target: unsupported nodes do not fail the check");
  sub->add_option(FlagNames("report"), o->report_path, "--target: write the compliance report as JSON");
  return sub;
}

std::string VersionLine() {
  return absl::StrCat("onnxsmith ", kVersion, " (commit ", GitCommit(), ", ", BuildMode(),
                      " build)");
}

CLI::App* AddVersionCommand(CLI::App& app, VersionOptions*) {
  return app.add_subcommand("version", "print the version and exit");
}

absl::Status RunVersion(const VersionOptions&) {
  std::printf("%s\n", VersionLine().c_str());
  return absl::OkStatus();
}

std::unique_ptr<CommandLine> OnnxsmithCommandLine() {
  auto cli = std::make_unique<CommandLine>("onnxsmith", kUsage, VersionLine());
  cli->AddCommand(AddConvertCommand, RunConvert, CheckConvertUsage);
  cli->AddCommand(AddOptimizeCommand, RunOptimize, CheckOptimizeUsage);
  cli->AddCommand(AddQuantizeCommand, RunQuantize, CheckQuantizeUsage);
  cli->AddCommand(AddRunCommand, RunModel);
  cli->AddCommand(AddInspectCommand, RunInspect);
  cli->AddCommand(AddVersionCommand, RunVersion);
  return cli;
}

}  // namespace onnxsmith::cli

// The onnxsmith subcommands: each has an options struct (what its flags
// parse into, see command_line.h), AddXCommand declaring the flags, and RunX
// doing the work, callable without a command line.
#ifndef ONNXSMITH_CLI_COMMANDS_H_
#define ONNXSMITH_CLI_COMMANDS_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/inspect_command.h"
#include "cli/precision_flags.h"
#include "cli/report.h"
#include "cli/quantize_command.h"
#include "cli/target_flags.h"
#include "converter/handlers/registry.h"
#include "converter/tf_converter.h"
#include "ir/graph.h"
#include "ir/model_writer.h"
#include "optimizer/registry.h"
#include "tbb/global_control.h"

namespace onnxsmith::cli {

// The optimizer flags of convert and optimize.
struct PipelineFlags {
  std::string optimize = "2";  // 0-3 or none/basic/extended/all
  bool no_optimize = false;    // same as optimize = "0"
  std::vector<std::string> passes;  // each a name or a comma list
  std::vector<std::string> skip;
  int threads = 0;  // TBB workers; 0 = all cores
  bool verify = false;  // ir::Verify before the first pass and after every pass
};

struct ConvertOptions {
  std::string graphdef, saved_model, keras;  // exactly one
  std::string output;
  std::string tag = "serve";
  std::string signature_def = "serving_default";
  std::string concrete_function;
  int opset = converter::kDefaultOpset;
  bool opset_given = false;  // --opset on the command line (else --target picks)
  // Each element one flag occurrence: a tensor spec or a comma list of them.
  std::vector<std::string> inputs, outputs, inputs_as_nchw, outputs_as_nchw, custom_ops;
  bool check = true;  // the ONNX checker
  PipelineFlags pipeline;
  ir::ExternalDataOptions external_data;
  // --quantize int8: quantize after optimizing, with quantize's flags.
  std::string quantize;
  QuantizeFlags quantize_flags;
  TargetFlags target;  // --target (--report is quantize_flags.report_path)
  // --precision fp16 (after optimizing; shares --calibration and --report).
  PrecisionFlags precision;
};

struct OptimizeOptions {
  std::vector<std::string> files;  // IN.onnx OUT.onnx
  bool list_passes = false;
  // --check: compare the model before and after on random inputs.
  bool check = false;
  std::string check_dims;
  int check_seed = 0;
  double check_rtol = 1e-4;
  double check_atol = 1e-6;
  PipelineFlags pipeline;
  TargetFlags target;
  PrecisionFlags precision;  // --precision fp16 after the passes
  ir::ExternalDataOptions external_data;
};

struct RunOptions {
  std::string model;
  // name=file.npy (or file.npy for a one-input model); one occurrence may
  // list several name=file pairs separated by commas.
  std::vector<std::string> inputs;
  std::vector<std::string> expect;
  std::string output_dir = ".";
  int threads = 0;
  int repeat = 1;
  bool profile = false;
  double rtol = 1e-4;
  double atol = 1e-5;
  double min_sqnr = -1;  // --min-sqnr DB (>= 0: judge --expect by SQNR instead)
};

struct VersionOptions {};

CLI::App* AddConvertCommand(CLI::App& app, ConvertOptions* options);
absl::Status CheckConvertUsage(const ConvertOptions& options);
absl::Status RunConvert(const ConvertOptions& options);
// convert without printing: loads, converts, optimizes, checks and writes
// options.output atomically (RunConvert prints the summary; the Python
// package returns it).
absl::StatusOr<ConvertSummary> ConvertModel(const ConvertOptions& options);
// The converter's options from the flags (tensor specs parsed, lists split).
absl::StatusOr<converter::ConvertOptions> ToConverterOptions(const ConvertOptions& options);

CLI::App* AddOptimizeCommand(CLI::App& app, OptimizeOptions* options);
absl::Status CheckOptimizeUsage(const OptimizeOptions& options);
absl::Status RunOptimize(const OptimizeOptions& options);
// optimize IN OUT without printing (RunOptimize prints the summary).
absl::StatusOr<OptimizeSummary> OptimizeFile(const OptimizeOptions& options);

CLI::App* AddRunCommand(CLI::App& app, RunOptions* options);
absl::Status RunModel(const RunOptions& options);
// One run of the model file on the reference evaluator with in-memory
// feeds (by input name; every required input needed, no unknown names):
// the outputs in graph order, with their names.
absl::StatusOr<std::vector<std::pair<std::string, ir::Tensor>>> EvaluateModelFile(
    const std::string& model_path, std::map<std::string, ir::Tensor> feeds, int threads);
// The file name an output is written under (without directory).
std::string OutputFileName(const std::string& output_name);

CLI::App* AddInspectCommand(CLI::App& app, InspectOptions* options);

CLI::App* AddVersionCommand(CLI::App& app, VersionOptions* options);
absl::Status RunVersion(const VersionOptions& options);
// "onnxsmith 0.5.0 (commit 0123abc..., opt build)".
std::string VersionLine();

// --optimize/--no-optimize/--passes/--skip, shared by convert and optimize.
void AddPipelineFlags(CLI::App* app, PipelineFlags* flags);
absl::StatusOr<optimizer::OptimizeOptions> ToOptimizeOptions(const PipelineFlags& flags);
// A TBB thread bound (nullptr for 0 = all cores); held by a command for its
// whole run.
std::unique_ptr<tbb::global_control> ThreadLimit(int threads);
// Runs the pipeline; returns its wall time (ms) and its report.
absl::StatusOr<double> OptimizeModel(ir::Model& model, const optimizer::OptimizeOptions& options,
                                     int threads, optimizer::PipelineReport* report);
// "a,b" occurrences -> a, b (empty items dropped).
std::vector<std::string> SplitCommaLists(const std::vector<std::string>& occurrences);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_COMMANDS_H_

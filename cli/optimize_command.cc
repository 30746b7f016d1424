// `onnxsmith optimize IN.onnx OUT.onnx`: the pass pipeline on any ONNX model,
// and the optimization flags shared with `convert`.
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/optimize_check.h"
#include "cli/report.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"
#include "optimizer/pass.h"
#include "optimizer/passes.h"
#include "optimizer/registry.h"
#include "tbb/global_control.h"

ABSL_FLAG(std::string, optimize, "2",
          "optimization level: 0-3 or none/basic/extended/all (default 2 = extended)");
ABSL_FLAG(bool, no_optimize, false, "skip the optimizer (same as --optimize=0)");
ABSL_FLAG(std::string, passes, "", "run exactly these passes, in order (comma-separated)");
ABSL_FLAG(std::string, skip, "", "passes to leave out of the level's pipeline");
ABSL_FLAG(bool, list_passes, false, "optimize: list the passes and exit");
ABSL_FLAG(int, threads, 0,
          "worker threads (TBB) for convert and optimize; 0 = all cores");
// `optimize --check` (main.cc maps it here: convert's --check is the ONNX
// checker, on by default).
ABSL_FLAG(bool, optimize_check, false,
          "optimize --check: run the model before and after on random inputs with the "
          "reference evaluator; fail (writing nothing) when an output differs");
ABSL_FLAG(std::string, check_dims, "",
          "optimize --check: sizes of unknown dims: N for all and/or name=N by dim_param "
          "(default 1)");
ABSL_FLAG(int, check_seed, 0, "optimize --check: random seed of the inputs");
ABSL_FLAG(double, check_rtol, 1e-4,
          "optimize --check: allowed error relative to the output's largest magnitude");
ABSL_FLAG(double, check_atol, 1e-6, "optimize --check: allowed absolute error");

namespace onnxsmith::cli {
namespace {

std::vector<std::string> SplitNames(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

}  // namespace

absl::StatusOr<optimizer::OptimizeOptions> OptimizeOptionsFromFlags() {
  optimizer::OptimizeOptions options;
  const std::string level = absl::GetFlag(FLAGS_no_optimize) ? "0" : absl::GetFlag(FLAGS_optimize);
  auto parsed = optimizer::ParseOptLevel(level);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--optimize: ", parsed.status().message()));
  }
  options.level = *parsed;
  options.passes = SplitNames(absl::GetFlag(FLAGS_passes));
  options.skip = SplitNames(absl::GetFlag(FLAGS_skip));
  return options;
}

std::unique_ptr<tbb::global_control> ThreadLimitFromFlags() {
  if (absl::GetFlag(FLAGS_threads) <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               absl::GetFlag(FLAGS_threads));
}

absl::StatusOr<double> OptimizeModel(ir::Model& model, const optimizer::OptimizeOptions& options,
                                     std::string* summary) {
  auto start = std::chrono::steady_clock::now();
  // Bounds every TBB loop the passes run (and the evaluator under constant
  // folding); the commands hold one for their whole run too.
  std::unique_ptr<tbb::global_control> threads = ThreadLimitFromFlags();
  ASSIGN_OR_RETURN(optimizer::PipelineReport report, optimizer::Optimize(model, options));
  *summary = absl::StrCat("\n", optimizer::FormatReport(report));
  return MsSince(start);
}

absl::Status RunOptimize(const std::vector<std::string>& args) {
  if (absl::GetFlag(FLAGS_list_passes)) {
    std::printf("%s", optimizer::PassTableMarkdown().c_str());
    return absl::OkStatus();
  }
  if (args.size() != 2) {
    return absl::InvalidArgumentError("usage: onnxsmith optimize IN.onnx OUT.onnx [--optimize N]");
  }
  ASSIGN_OR_RETURN(optimizer::OptimizeOptions options, OptimizeOptionsFromFlags());
  CheckOptions check;
  const bool numeric_check = absl::GetFlag(FLAGS_optimize_check);
  if (numeric_check) {
    RETURN_IF_ERROR(ParseCheckDims(absl::GetFlag(FLAGS_check_dims), &check));
    check.seed = static_cast<uint32_t>(absl::GetFlag(FLAGS_check_seed));
    check.rtol = absl::GetFlag(FLAGS_check_rtol);
    check.atol = absl::GetFlag(FLAGS_check_atol);
    check.num_threads = std::max(0, absl::GetFlag(FLAGS_threads));
  }
  std::unique_ptr<tbb::global_control> thread_limit = ThreadLimitFromFlags();
  PhaseTimes times;
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto in, ir::ReadModelProto(args[0]));
  auto model = ir::FromModelProto(in);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(args[0], ": ", model.status().message()));
  }
  // Files without value_info (tf2onnx's) would leave shape-dependent passes blind.
  optimizer::InferMissingTypes(model->graph, model->opset());
  times.push_back({"load", MsSince(start)});
  std::string summary;
  ASSIGN_OR_RETURN(double optimize_ms, OptimizeModel(*model, options, &summary));
  times.push_back({"optimize", optimize_ms});
  start = std::chrono::steady_clock::now();
  // The check overlaps the serialization of the weights (see model_writer.h).
  ASSIGN_OR_RETURN(ir::CheckedModel out, ir::ToCheckedModel(*model, /*check=*/true, ""));
  const ir::ValidationReport& validation = out.validation;
  times.push_back({"check", MsSince(start)});
  std::string check_text;
  if (numeric_check) {
    start = std::chrono::steady_clock::now();
    // The original, imported again from the proto (the IR is not copyable).
    ASSIGN_OR_RETURN(ir::Model original, ir::FromModelProto(in));
    ASSIGN_OR_RETURN(check_text, CheckOptimized(original, *model, check));
    check_text = absl::StrCat("--check: outputs match on random inputs (seed ", check.seed, ")\n",
                              check_text);
    times.push_back({"compare", MsSince(start)});
  }
  start = std::chrono::steady_clock::now();
  {
    progress::Phase writing(absl::StrCat("writing ", args[1]));  // shown when it takes seconds (1 GB+)
    RETURN_IF_ERROR(ir::WriteCheckedModel(out, args[1]));
  }
  times.push_back({"write", MsSince(start)});
  std::printf("onnxsmith optimize: %s -> %s%s", args[0].c_str(), args[1].c_str(),
              summary.c_str());
  std::printf("%s", check_text.c_str());
  PrintValidationAndTimes(validation, times);
  return absl::OkStatus();
}

}  // namespace onnxsmith::cli

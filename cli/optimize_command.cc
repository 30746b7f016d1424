// `onnxsmith optimize IN.onnx OUT.onnx`: the pass pipeline on any ONNX model,
// and the optimization flags shared with `convert`.
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/external_data_flags.h"
#include "cli/optimize_check.h"
#include "cli/report.h"
#include "cli/target_flags.h"
#include "common/file_util.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "ir/external_data.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"
#include "optimizer/pass.h"
#include "optimizer/passes.h"
#include "optimizer/registry.h"
#include "tbb/global_control.h"

namespace onnxsmith::cli {

std::vector<std::string> SplitCommaLists(const std::vector<std::string>& occurrences) {
  std::vector<std::string> items;
  for (const std::string& text : occurrences) {
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      items.emplace_back(item);
    }
  }
  return items;
}

void AddPipelineFlags(CLI::App* app, PipelineFlags* flags) {
  app->add_option(FlagNames("optimize"), flags->optimize,
                  "optimization level: 0-3 or none/basic/extended/all (default 2 = extended)");
  app->add_flag(FlagNames("no-optimize"), flags->no_optimize,
                "skip the optimizer (same as --optimize=0)");
  AddRepeated(app, "passes", &flags->passes,
              "run exactly these passes, in order (comma-separated)");
  AddRepeated(app, "skip", &flags->skip, "passes to leave out of the level's pipeline");
  app->add_option(FlagNames("threads"), flags->threads,
                  "worker threads (TBB) for convert and optimize; 0 = all cores");
  app->add_flag(FlagNames("verify"), flags->verify,
                "check the graph's invariants (ir::Verify) before and after every pass, "
                "naming the pass that breaks one");
}

absl::StatusOr<optimizer::OptimizeOptions> ToOptimizeOptions(const PipelineFlags& flags) {
  optimizer::OptimizeOptions options;
  auto parsed = optimizer::ParseOptLevel(flags.no_optimize ? "0" : flags.optimize);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--optimize: ", parsed.status().message()));
  }
  options.level = *parsed;
  options.passes = SplitCommaLists(flags.passes);
  options.skip = SplitCommaLists(flags.skip);
  options.verify_each_pass = flags.verify;
  return options;
}

std::unique_ptr<tbb::global_control> ThreadLimit(int threads) {
  if (threads <= 0) return nullptr;
  return std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                               threads);
}

absl::StatusOr<double> OptimizeModel(ir::Model& model, const optimizer::OptimizeOptions& options,
                                     int threads, optimizer::PipelineReport* report) {
  auto start = std::chrono::steady_clock::now();
  // Bounds every TBB loop the passes run (and the evaluator under constant
  // folding); the commands hold one for their whole run too.
  std::unique_ptr<tbb::global_control> thread_limit = ThreadLimit(threads);
  ASSIGN_OR_RETURN(*report, optimizer::Optimize(model, options));
  return MsSince(start);
}

CLI::App* AddOptimizeCommand(CLI::App& app, OptimizeOptions* o) {
  CLI::App* sub = app.add_subcommand("optimize", "run the optimizer's passes on an ONNX model");
  sub->add_option("files", o->files, "IN.onnx OUT.onnx");
  sub->add_flag(FlagNames("list-passes"), o->list_passes, "list the passes and exit");
  // Not convert's --check (the ONNX checker, which optimize always runs).
  sub->add_flag("--check,!--nocheck", o->check,
                "run the model before and after on random inputs with the reference "
                "evaluator; fail (writing nothing) when an output differs");
  sub->add_option(FlagNames("check-dims"), o->check_dims,
                  "--check: sizes of unknown dims: N for all and/or name=N by dim_param "
                  "(default 1)");
  sub->add_option(FlagNames("check-seed"), o->check_seed, "--check: random seed of the inputs");
  sub->add_option(FlagNames("check-rtol"), o->check_rtol,
                  "--check: allowed error relative to the output's largest magnitude")
      ->capture_default_str();
  sub->add_option(FlagNames("check-atol"), o->check_atol, "--check: allowed absolute error")
      ->capture_default_str();
  AddPipelineFlags(sub, &o->pipeline);
  AddTargetFlags(sub, &o->target, /*with_report=*/true);
  AddPrecisionFlags(sub, &o->precision, /*data_flags=*/true);
  AddExternalDataFlags(sub, &o->external_data);
  return sub;
}

absl::Status CheckOptimizeUsage(const OptimizeOptions& o) {
  if (!o.list_passes && o.files.size() != 2) {
    return absl::InvalidArgumentError("give IN.onnx OUT.onnx (or --list-passes)");
  }
  ASSIGN_OR_RETURN(const auto fp16, CheckPrecisionFlags(o.precision));
  if (!o.target.report_path.empty() && o.target.target.empty() && !fp16) {
    return absl::InvalidArgumentError("--report needs --target or --precision fp16");
  }
  if (!fp16 && !o.precision.calibration.empty()) {
    return absl::InvalidArgumentError("--calibration needs --precision fp16");
  }
  if (fp16 && o.check) {
    return absl::InvalidArgumentError(
        "--check compares outputs to 1e-4; with --precision fp16 the float16 check runs instead "
        "(SQNR and max error, --fp16-check-samples)");
  }
  return LoadTarget(o.target).status();
}

absl::Status RunOptimize(const OptimizeOptions& o) {
  if (o.list_passes) {
    std::printf("%s", optimizer::PassTableMarkdown().c_str());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(OptimizeSummary summary, OptimizeFile(o));
  PrintOptimizeReport(summary);
  if (!o.target.report_path.empty() && !o.target.target.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(o.target.report_path, OptimizeSummaryJson(summary) + "\n"));
  }
  return absl::OkStatus();
}

absl::StatusOr<OptimizeSummary> OptimizeFile(const OptimizeOptions& o) {
  RETURN_IF_ERROR(CheckOptimizeUsage(o));
  if (o.list_passes) return absl::InvalidArgumentError("--list-passes: nothing to optimize");
  const std::vector<std::string>& args = o.files;
  ASSIGN_OR_RETURN(optimizer::OptimizeOptions options, ToOptimizeOptions(o.pipeline));
  CheckOptions check;
  const bool numeric_check = o.check;
  if (numeric_check) {
    RETURN_IF_ERROR(ParseCheckDims(o.check_dims, &check));
    check.seed = static_cast<uint32_t>(o.check_seed);
    check.rtol = o.check_rtol;
    check.atol = o.check_atol;
    check.num_threads = std::max(0, o.pipeline.threads);
  }
  std::unique_ptr<tbb::global_control> thread_limit = ThreadLimit(o.pipeline.threads);
  PhaseTimes times;
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto in, ir::ReadModelProto(args[0]));
  auto model = ir::FromModelProto(in, ir::ModelDirectory(args[0]));
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(args[0], ": ", model.status().message()));
  }
  // Files without value_info (tf2onnx's) would leave shape-dependent passes blind.
  optimizer::InferMissingTypes(model->graph, model->opset());
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(o.target));
  if (profile) RETURN_IF_ERROR(CheckModelOpset(*profile, *model, args[0]));
  ASSIGN_OR_RETURN(std::vector<std::string> target_notes, ApplyShapeFlags(o.target, *model));
  times.push_back({"load", MsSince(start)});
  OptimizeSummary summary;
  summary.input = args[0];
  summary.output = args[1];
  ASSIGN_OR_RETURN(double optimize_ms,
                   OptimizeModel(*model, options, o.pipeline.threads, &summary.optimizer));
  times.push_back({"optimize", optimize_ms});
  ASSIGN_OR_RETURN(const auto fp16, CheckPrecisionFlags(o.precision));
  std::optional<PrecisionResult> fp16_result;
  if (fp16) {
    start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(fp16_result, ApplyPrecision(*model, *fp16, o.precision, o.precision.calibration,
                                                 o.pipeline.threads));
    times.push_back({"fp16", MsSince(start)});
  }
  if (profile) {  // the model as written: after fp16 (its Casts too)
    summary.target = CheckTarget(*profile, *model, nullptr, std::move(target_notes));
    RETURN_IF_ERROR(targets::ComplianceStatus(*summary.target, o.target.allow_fallback));
  }
  start = std::chrono::steady_clock::now();
  // The check overlaps the serialization of the weights (see model_writer.h).
  ASSIGN_OR_RETURN(ir::CheckedModel out, ir::ToCheckedModel(*model, /*check=*/true, "", args[1], o.external_data));
  const ir::ValidationReport& validation = out.validation;
  times.push_back({"check", MsSince(start)});
  std::string& check_text = summary.check_text;
  if (numeric_check) {
    start = std::chrono::steady_clock::now();
    // The original, imported again from the proto (the IR is not copyable).
    ASSIGN_OR_RETURN(ir::Model original, ir::FromModelProto(in, ir::ModelDirectory(args[0])));
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
  if (fp16_result) {
    std::error_code ec;
    const auto before = std::filesystem::file_size(args[0], ec);
    const auto after = std::filesystem::file_size(args[1], ec);
    summary.precision_json = optimizer::precision::Float16ReportJson(
        fp16_result->report, fp16_result->check, static_cast<int64_t>(before), static_cast<int64_t>(after));
    ASSIGN_OR_RETURN(std::string text,
                     // With --target, --report holds the optimize summary with both the
                     // compliance table and this (RunOptimize).
                     FinishPrecisionReport(*fp16_result, profile ? "" : o.target.report_path,
                                           static_cast<int64_t>(before), static_cast<int64_t>(after)));
    check_text += text;
  }
  summary.validation = validation;
  summary.times = std::move(times);
  return summary;
}

}  // namespace onnxsmith::cli

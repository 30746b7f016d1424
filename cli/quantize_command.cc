#include "cli/quantize_command.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "cli/external_data_flags.h"
#include "cli/report.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "ir/external_data.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"
#include "optimizer/passes.h"
#include "quantize/calibration_data.h"
#include "quantize/fallback.h"
#include "tbb/global_control.h"


namespace onnxsmith::cli {
namespace {

std::set<std::string> NameSet(const std::vector<std::string>& lists) {
  std::set<std::string> names;
  for (const std::string& list : lists) {
    for (absl::string_view n : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
      names.insert(std::string(n));
    }
  }
  return names;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(n);
}

int64_t PeakRssBytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
}

}  // namespace

void AddQuantizeFlags(CLI::App* sub, QuantizeFlags* f) {
  sub->add_option(FlagNames("calibration"), f->calibration,
                  "calibration samples: .npz keyed by input name (samples on axis 0), a .npy, "
                  "or a directory of them");
  sub->add_option(FlagNames("mode"), f->mode, "static (calibrated) or dynamic");
  sub->add_option(FlagNames("method"), f->method, "calibration: minmax|percentile|entropy");
  sub->add_option(FlagNames("percentile"), f->percentile, "--method percentile: the percentile kept");
  sub->add_option(FlagNames("activations"), f->activations,
                  "activation type uint8|int8 (default uint8), or uint16|int16 (opset 21)");
  const struct {
    const char* name;
    bool* value;
    const char* help;
  } scheme_flags[] = {
      {"per-tensor", &f->per_tensor, "one scale per weight tensor"},
      {"symmetric-activations", &f->symmetric_activations, "symmetric activation ranges"},
      {"reduce-range", &f->reduce_range,
       "7-bit weights, for x86 CPUs without VNNI whose int8 kernels saturate "
       "(default: 7-bit exactly when this CPU lacks VNNI)"},
      {"full-range", &f->full_range, "8-bit weights even on a CPU without VNNI"},
  };
  for (const auto& flag : scheme_flags) sub->add_flag(FlagNames(flag.name), *flag.value, flag.help);
  AddRepeated(sub, "exclude-nodes", &f->exclude_nodes, "node names to keep float");
  AddRepeated(sub, "exclude-op-types", &f->exclude_op_types, "op types to keep float");
  sub->add_option(FlagNames("format"), f->format,
                  "qdq (QuantizeLinear/DequantizeLinear pairs) or qoperator (QLinearConv/"
                  "QLinearMatMul, for runtimes that do not fuse QDQ)");
  sub->add_option(FlagNames("report"), f->report_path, "write the quantization report as JSON to FILE");
  sub->add_option(FlagNames("eval-samples"), f->eval_samples,
                  "samples held out of calibration to measure SQNR (-1: a fifth, at most 256)");
  const struct {
    const char* name;
    double* value;
    const char* help;
  } goals[] = {
      {"max-sqnr-drop", &f->max_sqnr_drop,
       "accuracy fallback: move the most sensitive nodes back to float until every output's SQNR "
       "is within DB of that output rounded to 8 bits (held-out samples)"},
      {"min-sqnr", &f->min_sqnr, "accuracy fallback: ... until every output's SQNR against fp32 is >= DB"},
      {"min-agreement", &f->min_agreement,
       "accuracy fallback: ... until top-1 agreement with fp32 is >= P percent"},
  };
  for (const auto& goal : goals) sub->add_option(FlagNames(goal.name), *goal.value, goal.help);
  sub->add_option(FlagNames("max-float-nodes"), f->max_float_nodes,
                  "accuracy fallback: nodes it may move to float (-1: a quarter of the quantized compute "
                  "nodes); past it the best model is written and the exit status is non-zero");
}

CLI::App* AddQuantizeCommand(CLI::App& app, QuantizeCommandOptions* o) {
  CLI::App* sub = app.add_subcommand("quantize", "INT8 quantization of an ONNX model (QDQ)");
  sub->add_option("input", o->input, "IN.onnx (fp32)")->required();
  sub->add_option("output", o->output, "OUT.onnx")->required();
  AddQuantizeFlags(sub, &o->flags);
  AddTargetFlags(sub, &o->target, /*with_report=*/false);
  sub->add_option(FlagNames("threads"), o->threads, "worker threads (TBB); 0 = all cores");
  AddExternalDataFlags(sub, &o->external_data);
  return sub;
}

absl::StatusOr<quantize::QuantizeOptions> CheckQuantizeFlags(const QuantizeFlags& f) {
  quantize::QuantizeOptions q;
  ASSIGN_OR_RETURN(q.mode, quantize::ParseMode(f.mode));
  ASSIGN_OR_RETURN(q.method, quantize::ParseMethod(f.method));
  ASSIGN_OR_RETURN(q.format, quantize::ParseFormat(f.format));
  q.percentile = f.percentile;
  q.per_channel = !f.per_tensor;
  const std::string act = f.activations.empty() ? "uint8" : f.activations;
  if (act != "uint8" && act != "int8" && act != "uint16" && act != "int16") {
    return absl::InvalidArgumentError(
        absl::StrCat("--activations: '", act, "' is not uint8, int8, uint16 or int16"));
  }
  q.int8_activations = act == "int8" || act == "int16";
  q.activation_bits = act == "uint16" || act == "int16" ? 16 : 8;
  q.symmetric_activations = f.symmetric_activations;
  if (f.reduce_range && f.full_range) {
    return absl::InvalidArgumentError("--reduce-range and --full-range exclude each other");
  }
  // Unless forced either way, fit the CPU this runs on (usually the
  // deployment CPU).
  q.reduce_range = f.reduce_range || (!f.full_range && !quantize::CpuHasVnni());
  q.exclude_nodes = NameSet(f.exclude_nodes);
  q.exclude_op_types = NameSet(f.exclude_op_types);
  q.eval_samples = f.eval_samples;
  q.max_sqnr_drop = f.max_sqnr_drop;
  q.min_sqnr = f.min_sqnr;
  q.min_agreement = f.min_agreement;
  q.max_float_nodes = f.max_float_nodes;
  if (quantize::FallbackRequested(q)) RETURN_IF_ERROR(quantize::CheckFallbackOptions(q));
  if (q.mode == quantize::Mode::kStatic && f.calibration.empty()) {
    return absl::InvalidArgumentError(
        "static quantization needs --calibration DATA (.npz keyed by input name), or use --mode dynamic");
  }
  return q;
}

absl::Status CheckQuantizeUsage(const QuantizeCommandOptions& options) {
  ASSIGN_OR_RETURN(quantize::QuantizeOptions q, CheckQuantizeFlags(options.flags));
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(options.target));
  if (profile) RETURN_IF_ERROR(ApplyProfile(*profile, options.flags, &q));
  return absl::OkStatus();
}

absl::StatusOr<quantize::QuantizeReport> QuantizeModel(ir::Model& model, const QuantizeFlags& f,
                                                       const targets::Profile* profile) {
  ASSIGN_OR_RETURN(quantize::QuantizeOptions qopts, CheckQuantizeFlags(f));
  if (profile != nullptr) RETURN_IF_ERROR(ApplyProfile(*profile, f, &qopts));
  // Files without value_info: the scheme checks activation types.
  optimizer::InferMissingTypes(model.graph, model.opset());
  std::unique_ptr<quantize::CalibrationSource> data;
  if (!f.calibration.empty()) {
    std::vector<ir::ValueInfo> inputs;
    for (const ir::ValueInfo& v : model.graph.inputs) {
      if (!model.graph.IsInitializer(v.name)) inputs.push_back(v);
    }
    ASSIGN_OR_RETURN(data, quantize::OpenCalibrationData(f.calibration, inputs));
  }
  return quantize::Quantize(model, qopts, data.get());
}

absl::Status FinishQuantizeReport(const QuantizeFlags& f, const quantize::QuantizeReport& report,
                                  int64_t before, int64_t after, const targets::ComplianceReport* target) {
  std::printf("%s", quantize::FormatReport(report).c_str());
  if (before > 0) {
    std::printf("  file %s -> %s (%.3fx), peak memory %s\n", FormatBytes(before).c_str(),
                FormatBytes(after).c_str(), static_cast<double>(after) / before,
                FormatBytes(PeakRssBytes()).c_str());
  } else {
    std::printf("  file %s, peak memory %s\n", FormatBytes(after).c_str(), FormatBytes(PeakRssBytes()).c_str());
  }
  if (f.report_path.empty()) return absl::OkStatus();
  std::vector<std::string> extra = {absl::StrCat("\"file_bytes_after\": ", after),
                                    absl::StrCat("\"peak_rss_bytes\": ", PeakRssBytes())};
  if (before > 0) extra.insert(extra.begin(), absl::StrCat("\"file_bytes_before\": ", before));
  if (target != nullptr) extra.push_back(absl::StrCat("\"target\": ", targets::ComplianceJson(*target).dump(
                                               -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)));
  return WriteFileAtomically(f.report_path, quantize::ReportJson(report, extra));
}

absl::Status FallbackOutcome(const quantize::QuantizeReport& report) {
  if (!report.fallback.requested || report.fallback.goal_met) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(report.fallback.message, " (model and report written)"));
}

absl::Status RunQuantize(const QuantizeCommandOptions& options) {
  ASSIGN_OR_RETURN(QuantizeSummary summary, QuantizeFile(options));
  PrintQuantizeReport(summary);
  if (!options.flags.report_path.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(options.flags.report_path, QuantizeSummaryJson(summary) + "\n"));
  }
  return FallbackOutcome(summary.report);
}

absl::StatusOr<QuantizeSummary> QuantizeFile(const QuantizeCommandOptions& options) {
  RETURN_IF_ERROR(CheckQuantizeUsage(options));
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(options.target));
  std::unique_ptr<tbb::global_control> threads;
  if (options.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    options.threads);
  }
  PhaseTimes times;
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto in, ir::ReadModelProto(options.input));
  auto model = ir::FromModelProto(in, ir::ModelDirectory(options.input));
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(options.input, ": ", model.status().message()));
  }
  in.Clear();
  if (profile) RETURN_IF_ERROR(CheckModelOpset(*profile, *model, options.input));
  ASSIGN_OR_RETURN(std::vector<std::string> notes, ApplyShapeFlags(options.target, *model));
  times.push_back({"load", MsSince(start)});
  start = std::chrono::steady_clock::now();
  QuantizeSummary summary;
  summary.input = options.input;
  summary.output = options.output;
  ASSIGN_OR_RETURN(summary.report, QuantizeModel(*model, options.flags, profile ? &*profile : nullptr));
  times.push_back({"quantize", MsSince(start)});
  if (profile) {
    summary.target = CheckTarget(*profile, *model, &summary.report, std::move(notes));
    RETURN_IF_ERROR(targets::ComplianceStatus(*summary.target, options.target.allow_fallback));
  }
  start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(ir::CheckedModel out, ir::ToCheckedModel(*model, /*check=*/true, "", options.output,
                                                        options.external_data));
  times.push_back({"check", MsSince(start)});
  start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(ir::WriteCheckedModel(out, options.output));
  times.push_back({"write", MsSince(start)});
  summary.file_bytes_before = FileSize(options.input);
  summary.file_bytes_after = FileSize(options.output);
  summary.peak_rss_bytes = PeakRssBytes();
  summary.validation = out.validation;
  summary.times = std::move(times);
  return summary;
}

}  // namespace onnxsmith::cli

#include "cli/quantize_command.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/report.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"
#include "optimizer/passes.h"
#include "quantize/calibration_data.h"
#include "tbb/global_control.h"

ABSL_FLAG(std::string, calibration, "",
          "quantize: calibration samples (.npz keyed by input name, samples on axis 0; a .npy; "
          "or a directory of them)");
ABSL_FLAG(std::string, mode, "static", "quantize: static (QDQ, calibrated) or dynamic");
ABSL_FLAG(std::string, method, "minmax", "quantize: calibration method minmax|percentile|entropy");
ABSL_FLAG(double, percentile, 99.999, "quantize --method percentile: the percentile kept");
ABSL_FLAG(bool, per_tensor, false, "quantize: one scale per weight tensor (default per channel)");
ABSL_FLAG(std::string, activations, "uint8", "quantize: activation type uint8|int8");
ABSL_FLAG(bool, symmetric_activations, false, "quantize: symmetric activation ranges");
ABSL_FLAG(bool, reduce_range, false,
          "quantize: 7-bit weights, for x86 CPUs without VNNI whose int8 kernels saturate "
          "(default: 7-bit exactly when this CPU lacks VNNI)");
ABSL_FLAG(bool, full_range, false, "quantize: 8-bit weights even on a CPU without VNNI");
ABSL_FLAG(std::string, exclude_nodes, "", "quantize: node names to keep float (comma-separated)");
ABSL_FLAG(std::string, exclude_op_types, "", "quantize: op types to keep float (comma-separated)");
ABSL_FLAG(std::string, format, "qdq", "quantize: qdq (QuantizeLinear/DequantizeLinear pairs)");
ABSL_FLAG(std::string, report, "", "quantize: write the report as JSON to this file");
ABSL_FLAG(int64_t, eval_samples, -1,
          "quantize: samples held out of calibration to measure SQNR (-1: a fifth, at most 256)");
ABSL_DECLARE_FLAG(int, threads);

namespace onnxsmith::cli {
namespace {

std::set<std::string> NameSet(const std::string& text) {
  std::vector<std::string> v = absl::StrSplit(text, ',', absl::SkipWhitespace());
  return std::set<std::string>(v.begin(), v.end());
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

absl::StatusOr<QuantizeCommandOptions> QuantizeCommandOptionsFromFlags(
    const std::vector<std::string>& args) {
  if (args.size() != 2) {
    return absl::InvalidArgumentError(
        "usage: onnxsmith quantize IN.onnx OUT.onnx --calibration DATA.npz [--mode static|dynamic] "
        "[--method minmax|percentile|entropy] ...");
  }
  QuantizeCommandOptions o;
  o.input = args[0];
  o.output = args[1];
  o.calibration = absl::GetFlag(FLAGS_calibration);
  o.report_path = absl::GetFlag(FLAGS_report);
  o.threads = absl::GetFlag(FLAGS_threads);
  quantize::QuantizeOptions& q = o.quantize;
  ASSIGN_OR_RETURN(q.mode, quantize::ParseMode(absl::GetFlag(FLAGS_mode)));
  ASSIGN_OR_RETURN(q.method, quantize::ParseMethod(absl::GetFlag(FLAGS_method)));
  ASSIGN_OR_RETURN(q.format, quantize::ParseFormat(absl::GetFlag(FLAGS_format)));
  q.percentile = absl::GetFlag(FLAGS_percentile);
  q.per_channel = !absl::GetFlag(FLAGS_per_tensor);
  const std::string act = absl::GetFlag(FLAGS_activations);
  if (act != "uint8" && act != "int8") {
    return absl::InvalidArgumentError(absl::StrCat("--activations: '", act, "' is not uint8 or int8"));
  }
  q.int8_activations = act == "int8";
  q.symmetric_activations = absl::GetFlag(FLAGS_symmetric_activations);
  // Unless forced either way, fit the CPU this runs on (usually the
  // deployment CPU).
  if (absl::GetFlag(FLAGS_reduce_range) && absl::GetFlag(FLAGS_full_range)) {
    return absl::InvalidArgumentError("--reduce-range and --full-range exclude each other");
  }
  q.reduce_range = absl::GetFlag(FLAGS_reduce_range) ||
                   (!absl::GetFlag(FLAGS_full_range) && !quantize::CpuHasVnni());
  q.exclude_nodes = NameSet(absl::GetFlag(FLAGS_exclude_nodes));
  q.exclude_op_types = NameSet(absl::GetFlag(FLAGS_exclude_op_types));
  q.eval_samples = absl::GetFlag(FLAGS_eval_samples);
  return o;
}

absl::Status RunQuantize(const QuantizeCommandOptions& options) {
  if (options.quantize.mode == quantize::Mode::kStatic && options.calibration.empty()) {
    return absl::InvalidArgumentError(
        "static quantization needs --calibration DATA (.npz keyed by input name), or use --mode dynamic");
  }
  std::unique_ptr<tbb::global_control> threads;
  if (options.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    options.threads);
  }
  PhaseTimes times;
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto in, ir::ReadModelProto(options.input));
  auto model = ir::FromModelProto(in);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(options.input, ": ", model.status().message()));
  }
  in.Clear();
  // Files without value_info: the scheme checks activation types.
  optimizer::InferMissingTypes(model->graph, model->opset());
  std::unique_ptr<quantize::CalibrationSource> data;
  if (!options.calibration.empty()) {
    std::vector<ir::ValueInfo> inputs;
    for (const ir::ValueInfo& v : model->graph.inputs) {
      if (!model->graph.IsInitializer(v.name)) inputs.push_back(v);
    }
    ASSIGN_OR_RETURN(data, quantize::OpenCalibrationData(options.calibration, inputs));
  }
  times.push_back({"load", MsSince(start)});
  start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(quantize::QuantizeReport report,
                   quantize::Quantize(*model, options.quantize, data.get()));
  times.push_back({"quantize", MsSince(start)});
  start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(ir::CheckedModel out, ir::ToCheckedModel(*model, /*check=*/true, ""));
  times.push_back({"check", MsSince(start)});
  start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(ir::WriteCheckedModel(out, options.output));
  times.push_back({"write", MsSince(start)});
  const int64_t before = FileSize(options.input), after = FileSize(options.output);
  std::printf("onnxsmith quantize: %s -> %s\n%s", options.input.c_str(), options.output.c_str(),
              quantize::FormatReport(report).c_str());
  std::printf("  file %s -> %s (%.3fx), peak memory %s\n", FormatBytes(before).c_str(),
              FormatBytes(after).c_str(), before > 0 ? static_cast<double>(after) / before : 0.0,
              FormatBytes(PeakRssBytes()).c_str());
  PrintValidationAndTimes(out.validation, times);
  if (!options.report_path.empty()) {
    const std::vector<std::string> extra = {
        absl::StrCat("\"file_bytes_before\": ", before),
        absl::StrCat("\"file_bytes_after\": ", after),
        absl::StrCat("\"peak_rss_bytes\": ", PeakRssBytes()),
    };
    RETURN_IF_ERROR(WriteFileAtomically(options.report_path, quantize::ReportJson(report, extra)));
  }
  return absl::OkStatus();
}

}  // namespace onnxsmith::cli

#include "cli/precision_flags.h"

#include <memory>
#include <random>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/optimize_check.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "quantize/calibration_data.h"

namespace onnxsmith::cli {
namespace {

namespace precision = optimizer::precision;

std::vector<ir::ValueInfo> RequiredInputs(const ir::Model& m) {
  std::vector<ir::ValueInfo> inputs;
  for (const ir::ValueInfo& v : m.graph.inputs) {
    if (!m.graph.IsInitializer(v.name)) inputs.push_back(v);
  }
  return inputs;
}

}  // namespace

void AddPrecisionFlags(CLI::App* sub, PrecisionFlags* f, bool data_flags) {
  sub->add_option(FlagNames("precision"), f->precision,
                  "fp16: float32 weights and compute to float16 (ops that overflow or lose "
                  "accuracy stay float32); fp32 (default): unchanged");
  AddRepeated(sub, "keep-fp32-ops", &f->keep_fp32_ops,
              "--precision fp16: op types kept float32 besides the defaults (Softmax, Exp, "
              "LayerNormalization, Range, Resize, ...); -Op drops a default, none drops all");
  sub->add_flag(FlagNames("fp16-io"), f->fp16_io,
                "--precision fp16: float16 model inputs and outputs too (default: float32)");
  sub->add_option(FlagNames("fp16-check-samples"), f->check_samples,
                  "--precision fp16: samples of the float16-vs-float32 check (0: none)")
      ->capture_default_str();
  if (data_flags) {
    sub->add_option(FlagNames("calibration"), f->calibration,
                    "--precision fp16: inputs of the numeric check (.npz keyed by input name, "
                    "samples on axis 0; default: random)");
  }
}

absl::StatusOr<std::optional<precision::Float16Options>> CheckPrecisionFlags(const PrecisionFlags& f) {
  if (f.precision != "fp32" && f.precision != "fp16") {
    return absl::InvalidArgumentError(
        absl::StrCat("--precision: '", f.precision, "' is not fp32 or fp16"));
  }
  if (f.precision == "fp32") {
    if (f.fp16_io || !f.keep_fp32_ops.empty()) {
      return absl::InvalidArgumentError("--fp16-io and --keep-fp32-ops need --precision fp16");
    }
    return std::nullopt;
  }
  if (f.check_samples < 0) {
    return absl::InvalidArgumentError("--fp16-check-samples: must be >= 0");
  }
  precision::Float16Options options;
  ASSIGN_OR_RETURN(options.keep_fp32_ops, precision::ParseKeepFp32Ops(SplitCommaLists(f.keep_fp32_ops)));
  options.fp16_io = f.fp16_io;
  return options;
}

absl::StatusOr<PrecisionResult> ApplyPrecision(ir::Model& model,
                                               const precision::Float16Options& options,
                                               const PrecisionFlags& f, const std::string& calibration,
                                               int threads) {
  std::optional<ir::Model> fp32;
  if (f.check_samples > 0) fp32 = model.Clone();
  PrecisionResult result;
  ASSIGN_OR_RETURN(result.report, precision::ConvertToFloat16(model, options));
  if (!fp32) {
    result.check.inputs = "no samples (--fp16-check-samples 0)";
    return result;
  }
  std::unique_ptr<quantize::CalibrationSource> data;
  if (!calibration.empty()) {
    ASSIGN_OR_RETURN(data, quantize::OpenCalibrationData(calibration, RequiredInputs(*fp32)));
    result.check.inputs = calibration;
  } else {
    CheckOptions random;
    std::mt19937 rng(random.seed);
    std::vector<quantize::Sample> samples(f.check_samples);
    for (int64_t i = 0; i < f.check_samples; ++i) {
      samples[i].index = i;
      for (const ir::ValueInfo& v : RequiredInputs(*fp32)) {
        ASSIGN_OR_RETURN(samples[i].feeds[v.name], RandomInput(v, random, rng));
      }
    }
    data = quantize::MakeSampleList(std::move(samples));
    result.check.inputs = absl::StrCat("random inputs in [-1, 1) (seed ", random.seed, ")");
  }
  ASSIGN_OR_RETURN(precision::Float16Check check,
                   precision::CheckFloat16(*fp32, model, *data, f.check_samples, threads));
  check.inputs = absl::StrCat(check.samples, " samples of ", result.check.inputs);
  result.check = std::move(check);
  return result;
}

absl::StatusOr<std::string> FinishPrecisionReport(const PrecisionResult& result,
                                                  const std::string& report_path,
                                                  int64_t file_bytes_before, int64_t file_bytes_after) {
  std::string text = precision::FormatFloat16Report(result.report);
  if (result.check.samples > 0) text += precision::FormatFloat16Check(result.check);
  if (!report_path.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(
        report_path, precision::Float16ReportJson(result.report, result.check, file_bytes_before,
                                                  file_bytes_after)));
  }
  return text;
}

}  // namespace onnxsmith::cli

// `onnxsmith convert`: load a TF model, convert it, validate it, write it
// atomically, and print a short report.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/external_data_flags.h"
#include "cli/quantize_command.h"
#include "cli/report.h"
#include "common/file_util.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "converter/handlers/registry.h"
#include "converter/io_spec.h"
#include "converter/tf/dtype.h"
#include "converter/tf/graphdef_reader.h"
#include "converter/tf/tensor_convert.h"
#include "converter/saved_model/saved_model_loader.h"
#include "converter/keras/keras_converter.h"
#include "converter/tf_converter.h"
#include "ir/model_io.h"
#include "ir/model_writer.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::cli {
namespace {

using Clock = std::chrono::steady_clock;

absl::StatusOr<std::map<std::string, std::string>> ParseCustomOps(const std::string& text) {
  std::map<std::string, std::string> ops;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat("--custom-ops: bad entry '", item, "', expected Op or Op:domain"));
    }
    ops[parts[0]] = parts.size() == 2 ? parts[1] : converter::kDefaultCustomDomain;
  }
  return ops;
}

// Occurrences of a tensor-list flag as one list (commas inside [..] kept).
std::string JoinOccurrences(const std::vector<std::string>& occurrences) {
  return absl::StrJoin(occurrences, ",");
}

// A frozen GraphDef's weights moved (not copied) out of its top-level Consts
// of 64 KiB or more into the side table the converter reads, as a
// SavedModel's variables are: the converted model then shares those buffers
// instead of copying every tensor_content into a new tensor. A value that
// does not match its dtype and shape stays in its node, for the converter to
// report. Null when nothing moved.
std::shared_ptr<converter::ConstValues> MoveConstValuesOut(tf::GraphDef* graph) {
  constexpr int64_t kMinBytes = int64_t{64} << 10;
  auto values = std::make_shared<converter::ConstValues>();
  for (tf::NodeDef& node : *graph->mutable_node()) {
    if (node.op() != "Const") continue;
    auto it = node.mutable_attr()->find("value");
    if (it == node.mutable_attr()->end() || !it->second.has_tensor()) continue;
    tf::TensorProto* proto = it->second.mutable_tensor();
    if (static_cast<int64_t>(proto->tensor_content().size()) < kMinBytes) continue;
    auto dtype = converter::ToOnnxType(proto->dtype());
    if (!dtype.ok() || ir::ElementSize(*dtype) == 0) continue;
    std::optional<std::vector<int64_t>> dims = converter::ToDims(proto->tensor_shape());
    if (!dims) continue;
    // Checked as ToIrTensor checks (it reports what fails here).
    if (!converter::CheckTfRank(static_cast<int>(dims->size()), "constant").ok()) continue;
    const int64_t size = static_cast<int64_t>(proto->tensor_content().size());
    int64_t bytes = ir::ElementSize(*dtype);
    for (int64_t d : *dims) bytes = d < 0 || bytes < 0 || (d > 0 && bytes > size / d) ? -1 : bytes * d;
    if (bytes != size) continue;
    auto tensor = ir::Tensor::FromRaw(*dtype, *std::move(dims),
                                      std::move(*proto->mutable_tensor_content()));
    proto->clear_tensor_content();
    if (!tensor.ok()) continue;  // not reached: the size was checked
    (*node.mutable_attr())[converter::kConstValueAttr].set_b(true);
    (*values)[node.name()] = *std::move(tensor);
  }
  if (values->empty()) return nullptr;
  return values;
}

}  // namespace

CLI::App* AddConvertCommand(CLI::App& app, ConvertOptions* o) {
  CLI::App* sub = app.add_subcommand(
      "convert", "convert a TF GraphDef, SavedModel or Keras model to ONNX");
  sub->add_option(FlagNames("graphdef"), o->graphdef,
                  "frozen TF GraphDef (.pb binary or .pbtxt text)");
  sub->add_option(FlagNames("saved-model"), o->saved_model, "TF SavedModel directory");
  sub->add_option(FlagNames("keras"), o->keras, "Keras model (.h5 or .keras)");
  sub->add_option(FlagNames("output"), o->output, "ONNX file to write");
  sub->add_option(FlagNames("opset"), o->opset, "ai.onnx opset to emit (13..21)")
      ->each([o](const std::string&) { o->opset_given = true; })
      ->capture_default_str();
  AddRepeated(sub, "inputs", &o->inputs,
              "input tensors, e.g. x:0 or x:0[1,224,224,3] (default: the graph's placeholders)");
  AddRepeated(sub, "outputs", &o->outputs,
              "output tensors, e.g. y:0 (default: the graph's sinks)");
  AddRepeated(sub, "inputs-as-nchw", &o->inputs_as_nchw,
              "inputs to expose as NCHW (TF side is NHWC)");
  AddRepeated(sub, "outputs-as-nchw", &o->outputs_as_nchw,
              "outputs to expose as NCHW (TF side is NHWC)");
  AddRepeated(sub, "custom-ops", &o->custom_ops,
              "TF ops to pass through unconverted: Op[:domain],... (default domain "
              "ai.onnx.converters.tensorflow)");
  sub->add_option(FlagNames("tag"), o->tag,
                  "SavedModel: the MetaGraph's tag set (comma-separated)")
      ->capture_default_str();
  sub->add_option(FlagNames("signature-def"), o->signature_def,
                  "SavedModel: the signature to convert")
      ->capture_default_str();
  sub->add_option(FlagNames("concrete-function"), o->concrete_function,
                  "SavedModel: convert this concrete function of the object graph (name, index "
                  "or object path) instead of a signature, e.g. for a tf.Module saved without "
                  "signatures");
  sub->add_flag(FlagNames("check") + ",!--nocheck", o->check,
                "validate with the ONNX checker before writing (--check=false only to debug)");
  AddPipelineFlags(sub, &o->pipeline);
  AddExternalDataFlags(sub, &o->external_data);
  sub->add_option(FlagNames("quantize"), o->quantize,
                  "int8: quantize the converted model at the end (the flags below as in "
                  "`onnxsmith quantize`; static needs --calibration)");
  AddQuantizeFlags(sub, &o->quantize_flags);
  AddTargetFlags(sub, &o->target, /*with_report=*/false);
  AddPrecisionFlags(sub, &o->precision, /*data_flags=*/false);
  return sub;
}

absl::Status CheckConvertUsage(const ConvertOptions& o) {
  const int sources = !o.graphdef.empty() + !o.saved_model.empty() + !o.keras.empty();
  if (sources != 1) {
    return absl::InvalidArgumentError("give exactly one of --graphdef, --saved-model, --keras");
  }
  if (o.output.empty()) return absl::InvalidArgumentError("--output is required");
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(o.target));
  if (profile) RETURN_IF_ERROR(TargetOpset(*profile, o.opset, o.opset_given).status());
  ASSIGN_OR_RETURN(const auto fp16, CheckPrecisionFlags(o.precision));
  if (fp16 && !o.quantize.empty()) {
    return absl::InvalidArgumentError("--precision fp16 and --quantize int8 exclude each other");
  }
  if (fp16) {
    const QuantizeFlags defaults;
    const QuantizeFlags& q = o.quantize_flags;
    if (q.mode != defaults.mode || q.method != defaults.method || q.format != defaults.format) {
      return absl::InvalidArgumentError("--mode, --method and --format need --quantize int8");
    }
    return absl::OkStatus();
  }
  if (!o.quantize.empty()) {
    if (o.quantize != "int8") {
      return absl::InvalidArgumentError(absl::StrCat("--quantize: '", o.quantize, "' is not int8"));
    }
    ASSIGN_OR_RETURN(quantize::QuantizeOptions q, CheckQuantizeFlags(o.quantize_flags));
    if (profile) RETURN_IF_ERROR(ApplyProfile(*profile, o.quantize_flags, &q));
    return absl::OkStatus();
  }
  const QuantizeFlags defaults;
  const QuantizeFlags& q = o.quantize_flags;
  if (q.calibration != defaults.calibration || (q.report_path != defaults.report_path && !profile) ||
      q.mode != defaults.mode || q.method != defaults.method || q.format != defaults.format ||
      !std::isnan(q.max_sqnr_drop) || !std::isnan(q.min_sqnr) || !std::isnan(q.min_agreement)) {
    return absl::InvalidArgumentError(
        "--calibration, --mode, --method, --format and the accuracy goals need --quantize int8 "
        "(--report: --quantize, --target or --precision fp16; --calibration also with --precision "
        "fp16)");
  }
  return absl::OkStatus();
}

absl::StatusOr<converter::ConvertOptions> ToConverterOptions(const ConvertOptions& o) {
  converter::ConvertOptions options;
  options.opset = o.opset;
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(o.target));
  if (profile) {
    ASSIGN_OR_RETURN(options.opset, TargetOpset(*profile, o.opset, o.opset_given));
  }
  // Checked before loading so a bad flag fails fast on a large model.
  RETURN_IF_ERROR(converter::CheckOpset(options.opset));
  ASSIGN_OR_RETURN(options.inputs, converter::ParseTensorSpecList(JoinOccurrences(o.inputs)));
  ASSIGN_OR_RETURN(options.outputs, converter::ParseTensorSpecList(JoinOccurrences(o.outputs)));
  options.inputs_as_nchw = converter::SplitTopLevel(JoinOccurrences(o.inputs_as_nchw));
  options.outputs_as_nchw = converter::SplitTopLevel(JoinOccurrences(o.outputs_as_nchw));
  ASSIGN_OR_RETURN(options.custom_ops, ParseCustomOps(JoinOccurrences(o.custom_ops)));
  return options;
}

// Optimize, validate, write atomically: the same for every loader.
absl::StatusOr<ConvertSummary> FinishConversion(const ConvertOptions& o, const std::string& source,
                                                converter::ConversionResult converted,
                                                PhaseTimes times) {
  const std::string& output = o.output;
  ConvertSummary summary;
  summary.source = source;
  summary.output = output;
  summary.stats = converted.stats;
  ASSIGN_OR_RETURN(std::optional<targets::Profile> profile, LoadTarget(o.target));
  ASSIGN_OR_RETURN(std::vector<std::string> target_notes, ApplyShapeFlags(o.target, converted.model));
  if (profile) target_notes.insert(target_notes.begin(), absl::StrCat("opset ", converted.model.opset()));
  ASSIGN_OR_RETURN(optimizer::OptimizeOptions optimize, ToOptimizeOptions(o.pipeline));
  if (optimize.level != optimizer::OptLevel::kNone || !optimize.passes.empty()) {
    summary.optimizer.emplace();
    ASSIGN_OR_RETURN(double ms, OptimizeModel(converted.model, optimize, o.pipeline.threads,
                                              &*summary.optimizer));
    times.push_back({"optimize", ms});
  }
  std::optional<quantize::QuantizeReport> quantized;
  if (!o.quantize.empty()) {
    auto start = Clock::now();
    auto report = QuantizeModel(converted.model, o.quantize_flags, profile ? &*profile : nullptr);
    if (!report.ok()) {
      return absl::Status(report.status().code(),
                          absl::StrCat("--quantize ", o.quantize, ": ", report.status().message()));
    }
    quantized = *std::move(report);
    times.push_back({"quantize", MsSince(start)});
  }
  std::optional<PrecisionResult> fp16;
  ASSIGN_OR_RETURN(const auto fp16_options, CheckPrecisionFlags(o.precision));
  if (fp16_options) {
    auto start = Clock::now();
    ASSIGN_OR_RETURN(fp16, ApplyPrecision(converted.model, *fp16_options, o.precision,
                                          o.quantize_flags.calibration, o.pipeline.threads));
    times.push_back({"fp16", MsSince(start)});
  }
  if (profile) {  // the model as written: after quantization or fp16
    summary.target = CheckTarget(*profile, converted.model, quantized ? &*quantized : nullptr,
                                 std::move(target_notes));
    RETURN_IF_ERROR(targets::ComplianceStatus(*summary.target, o.target.allow_fallback));
  }

  // The check overlaps the serialization of the weights; the file is
  // written only once it passed.
  auto start = Clock::now();
  ASSIGN_OR_RETURN(ir::CheckedModel checked,
                   ir::ToCheckedModel(converted.model, o.check, "--check=false", output,
                                      o.external_data));
  times.push_back({"check", MsSince(start)});

  start = Clock::now();
  {
    progress::Phase writing(absl::StrCat("writing ", output));  // shown when it takes seconds (1 GB+)
    RETURN_IF_ERROR(ir::WriteCheckedModel(checked, output));
  }
  times.push_back({"write", MsSince(start)});
  SummarizeModel(converted.model, &summary);
  summary.validation = checked.validation;
  summary.times = std::move(times);
  summary.quantize = std::move(quantized);
  if (fp16) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(output, ec);
    const int64_t bytes = ec ? -1 : static_cast<int64_t>(size);
    summary.precision_json = optimizer::precision::Float16ReportJson(fp16->report, fp16->check, -1, bytes);
    // With --target, --report holds the convert summary with the compliance
    // table and this (RunConvert).
    ASSIGN_OR_RETURN(summary.precision_text,
                     FinishPrecisionReport(*fp16, summary.target ? "" : o.quantize_flags.report_path, -1, bytes));
  }
  return summary;
}

absl::Status RunConvert(const ConvertOptions& o) {
  ASSIGN_OR_RETURN(ConvertSummary summary, ConvertModel(o));
  PrintConvertReport(summary);
  std::printf("%s", summary.precision_text.c_str());
  if (summary.quantize) {
    std::printf("INT8 quantization:\n");
    std::error_code ec;
    const auto size = std::filesystem::file_size(o.output, ec);
    RETURN_IF_ERROR(FinishQuantizeReport(o.quantize_flags, *summary.quantize, -1,
                                         ec ? -1 : static_cast<int64_t>(size),
                                         summary.target ? &*summary.target : nullptr));
    RETURN_IF_ERROR(FallbackOutcome(*summary.quantize));
  } else if (summary.target && !o.quantize_flags.report_path.empty()) {
    RETURN_IF_ERROR(WriteFileAtomically(o.quantize_flags.report_path, ConvertSummaryJson(summary) + "\n"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConvertSummary> ConvertModel(const ConvertOptions& o) {
  RETURN_IF_ERROR(CheckConvertUsage(o));
  const std::string& graphdef = o.graphdef;
  const std::string& saved_model = o.saved_model;
  const std::string& keras = o.keras;
  if (IsDirectory(o.output)) {
    return absl::InvalidArgumentError(absl::StrCat("--output ", o.output, " is a directory"));
  }
  ASSIGN_OR_RETURN(converter::ConvertOptions options, ToConverterOptions(o));
  // Checked before loading too: a bad level fails fast on a large model.
  RETURN_IF_ERROR(ToOptimizeOptions(o.pipeline).status());

  // --threads bounds every TBB loop of the command (loading, conversion,
  // optimizer, check and write).
  std::unique_ptr<tbb::global_control> thread_limit = ThreadLimit(o.pipeline.threads);
  PhaseTimes times;
  auto start = Clock::now();
  tf::GraphDef graph;
  const std::string source = !graphdef.empty() ? graphdef : !saved_model.empty() ? saved_model : keras;
  options.source = source;
  if (!keras.empty()) {
    // Keras layers convert straight to ONNX (no TF graph in between).
    auto converted = converter::ConvertKeras(keras, options);
    if (!converted.ok()) return converted.status();
    times.push_back({"load+convert", MsSince(start)});
    return FinishConversion(o, source, *std::move(converted), times);
  }
  if (!graphdef.empty()) {
    ASSIGN_OR_RETURN(graph, converter::ReadGraphDef(graphdef));
    // The weights move to the side table the converted model shares.
    options.const_values = MoveConstValuesOut(&graph);
  } else {
    // A SavedModel is frozen in memory (functions inlined, variables read
    // from the checkpoint), then converted like a GraphDef.
    converter::SavedModelOptions sm_options;
    sm_options.tag = o.tag;
    sm_options.signature = o.signature_def;
    sm_options.concrete_function = o.concrete_function;
    ASSIGN_OR_RETURN(converter::FrozenGraph frozen, converter::LoadSavedModel(saved_model, sm_options));
    RETURN_IF_ERROR(converter::ApplyInputOverrides(options.inputs, &frozen));
    options.inputs = frozen.inputs;
    if (options.outputs.empty()) options.outputs = frozen.outputs;
    // ONNX inputs/outputs take the signature's names ("image", "output_0"),
    // as a serving client knows them.
    for (size_t i = 0; i < frozen.inputs.size(); ++i) {
      options.onnx_names[frozen.inputs[i].tensor_name()] = frozen.input_names[i];
    }
    for (size_t i = 0; i < frozen.outputs.size(); ++i) {
      options.onnx_names[frozen.outputs[i].tensor_name()] = frozen.output_names[i];
    }
    graph = std::move(frozen.graph);
    options.const_values = std::move(frozen.const_values);
  }
  times.push_back({"load", MsSince(start)});

  auto converted = converter::ConvertGraphDef(graph, options);
  if (!converted.ok()) {
    return absl::Status(converted.status().code(),
                        absl::StrCat(source, ": ", converted.status().message()));
  }
  // The IR holds its own weights now: free the GraphDef's copies before the
  // optimizer and the writer (they set the peak memory otherwise).
  graph = tf::GraphDef();
  options.const_values.reset();
  times.push_back({"prune", converted->stats.prune_ms});
  times.push_back({"convert", converted->stats.convert_ms});
  return FinishConversion(o, source, *std::move(converted), times);
}

}  // namespace onnxsmith::cli

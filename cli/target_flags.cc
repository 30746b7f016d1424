#include "cli/target_flags.h"

#include <algorithm>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_line.h"
#include "cli/quantize_command.h"
#include "cli/inspect_command.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "optimizer/passes.h"
#include "targets/shapes.h"

namespace onnxsmith::cli {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

absl::Status Contradiction(const targets::Profile& p, const std::string& flag, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--target ", p.name, " contradicts ", flag, ": ", why, " (", p.file, ")"));
}

}  // namespace

void AddTargetFlags(CLI::App* sub, TargetFlags* f, bool with_report) {
  sub->add_option(FlagNames("target"), f->target,
                  "deployment target profile (" + absl::StrJoin(targets::BuiltinProfileNames(), ", ") +
                      ", or a profile FILE.json): opset, quantization scheme, static shapes, and a "
                      "compliance check of every node (docs/targets.md)");
  AddRepeated(sub, "fix-shape", &f->fix_shape, "static input shape NAME:1x224x224x3 (repeatable)");
  sub->add_option(FlagNames("batch"), f->batch, "static batch size: dim 0 of every input");
  sub->add_flag(FlagNames("allow-fallback"), f->allow_fallback,
                "--target: accept nodes the target does not support (they fall back to another device)");
  if (with_report) {
    sub->add_option(FlagNames("report"), f->report_path, "--target: write the compliance report as JSON to FILE");
  }
}

absl::StatusOr<std::optional<targets::Profile>> LoadTarget(const TargetFlags& f) {
  RETURN_IF_ERROR(targets::ParseFixShapes(f.fix_shape).status());
  if (f.batch < 0) return absl::InvalidArgumentError("--batch must be positive");
  if (f.target.empty()) {
    if (f.allow_fallback) return absl::InvalidArgumentError("--allow-fallback needs --target");
    return std::optional<targets::Profile>();
  }
  ASSIGN_OR_RETURN(targets::Profile p, targets::LoadProfile(f.target));
  return std::optional<targets::Profile>(std::move(p));
}

absl::StatusOr<int> TargetOpset(const targets::Profile& p, int opset_flag, bool opset_given) {
  if (!opset_given) return static_cast<int>(p.opset_default);
  if (opset_flag < p.opset_min || opset_flag > p.opset_max) {
    return Contradiction(p, absl::StrCat("--opset ", opset_flag),
                         absl::StrCat("the target takes opsets ", p.opset_min, "..", p.opset_max));
  }
  return opset_flag;
}

absl::Status CheckModelOpset(const targets::Profile& p, const ir::Model& model, const std::string& path) {
  if (model.opset() >= p.opset_min && model.opset() <= p.opset_max) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      path, ": opset ", model.opset(), " is outside target ", p.name, "'s range ", p.opset_min, "..",
      p.opset_max, "; convert the model again with --target ", p.name));
}

absl::Status ApplyProfile(const targets::Profile& p, const QuantizeFlags& f, quantize::QuantizeOptions* q) {
  const targets::QuantScheme& s = p.quant;
  if (!f.activations.empty() && f.activations != s.activation_type) {
    return Contradiction(p, absl::StrCat("--activations ", f.activations),
                         absl::StrCat("the target takes ", s.activation_type, " activations"));
  }
  if (!Contains(s.formats, f.format)) {
    return Contradiction(p, absl::StrCat("--format ", f.format),
                         absl::StrCat("the target takes ", absl::StrJoin(s.formats, ", ")));
  }
  if (!Contains(s.modes, f.mode)) {
    return Contradiction(p, absl::StrCat("--mode ", f.mode),
                         absl::StrCat("the target takes ", absl::StrJoin(s.modes, ", "), " quantization"));
  }
  if (f.full_range && s.reduce_range) {
    return Contradiction(p, "--full-range", "the target needs 7-bit weights (reduce_range)");
  }
  q->int8_activations = s.activation_type == "int8" || s.activation_type == "int16";
  q->activation_bits = s.activation_type.find("16") != std::string::npos ? 16 : 8;
  q->symmetric_activations = s.symmetric_activations || f.symmetric_activations;
  q->per_channel = s.per_channel && !f.per_tensor;
  q->reduce_range = s.reduce_range || f.reduce_range;
  q->float_bias = s.bias == "float";
  q->float_weights_qdq = s.weights == "qdq";
  q->per_tensor_op_types = s.per_tensor_ops;
  q->shared_scale_op_types = s.shared_scale_ops;
  q->fixed_output_params.clear();
  for (const auto& [op, fixed] : s.fixed_outputs) q->fixed_output_params[op] = {fixed.scale, fixed.zero_point};
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ApplyShapeFlags(const TargetFlags& f, ir::Model& model) {
  ASSIGN_OR_RETURN(auto shapes, targets::ParseFixShapes(f.fix_shape));
  ASSIGN_OR_RETURN(std::vector<std::string> notes, targets::FixShapes(model, shapes, f.batch));
  if (!notes.empty()) optimizer::InferMissingTypes(model.graph, model.opset());
  return notes;
}

targets::ComplianceReport CheckTarget(const targets::Profile& profile, const ir::Model& model,
                                      const quantize::QuantizeReport* quantized, std::vector<std::string> notes) {
  targets::ComplianceOptions options;
  if (quantized != nullptr) {
    for (const quantize::NodeDecision& d : quantized->nodes) {
      if (!d.quantized) options.float_reasons[d.node] = d.reason;
    }
  }
  targets::ComplianceReport report = targets::CheckCompliance(model, profile, options);
  report.notes = std::move(notes);
  return report;
}

}  // namespace onnxsmith::cli

namespace onnxsmith::cli {

absl::Status RunInspectTarget(const InspectOptions& o) {
  ASSIGN_OR_RETURN(targets::Profile profile, targets::LoadProfile(o.target));
  ASSIGN_OR_RETURN(onnx::ModelProto proto, ir::ReadModelProto(o.path));
  auto model = ir::FromModelProto(proto);
  if (!model.ok()) {
    return absl::Status(model.status().code(), absl::StrCat(o.path, ": ", model.status().message()));
  }
  const targets::ComplianceReport report = CheckTarget(profile, *model, nullptr, {});
  nlohmann::ordered_json j = targets::ComplianceJson(report);
  j["model"] = o.path;
  const std::string json = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (o.json) {
    std::printf("%s\n", json.c_str());
  } else {
    std::printf("onnxsmith inspect: %s\n%s", o.path.c_str(), targets::FormatCompliance(report, o.max_items).c_str());
  }
  if (!o.report_path.empty()) RETURN_IF_ERROR(WriteFileAtomically(o.report_path, json + "\n"));
  return targets::ComplianceStatus(report, o.allow_fallback);
}

}  // namespace onnxsmith::cli

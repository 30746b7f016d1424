// The command reports as JSON: what the Python package returns as a dict.
#include <string>

#include "cli/report.h"
#include "nlohmann/json.hpp"

namespace onnxsmith::cli {
namespace {

using Json = nlohmann::ordered_json;

// A JSON text made elsewhere (quantize's and fp16's reports), as a value.
Json Embedded(const std::string& text) { return Json::parse(text, nullptr, /*allow_exceptions=*/false); }

std::string Dump(const Json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Json ValidationJson(const ir::ValidationReport& v) {
  Json j;
  j["checked"] = v.checked;
  j["shapes_inferred"] = v.shapes_inferred;
  if (!v.checked) j["skipped_reason"] = v.skipped_reason;
  return j;
}

Json TimesJson(const PhaseTimes& times) {
  Json j = Json::object();
  double total = 0;
  for (const auto& [phase, ms] : times) {
    j[phase] = ms;
    total += ms;
  }
  j["total"] = total;
  return j;
}

Json PipelineJson(const optimizer::PipelineReport& r) {
  Json passes = Json::array();
  for (const optimizer::PassReport& p : r.passes) {
    passes.push_back({{"name", p.name},
                      {"runs", p.runs},
                      {"changed_runs", p.changed_runs},
                      {"changes", p.changes},
                      {"seconds", p.seconds}});
  }
  Json j;
  j["passes"] = passes;
  j["iterations"] = r.iterations;
  j["converged"] = r.converged;
  j["nodes_before"] = r.nodes_before;
  j["nodes_after"] = r.nodes_after;
  j["initializers_before"] = r.initializers_before;
  j["initializers_after"] = r.initializers_after;
  j["seconds"] = r.seconds;
  return j;
}

Json TypedJson(const std::vector<std::pair<std::string, std::string>>& values) {
  Json j = Json::array();
  for (const auto& [name, type] : values) j.push_back({{"name", name}, {"type", type}});
  return j;
}

}  // namespace

std::string ConvertSummaryJson(const ConvertSummary& s) {
  Json j;
  j["source"] = s.source;
  j["output"] = s.output;
  j["opset"] = s.opset;
  j["tf_nodes"] = s.stats.tf_nodes;
  j["tf_nodes_used"] = s.stats.tf_nodes_used;
  j["tf_ops"] = s.stats.tf_ops;
  j["custom_ops"] = s.stats.custom_ops;
  j["onnx_nodes"] = s.onnx_nodes;
  j["initializers"] = s.initializers;
  j["initializer_bytes"] = s.initializer_bytes;
  j["onnx_ops"] = s.onnx_ops;
  j["recurrent_nodes"] = s.recurrent_nodes;
  j["loops"] = s.loops;
  j["inputs"] = TypedJson(s.inputs);
  j["outputs"] = TypedJson(s.outputs);
  j["optimizer"] = s.optimizer ? PipelineJson(*s.optimizer) : Json(nullptr);
  j["quantize"] = s.quantize ? Embedded(quantize::ReportJson(*s.quantize)) : Json(nullptr);
  if (s.target) j["target"] = targets::ComplianceJson(*s.target);
  if (!s.precision_json.empty()) j["precision"] = Embedded(s.precision_json);
  j["checker"] = ValidationJson(s.validation);
  j["times_ms"] = TimesJson(s.times);
  return Dump(j);
}

std::string OptimizeSummaryJson(const OptimizeSummary& s) {
  Json j;
  j["input"] = s.input;
  j["output"] = s.output;
  j["optimizer"] = PipelineJson(s.optimizer);
  if (!s.check_text.empty()) j["check"] = s.check_text;
  if (s.target) j["target"] = targets::ComplianceJson(*s.target);
  if (!s.precision_json.empty()) j["precision"] = Embedded(s.precision_json);
  j["checker"] = ValidationJson(s.validation);
  j["times_ms"] = TimesJson(s.times);
  return Dump(j);
}

std::string QuantizeSummaryJson(const QuantizeSummary& s) {
  Json j = Embedded(quantize::ReportJson(s.report));
  j["input"] = s.input;
  j["output"] = s.output;
  j["file_bytes_before"] = s.file_bytes_before;
  j["file_bytes_after"] = s.file_bytes_after;
  j["peak_rss_bytes"] = s.peak_rss_bytes;
  if (s.target) j["target"] = targets::ComplianceJson(*s.target);
  j["checker"] = ValidationJson(s.validation);
  j["times_ms"] = TimesJson(s.times);
  return Dump(j);
}

}  // namespace onnxsmith::cli

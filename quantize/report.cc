// The quantization report: a summary for the terminal and JSON (--report).
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "quantize/output_json.h"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

nlohmann::ordered_json OutputErrorJson(const std::string& name, double sqnr_db, double max_abs_error) {
  nlohmann::ordered_json e;
  e["name"] = name;
  e["sqnr_db"] = sqnr_db;
  e["max_abs_error"] = max_abs_error;
  return e;
}

namespace {

std::string QualityText(const std::vector<OutputQuality>& outputs, const std::vector<double>& reference) {
  std::vector<std::string> parts;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const OutputQuality& o = outputs[k];
    std::string p = absl::StrFormat("SQNR %.2f dB", o.sqnr_db);
    if (k < reference.size() && !std::isnan(reference[k])) absl::StrAppendFormat(&p, " (drop %.2f dB)", reference[k] - o.sqnr_db);
    if (o.top1_agreement >= 0) absl::StrAppendFormat(&p, ", top-1 %.2f%%", 100 * o.top1_agreement);
    parts.push_back(outputs.size() > 1 ? absl::StrCat(o.name, ": ", p) : p);
  }
  return absl::StrJoin(parts, "; ");
}

std::string FormatFallback(const FallbackReport& f) {
  std::string out = absl::StrFormat(
      "  accuracy fallback: goal %s; %d candidate nodes, at most %d float; sensitivity %.1f s, search %.1f s\n",
      f.goal, f.candidates, f.max_float_nodes, f.sensitivity_seconds, f.search_seconds);
  std::vector<std::string> refs;
  for (double r : f.reference_sqnr_db) refs.push_back(std::isnan(r) ? "n/a" : absl::StrFormat("%.2f dB", r));
  absl::StrAppend(&out, "    reference (each output rounded to 8 bits): ", absl::StrJoin(refs, ", "), "\n");
  // The ranking as far as the trials went (at least the first 5).
  size_t shown = 5;
  for (const FallbackStep& s : f.steps) shown = std::max(shown, static_cast<size_t>(s.float_nodes));
  std::vector<std::string> top;
  for (size_t i = 0; i < f.sensitivity.size() && i < shown; ++i) {
    top.push_back(absl::StrFormat("%d. %s %.1f dB", i + 1, f.sensitivity[i].first, f.sensitivity[i].second));
  }
  absl::StrAppend(&out, "    most sensitive first (output SQNR with only that node quantized): ",
                  absl::StrJoin(top, ", "), "\n");
  for (size_t i = 0; i < f.steps.size(); ++i) {
    const FallbackStep& s = f.steps[i];
    absl::StrAppendFormat(&out, "    step %d: %s float: %s - %s%s\n", i,
                          s.float_nodes == 0 ? "none" : absl::StrCat("the first ", s.float_nodes),
                          QualityText(s.outputs, f.reference_sqnr_db), s.goal_met ? "goal met" : "goal not met",
                          static_cast<int>(i) == f.chosen_step ? " [kept]" : "");
  }
  if (!f.goal_met) absl::StrAppend(&out, "    ", f.message, "\n");
  return out;
}

nlohmann::ordered_json FallbackJson(const FallbackReport& f) {
  nlohmann::ordered_json j;
  j["goal"] = f.goal;
  j["goal_met"] = f.goal_met;
  if (!f.goal_met) j["message"] = f.message;
  nlohmann::ordered_json refs = nlohmann::ordered_json::array();
  for (double r : f.reference_sqnr_db) refs.push_back(std::isnan(r) ? nlohmann::ordered_json() : nlohmann::ordered_json(r));
  j["reference_sqnr_db"] = refs;
  j["candidates"] = f.candidates;
  j["max_float_nodes"] = f.max_float_nodes;
  j["sensitivity_seconds"] = f.sensitivity_seconds;
  j["search_seconds"] = f.search_seconds;
  nlohmann::ordered_json sens = nlohmann::ordered_json::array();
  for (const auto& [node, db] : f.sensitivity) sens.push_back({{"node", node}, {"sqnr_db", db}});
  j["sensitivity"] = sens;
  nlohmann::ordered_json steps = nlohmann::ordered_json::array();
  for (const FallbackStep& s : f.steps) {
    nlohmann::ordered_json e;
    std::vector<std::string> names;
    for (int k = 0; k < s.float_nodes && k < static_cast<int>(f.sensitivity.size()); ++k) {
      names.push_back(f.sensitivity[k].first);
    }
    e["float_nodes"] = names;
    nlohmann::ordered_json outs = nlohmann::ordered_json::array();
    for (const OutputQuality& o : s.outputs) {
      nlohmann::ordered_json q{{"name", o.name}, {"sqnr_db", o.sqnr_db}};
      if (o.top1_agreement >= 0) q["top1_agreement"] = o.top1_agreement;
      outs.push_back(q);
    }
    e["outputs"] = outs;
    e["goal_met"] = s.goal_met;
    steps.push_back(e);
  }
  j["steps"] = steps;
  j["chosen_step"] = f.chosen_step;
  return j;
}

}  // namespace

std::string FormatReport(const QuantizeReport& r) {
  std::string out = absl::StrFormat(
      "  mode %s, calibration %s, weights int8 %s%s: %d nodes quantized, %d left float\n", r.mode,
      r.method, r.per_channel ? "per channel" : "per tensor", r.reduce_range ? " (7-bit range)" : "",
      r.nodes_quantized, r.nodes_float);
  // Float nodes grouped by reason (one line per reason, with op types).
  std::map<std::string, std::map<std::string, int>> why;
  for (const NodeDecision& d : r.nodes) {
    if (!d.quantized) why[d.reason][d.op_type]++;
  }
  for (const auto& [reason, ops] : why) {
    std::vector<std::string> parts;
    for (const auto& [op, n] : ops) parts.push_back(absl::StrCat(op, " x", n));
    absl::StrAppend(&out, "    float: ", absl::StrJoin(parts, ", "), " - ", reason, "\n");
  }
  absl::StrAppendFormat(&out, "  weights %.2f MB -> %.2f MB (%.3fx)\n", r.weight_bytes_before / 1e6,
                        r.weight_bytes_after / 1e6,
                        r.weight_bytes_before ? static_cast<double>(r.weight_bytes_after) / r.weight_bytes_before : 0.0);
  if (r.calibration_samples > 0) {
    absl::StrAppendFormat(&out, "  calibration: %d samples in %.2f s\n", r.calibration_samples,
                          r.calibration_seconds);
  }
  for (const OutputQuality& o : r.outputs) {
    absl::StrAppendFormat(&out, "  output %s: SQNR %.2f dB, max abs error %.4g", o.name, o.sqnr_db,
                          o.max_abs_error);
    if (o.top1_agreement >= 0) absl::StrAppendFormat(&out, ", top-1 agreement %.2f%%", 100 * o.top1_agreement);
    absl::StrAppendFormat(&out, " (%d held-out samples)\n", o.samples);
  }
  if (r.outputs.empty() && r.mode == "static") {
    absl::StrAppend(&out, "  (no held-out samples (--eval-samples): SQNR not measured)\n");
  }
  if (r.fallback.requested) absl::StrAppend(&out, FormatFallback(r.fallback));
  for (const std::string& w : r.warnings) absl::StrAppend(&out, "  warning: ", w, "\n");
  return out;
}

std::string ReportJson(const QuantizeReport& r, const std::vector<std::string>& extra) {
  nlohmann::ordered_json j;
  j["mode"] = r.mode;
  j["method"] = r.method;
  j["format"] = r.format;
  j["per_channel"] = r.per_channel;
  j["reduce_range"] = r.reduce_range;
  j["nodes_quantized"] = r.nodes_quantized;
  j["nodes_float"] = r.nodes_float;
  j["calibration_samples"] = r.calibration_samples;
  j["eval_samples"] = r.eval_samples;
  j["weight_bytes_before"] = r.weight_bytes_before;
  j["weight_bytes_after"] = r.weight_bytes_after;
  j["calibration_seconds"] = r.calibration_seconds;
  j["quantize_seconds"] = r.quantize_seconds;
  j["eval_seconds"] = r.eval_seconds;
  nlohmann::ordered_json outs = nlohmann::ordered_json::array();
  for (const OutputQuality& o : r.outputs) {
    nlohmann::ordered_json e = OutputErrorJson(o.name, o.sqnr_db, o.max_abs_error);
    if (o.top1_agreement >= 0) e["top1_agreement"] = o.top1_agreement;
    e["samples"] = o.samples;
    outs.push_back(e);
  }
  j["outputs"] = outs;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const NodeDecision& d : r.nodes) {
    nodes.push_back({{"node", d.node}, {"op_type", d.op_type}, {"quantized", d.quantized}, {"reason", d.reason}});
  }
  j["nodes"] = nodes;
  j["warnings"] = r.warnings;
  if (r.fallback.requested) j["fallback"] = FallbackJson(r.fallback);
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!extra.empty()) {
    text.pop_back();  // '}'
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    for (const std::string& e : extra) absl::StrAppend(&text, ",\n  ", e);
    text += "\n}";
  }
  return text + "\n";
}

}  // namespace onnxsmith::quantize

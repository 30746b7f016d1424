// The quantization report: a summary for the terminal and JSON (--report).
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

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
    nlohmann::ordered_json e;
    e["name"] = o.name;
    e["sqnr_db"] = o.sqnr_db;
    e["max_abs_error"] = o.max_abs_error;
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

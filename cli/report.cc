#include "cli/report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::cli {

std::string FormatHistogram(const std::map<std::string, int>& counts, int max_items) {
  std::vector<std::pair<std::string, int>> items(counts.begin(), counts.end());
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  for (size_t i = 0; i < items.size() && static_cast<int>(i) < max_items; ++i) {
    parts.push_back(absl::StrCat(items[i].first, " x", items[i].second));
  }
  if (static_cast<int>(items.size()) > max_items) {
    parts.push_back(absl::StrCat("(+", items.size() - max_items, " more)"));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  if (bytes < 1024 * 1024) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string FormatType(const ir::ValueType& type) {
  std::string dims = "?";
  if (type.shape) {
    std::vector<std::string> d;
    for (const ir::Dim& dim : *type.shape) {
      d.push_back(dim.known() ? absl::StrCat(dim.size) : (dim.param.empty() ? "?" : dim.param));
    }
    dims = absl::StrCat("[", absl::StrJoin(d, ","), "]");
  }
  return absl::StrCat(ir::DataTypeName(type.dtype), dims);
}

std::map<std::string, int> OpHistogram(const ir::Graph& graph) {
  std::map<std::string, int> counts;
  for (const auto& n : graph.nodes) {
    ++counts[n->domain.empty() ? n->op_type : absl::StrCat(n->domain, ".", n->op_type)];
  }
  return counts;
}

int64_t InitializerBytes(const ir::Graph& graph) {
  int64_t bytes = 0;
  for (const auto& [name, t] : graph.initializers) bytes += static_cast<int64_t>(t.raw().size());
  return bytes;
}

void PrintConvertReport(const std::string& source, const std::string& output,
                        const converter::ConversionResult& result,
                        const ir::ValidationReport& validation, const PhaseTimes& times,
                        const std::string& optimize_summary) {
  const ir::Model& model = result.model;
  const auto& stats = result.stats;
  std::printf("onnxsmith convert: %s -> %s (opset %lld)\n", source.c_str(), output.c_str(),
              static_cast<long long>(model.opset()));
  std::printf("  TF nodes:    %d in graph, %d used\n", stats.tf_nodes, stats.tf_nodes_used);
  std::printf("  TF ops:      %s\n", FormatHistogram(stats.tf_ops).c_str());
  std::printf("  ONNX nodes:  %zu, initializers: %zu (%s)\n", model.graph.nodes.size(),
              model.graph.initializers.size(), FormatBytes(InitializerBytes(model.graph)).c_str());
  std::printf("  ONNX ops:    %s\n", FormatHistogram(OpHistogram(model.graph)).c_str());
  std::vector<std::string> ins, outs;
  for (const auto& v : model.graph.inputs) ins.push_back(v.name + " " + FormatType(v.type));
  for (const auto& v : model.graph.outputs) outs.push_back(v.name + " " + FormatType(v.type));
  std::printf("  inputs:      %s\n", absl::StrJoin(ins, ", ").c_str());
  std::printf("  outputs:     %s\n", absl::StrJoin(outs, ", ").c_str());
  std::printf("  unsupported: %s\n",
              stats.custom_ops.empty()
                  ? "none"
                  : absl::StrCat("passed through as custom ops: ",
                                 absl::StrJoin(stats.custom_ops, ", "))
                        .c_str());
  std::printf("  optimizer:   %s", optimize_summary.empty() ? "off\n" : optimize_summary.c_str());
  PrintValidationAndTimes(validation, times);
}

void PrintValidationAndTimes(const ir::ValidationReport& validation, const PhaseTimes& times) {
  if (validation.checked) {
    std::printf("  checker:     passed (onnx checker and strict shape inference)\n");
  } else {
    std::printf("  checker:     skipped: %s\n", validation.skipped_reason.c_str());
  }
  std::vector<std::string> parts;
  double total = 0;
  for (const auto& [phase, ms] : times) {
    parts.push_back(absl::StrFormat("%s %.1f ms", phase, ms));
    total += ms;
  }
  std::printf("  time:        %s; total %.1f ms\n", absl::StrJoin(parts, ", ").c_str(), total);
}

}  // namespace onnxsmith::cli

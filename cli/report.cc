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

namespace {

void CollectLoops(const ir::Graph& graph, ConvertSummary* s) {
  for (const auto& n : graph.nodes) {
    if (n->op_type == "LSTM" || n->op_type == "GRU" || n->op_type == "RNN") {
      // sequence_lens: a masked or variable-length loop (fuse_rnn_loops).
      const bool lengths = n->inputs.size() > 4 && !n->inputs[4].empty();
      s->recurrent_nodes.push_back(
          absl::StrCat(n->op_type, " '", n->name, "'", lengths ? " (sequence_lens)" : ""));
    }
    if (n->op_type == "Loop") s->loops.push_back(absl::StrCat("'", n->name, "'"));
    for (const ir::Graph* g : ir::Subgraphs(*n)) CollectLoops(*g, s);
  }
}

}  // namespace

void SummarizeModel(const ir::Model& model, ConvertSummary* s) {
  s->recurrent_nodes.clear();
  s->loops.clear();
  CollectLoops(model.graph, s);
  s->opset = model.opset();
  s->onnx_nodes = static_cast<int64_t>(model.graph.nodes.size());
  s->initializers = static_cast<int64_t>(model.graph.initializers.size());
  s->initializer_bytes = InitializerBytes(model.graph);
  s->onnx_ops = OpHistogram(model.graph);
  s->inputs.clear();
  s->outputs.clear();
  for (const auto& v : model.graph.inputs) s->inputs.push_back({v.name, FormatType(v.type)});
  for (const auto& v : model.graph.outputs) s->outputs.push_back({v.name, FormatType(v.type)});
}

namespace {

std::string JoinTyped(const std::vector<std::pair<std::string, std::string>>& values) {
  std::vector<std::string> parts;
  for (const auto& [name, type] : values) parts.push_back(name + " " + type);
  return absl::StrJoin(parts, ", ");
}

}  // namespace

void PrintConvertReport(const ConvertSummary& s) {
  const auto& stats = s.stats;
  std::printf("onnxsmith convert: %s -> %s (opset %lld)\n", s.source.c_str(), s.output.c_str(),
              static_cast<long long>(s.opset));
  std::printf("  TF nodes:    %d in graph, %d used\n", stats.tf_nodes, stats.tf_nodes_used);
  std::printf("  TF ops:      %s\n", FormatHistogram(stats.tf_ops).c_str());
  std::printf("  ONNX nodes:  %lld, initializers: %lld (%s)\n", static_cast<long long>(s.onnx_nodes),
              static_cast<long long>(s.initializers), FormatBytes(s.initializer_bytes).c_str());
  std::printf("  ONNX ops:    %s\n", FormatHistogram(s.onnx_ops).c_str());
  std::printf("  inputs:      %s\n", JoinTyped(s.inputs).c_str());
  std::printf("  outputs:     %s\n", JoinTyped(s.outputs).c_str());
  if (!s.recurrent_nodes.empty() || !s.loops.empty()) {
    // Which loops became ONNX RNN ops (fuse_rnn_loops) and which stayed Loops.
    std::printf("  recurrent:   %s; Loops left: %s\n",
                s.recurrent_nodes.empty() ? "none" : absl::StrJoin(s.recurrent_nodes, ", ").c_str(),
                s.loops.empty() ? "none" : absl::StrJoin(s.loops, ", ").c_str());
  }
  std::printf("  unsupported: %s\n",
              stats.custom_ops.empty()
                  ? "none"
                  : absl::StrCat("passed through as custom ops: ",
                                 absl::StrJoin(stats.custom_ops, ", "))
                        .c_str());
  std::printf("  optimizer:   %s",
              s.optimizer ? absl::StrCat("\n", optimizer::FormatReport(*s.optimizer)).c_str()
                          : "off\n");
  if (s.target) std::printf("%s", targets::FormatCompliance(*s.target).c_str());
  PrintValidationAndTimes(s.validation, s.times);
}

void PrintOptimizeReport(const OptimizeSummary& s) {
  std::printf("onnxsmith optimize: %s -> %s\n%s", s.input.c_str(), s.output.c_str(),
              optimizer::FormatReport(s.optimizer).c_str());
  std::printf("%s", s.check_text.c_str());
  if (s.target) std::printf("%s", targets::FormatCompliance(*s.target).c_str());
  PrintValidationAndTimes(s.validation, s.times);
}

void PrintQuantizeReport(const QuantizeSummary& s) {
  std::printf("onnxsmith quantize: %s -> %s\n%s", s.input.c_str(), s.output.c_str(),
              quantize::FormatReport(s.report).c_str());
  const int64_t before = s.file_bytes_before, after = s.file_bytes_after;
  std::printf("  file %s -> %s (%.3fx), peak memory %s\n", FormatBytes(before).c_str(),
              FormatBytes(after).c_str(), before > 0 ? static_cast<double>(after) / before : 0.0,
              FormatBytes(s.peak_rss_bytes).c_str());
  if (s.target) std::printf("%s", targets::FormatCompliance(*s.target).c_str());
  PrintValidationAndTimes(s.validation, s.times);
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

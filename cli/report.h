// The human-readable summaries printed by convert and inspect.
#ifndef ONNXSMITH_CLI_REPORT_H_
#define ONNXSMITH_CLI_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "converter/tf_converter.h"
#include "ir/graph.h"
#include "ir/model_io.h"
#include "optimizer/pass.h"
#include "quantize/quantize.h"
#include "targets/compliance.h"

namespace onnxsmith::cli {

using PhaseTimes = std::vector<std::pair<std::string, double>>;

// What a command did, as its report tells it: printed by the CLI, a dict in
// the Python package (the *Json functions).
struct ConvertSummary {
  std::string source, output;
  int64_t opset = 0;
  converter::ConversionStats stats;
  int64_t onnx_nodes = 0, initializers = 0, initializer_bytes = 0;
  std::map<std::string, int> onnx_ops;
  std::vector<std::pair<std::string, std::string>> inputs, outputs;  // name, FormatType
  // Recurrent nodes ("LSTM name", ...; fuse_rnn_loops names them after the
  // Loop they replaced) and the Loops left, subgraphs included.
  std::vector<std::string> recurrent_nodes, loops;
  std::optional<optimizer::PipelineReport> optimizer;  // unset: the optimizer was off
  std::optional<quantize::QuantizeReport> quantize;    // set by --quantize int8
  std::optional<targets::ComplianceReport> target;     // set by --target
  std::string precision_text;  // --precision fp16: the conversion and its check
  std::string precision_json;  // the same as JSON (Float16ReportJson; "" without fp16)
  ir::ValidationReport validation;
  PhaseTimes times;
};

struct OptimizeSummary {
  std::string input, output;
  optimizer::PipelineReport optimizer;
  std::string check_text;  // --check's comparison ("" without --check)
  std::optional<targets::ComplianceReport> target;  // set by --target
  std::string precision_json;  // --precision fp16: the conversion and its check ("" without)
  ir::ValidationReport validation;
  PhaseTimes times;
};

struct QuantizeSummary {
  std::string input, output;
  quantize::QuantizeReport report;
  int64_t file_bytes_before = 0, file_bytes_after = 0, peak_rss_bytes = 0;
  std::optional<targets::ComplianceReport> target;  // set by --target
  ir::ValidationReport validation;
  PhaseTimes times;
};

// The converted model's side of a ConvertSummary (ops, I/O, sizes).
void SummarizeModel(const ir::Model& model, ConvertSummary* summary);

std::string ConvertSummaryJson(const ConvertSummary& summary);
std::string OptimizeSummaryJson(const OptimizeSummary& summary);
// quantize::ReportJson plus the file sizes, peak memory, checker and times.
std::string QuantizeSummaryJson(const QuantizeSummary& summary);

// "Conv x3, Relu x2" with the most frequent first.
std::string FormatHistogram(const std::map<std::string, int>& counts, int max_items = 12);
std::string FormatBytes(int64_t bytes);
std::string FormatType(const ir::ValueType& type);
std::map<std::string, int> OpHistogram(const ir::Graph& graph);
int64_t InitializerBytes(const ir::Graph& graph);

// The checker line and the per-phase times that end every report.
void PrintValidationAndTimes(const ir::ValidationReport& validation, const PhaseTimes& times);

void PrintConvertReport(const ConvertSummary& summary);
void PrintOptimizeReport(const OptimizeSummary& summary);
void PrintQuantizeReport(const QuantizeSummary& summary);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_REPORT_H_

// The human-readable summaries printed by convert and inspect.
#ifndef ONNXSMITH_CLI_REPORT_H_
#define ONNXSMITH_CLI_REPORT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "converter/tf_converter.h"
#include "ir/graph.h"
#include "ir/model_io.h"

namespace onnxsmith::cli {

using PhaseTimes = std::vector<std::pair<std::string, double>>;

// "Conv x3, Relu x2" with the most frequent first.
std::string FormatHistogram(const std::map<std::string, int>& counts, int max_items = 12);
std::string FormatBytes(int64_t bytes);
std::string FormatType(const ir::ValueType& type);
std::map<std::string, int> OpHistogram(const ir::Graph& graph);
int64_t InitializerBytes(const ir::Graph& graph);

// The checker line and the per-phase times that end every report.
void PrintValidationAndTimes(const ir::ValidationReport& validation, const PhaseTimes& times);

void PrintConvertReport(const std::string& source, const std::string& output,
                        const converter::ConversionResult& result,
                        const ir::ValidationReport& validation, const PhaseTimes& times,
                        const std::string& optimize_summary);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_REPORT_H_

// The compliance checker: every node of a model against a target profile.
// A node is
//   supported    accepted as is (float, or an op type the target runs);
//   rewritten    runs quantized (dequantized inputs, quantized output) or on
//                quantized data, as the scheme says (how: the detail);
//   left float   an accepted op the quantizer kept in float (why: the detail);
//   unsupported  an op type, attribute or quantization parameter the target
//                refuses (the commands exit non-zero unless --allow-fallback).
// Model-level problems (opset, dynamic shapes) are listed apart.
#ifndef ONNXSMITH_TARGETS_COMPLIANCE_H_
#define ONNXSMITH_TARGETS_COMPLIANCE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ir/graph.h"
#include "nlohmann/json.hpp"
#include "targets/profile.h"

namespace onnxsmith::targets {

enum class NodeStatus { kSupported, kRewritten, kFloat, kUnsupported };
const char* NodeStatusName(NodeStatus s);

struct NodeCompliance {
  std::string node, op_type;
  NodeStatus status = NodeStatus::kSupported;
  std::string detail;
};

struct ComplianceReport {
  std::string target;
  int64_t opset = 0;
  std::vector<std::string> model_issues;  // each breaks the profile
  std::vector<std::string> notes;         // what --target changed (opset, shapes)
  std::vector<NodeCompliance> nodes;      // graph order
  int counts[4] = {0, 0, 0, 0};           // by NodeStatus
  bool quantized = false;                 // the model holds QuantizeLinear/DequantizeLinear

  int count(NodeStatus s) const { return counts[static_cast<int>(s)]; }
  bool ok() const { return model_issues.empty() && count(NodeStatus::kUnsupported) == 0; }
};

struct ComplianceOptions {
  // Node name -> why the quantizer kept it float (its report), used as the
  // reason of "left float" nodes.
  std::map<std::string, std::string> float_reasons;
};

ComplianceReport CheckCompliance(const ir::Model& model, const Profile& profile,
                                 const ComplianceOptions& options = {});

// The terminal view: counts, model issues, and the nodes that are not
// "supported" (at most max_items per status, 0 = all).
std::string FormatCompliance(const ComplianceReport& report, int max_items = 20);
nlohmann::ordered_json ComplianceJson(const ComplianceReport& report);

// OK when the report is clean, or when only nodes are unsupported and
// allow_fallback; else an error naming the first problems.
absl::Status ComplianceStatus(const ComplianceReport& report, bool allow_fallback);

}  // namespace onnxsmith::targets

#endif  // ONNXSMITH_TARGETS_COMPLIANCE_H_

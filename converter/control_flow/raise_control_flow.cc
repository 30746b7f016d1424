#include "converter/control_flow/raise_control_flow.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "converter/control_flow/graph_edit.h"
#include "converter/control_flow/tensor_array.h"
#include "converter/control_flow/v1_cond.h"
#include "converter/control_flow/v1_frames.h"

namespace onnxsmith::converter::control_flow {
namespace {

bool IsV1Op(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "Merge" || op == "Switch" || op == "_SwitchN" ||
         op == "NextIteration" || op == "LoopCond" || absl::StartsWith(op, "TensorArray");
}

// The deepest frame without inner frames (conditionals are raised before).
std::string InnermostFrame(const FrameAnalysis& analysis) {
  std::string best;
  int best_depth = 0;
  for (const auto& [name, frame] : analysis.frames) {
    if (frame.has_children || frame.depth <= best_depth) continue;
    best = name;
    best_depth = frame.depth;
  }
  return best;
}

// The steps read these ops' leading inputs unchecked: they must be data inputs.
absl::Status CheckArity(const tf::GraphDef& graph) {
  static const std::map<std::string, int> kDataInputs = {
      {"Enter", 1}, {"Exit", 1},   {"NextIteration", 1}, {"LoopCond", 1},
      {"Switch", 2}, {"_SwitchN", 2}, {"Merge", 1}, {"TensorArrayV3", 1}};
  for (const tf::NodeDef& node : graph.node()) {
    auto it = kDataInputs.find(node.op());
    if (it == kDataInputs.end()) continue;
    for (int k = 0; k < it->second; ++k) {
      if (k >= node.input_size() || node.input(k).empty() || node.input(k)[0] == '^') {
        return absl::InvalidArgumentError(absl::StrCat(Describe(node), " needs ", it->second,
                                                       " data input", it->second > 1 ? "s" : "",
                                                       " first"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Raise(tf::GraphDef* graph, RaiseStats* stats) {
  RETURN_IF_ERROR(CheckArity(*graph));
  ASSIGN_OR_RETURN(bool arrays, RewriteTensorArrays(graph));
  stats->tensor_arrays_rewritten = arrays ? 1 : 0;
  // Each step rebuilds one construct whose insides are already functional;
  // every step removes at least one Merge, so this ends.
  while (true) {
    ASSIGN_OR_RETURN(bool cond, RaiseOneCond(graph));
    if (cond) {
      ++stats->conds;
      continue;
    }
    ASSIGN_OR_RETURN(GraphIndex index, GraphIndex::Build(*graph));
    ASSIGN_OR_RETURN(FrameAnalysis analysis, AnalyzeFrames(index));
    if (analysis.frames.empty()) break;
    std::string frame = InnermostFrame(analysis);
    RETURN_IF_ERROR(RaiseWhileFrame(analysis, frame, graph));
    ++stats->loops;
  }
  std::vector<std::string> left;
  for (const tf::NodeDef& node : graph->node()) {
    if (IsV1Op(node.op())) left.push_back(absl::StrCat(node.name(), " (", node.op(), ")"));
  }
  if (!left.empty()) {
    if (left.size() > 6) left.resize(6);
    return absl::InvalidArgumentError(absl::StrCat(
        "TF1 control flow that is neither a while loop nor a conditional: ",
        absl::StrJoin(left, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace

bool HasV1ControlFlow(const tf::GraphDef& graph) {
  for (const tf::NodeDef& node : graph.node()) {
    if (IsV1Op(node.op())) return true;
  }
  return false;
}

absl::Status RaiseV1ControlFlow(tf::GraphDef* graph, RaiseStats* stats) {
  RaiseStats local;
  tf::GraphDef work = *graph;
  absl::Status status = Raise(&work, stats ? stats : &local);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("rebuilding TF1 control flow: ", status.message()));
  }
  *graph = std::move(work);
  return absl::OkStatus();
}

}  // namespace onnxsmith::converter::control_flow

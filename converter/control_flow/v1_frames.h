// TF1 while loops ("v1 frames": Enter, Merge, Switch, LoopCond,
// NextIteration, Exit, named by the Enter nodes' frame_name) found in a
// GraphDef and rebuilt as functional While nodes with cond/body functions.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_FRAMES_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_FRAMES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/control_flow/graph_edit.h"

namespace onnxsmith::converter::control_flow {

struct Frame {
  std::string name;
  std::string parent;         // "" for the root
  int depth = 1;              // root children 1
  std::vector<int> enters;    // Enter nodes with this frame_name (in the parent)
  std::vector<int> members;   // nodes executing in the frame
  bool has_children = false;
};

struct FrameAnalysis {
  // Frame of each node ("" = root, outside every loop), by node index.
  std::vector<std::string> node_frame;
  std::map<std::string, Frame> frames;
};

// Assigns every node its frame the way TF's executor does (an Enter's
// consumers run in the Enter's frame, an Exit's in the parent frame, any
// other node in its inputs' frame). Consts without inputs belong to no
// frame in particular. Errors name the nodes: an Exit outside any frame (no
// Enter), inputs from two frames, nodes only reachable from a cycle (a
// NextIteration cycle that does not close).
absl::StatusOr<FrameAnalysis> AnalyzeFrames(const GraphIndex& index);

// Rebuilds frame `frame` (which holds no other frame and no v1 conditional)
// as one While node: loop variables are its Merges, loop invariants
// (is_constant Enters) become extra loop variables returned unchanged, its
// Exits become Identities of the While's outputs (keeping their names).
absl::Status RaiseWhileFrame(const FrameAnalysis& analysis, const std::string& frame,
                             tf::GraphDef* graph);

// True for a Const without inputs: copied wherever it is read.
bool IsFreeConst(const GraphIndex& index, int node);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_FRAMES_H_

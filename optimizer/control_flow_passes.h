// The passes that work on control flow: moving nodes across scope boundaries
// (control_flow_passes.cc) and replacing RNN loops (rnn_fusion.cc); the
// per-node pass skeleton they share.
#ifndef ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_
#define ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_

#include <cstdint>
#include <memory>

#include "common/status_macros.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pass.h"

namespace onnxsmith::optimizer {

// Rewrites each node of the graph (as it was when the run began) that
// Matches; commits the edit when a Rewrite changed anything.
class PerNodePass : public Pass {
 public:
  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    GraphEditor ed(graph, opset());
    int64_t count = 0;
    const size_t original = graph.nodes.size();
    for (size_t i = 0; i < original; ++i) {
      ir::Node* n = graph.nodes[i].get();
      if (!ed.IsRemoved(n) && IsOnnxDomain(*n) && Matches(*n)) count += Rewrite(ed, *n);
    }
    if (count == 0) return false;
    RETURN_IF_ERROR(ed.Commit());
    CountChanges(count);
    return true;
  }

 protected:
  virtual bool Matches(const ir::Node& n) const = 0;
  // Returns how many rewrites it made.
  virtual int64_t Rewrite(GraphEditor& ed, ir::Node& n) = 0;
};

std::unique_ptr<Pass> CreateFoldConstantIfPass();
std::unique_ptr<Pass> CreateIfToWherePass();
std::unique_ptr<Pass> CreateHoistLoopInvariantsPass();
// fuse_rnn_loops (rnn_fusion.cc).
std::unique_ptr<Pass> CreateRnnLoopFusionPass();

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_

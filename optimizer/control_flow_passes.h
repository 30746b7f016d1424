// The passes that move nodes across scope boundaries (control_flow_passes.cc).
#ifndef ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_
#define ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_

#include <memory>

#include "optimizer/pass.h"

namespace onnxsmith::optimizer {

std::unique_ptr<Pass> CreateFoldConstantIfPass();
std::unique_ptr<Pass> CreateHoistLoopInvariantsPass();
// fuse_rnn_loops (rnn_fusion.cc).
std::unique_ptr<Pass> CreateRnnLoopFusionPass();

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_CONTROL_FLOW_PASSES_H_

// The profile's "layout": NCHW. ONNX's Conv, pools and normalizations compute
// channels-first; a TF/Keras model is channels-last, so a converted graph
// starts with Transposes around every such op, and the optimizer's transpose
// passes push them to the model's boundary. A channels-first -> channels-last
// Transpose whose data reaches a channels-last -> channels-first one again
// (without another Transpose between) is a round trip the passes could not
// remove: the ops between run in NHWC, and a target with an NCHW layout pays
// two copies per round trip (TensorRT, QNN and OpenVINO insert real layout
// conversions there). Transposes reading model inputs or feeding model
// outputs (or a Flatten/Reshape) are the boundary and are accepted.
#ifndef ONNXSMITH_TARGETS_LAYOUT_H_
#define ONNXSMITH_TARGETS_LAYOUT_H_

#include <map>
#include <string>

#include "ir/graph.h"

namespace onnxsmith::targets {

// Transposes of the main graph that break an NCHW layout -> why.
std::map<const ir::Node*, std::string> NchwLayoutViolations(const ir::Graph& graph);

}  // namespace onnxsmith::targets

#endif  // ONNXSMITH_TARGETS_LAYOUT_H_

// TF1 conditionals (tf.cond v1: Switch nodes on one predicate, two branches,
// Merge nodes) rebuilt as functional If nodes with then/else functions.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_COND_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_COND_H_

#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter::control_flow {

// Rebuilds one conditional whose branches hold no other v1 control flow (the
// innermost first): its Merges sharing Switches on one predicate become one
// If node; each Merge keeps its name as an Identity of an If output. Returns
// false when no such conditional is left; errors name the nodes of a
// malformed one (a Merge without Switches, a branch mixing both sides).
absl::StatusOr<bool> RaiseOneCond(tf::GraphDef* graph);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_V1_COND_H_

// TF1 TensorArrays (TensorArrayV3 and its Read/Write/Gather/Scatter/Size/
// Concat/Split/Close ops) rewritten to TensorList ops the way TF2 implements
// TensorArrays: the array's flow tensor becomes the list value (a variant),
// and the resource handle disappears.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_TENSOR_ARRAY_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_TENSOR_ARRAY_H_

#include "absl/status/statusor.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter::control_flow {

// Rewrites every TensorArray of `graph`; the values carrying a flow through
// Enter/Merge/Switch/Exit/NextIteration/Identity become DT_VARIANT. Returns
// whether anything changed. Gradients (TensorArrayGradV3) are refused.
absl::StatusOr<bool> RewriteTensorArrays(tf::GraphDef* graph);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_TENSOR_ARRAY_H_

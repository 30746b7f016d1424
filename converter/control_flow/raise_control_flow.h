// Raises TF1 control flow to TF2's functional form, GraphDef to GraphDef:
// TensorArrays become TensorList ops, v1 conditionals (Switch/Merge) If nodes,
// v1 while frames While nodes, innermost first, their cond/body/then/else
// functions added to the GraphDef's library. The result runs in TensorFlow
// like the input and converts through the While/If/TensorList handlers.
//
// Interface (what the handlers receive):
//   While: inputs = loop vars (Merge values first, then loop invariants, the
//     body returns those unchanged); attrs T (list(type)), cond, body (func),
//     output_shapes (unknown-rank shapes), parallel_iterations.
//   If: inputs = [pred, switched tensors..., captured tensors...]; attrs
//     Tcond (DT_BOOL), Tin, Tout (list(type)), then_branch, else_branch (func),
//     output_shapes (unknown-rank shapes).
//   TensorListReserve(element_shape, num_elements), TensorListSetItem(list,
//     index, item; resize_if_index_out_of_bounds), TensorListGetItem(list,
//     index, element_shape), TensorListStack(list, element_shape;
//     num_elements -1), TensorListGather(list, indices, element_shape),
//     TensorListFromTensor(tensor, element_shape), TensorListScatterInto-
//     ExistingList(list, tensor, indices), TensorListLength(list),
//     TensorListConcatV2(list, element_shape, leading_dims),
//     TensorListSplit(tensor, element_shape, lengths): attr element_dtype,
//     shape_type DT_INT32 where TF's op has it; element shapes are int32
//     Consts (-1 scalar when unknown).
//   Function bodies reference "node:out_arg:index" (TF's FunctionDef form).
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_RAISE_CONTROL_FLOW_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_RAISE_CONTROL_FLOW_H_

#include "absl/status/status.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter::control_flow {

struct RaiseStats {
  int tensor_arrays_rewritten = 0;  // 0 or 1: whether any TensorArray was
  int conds = 0;
  int loops = 0;
};

// True when the graph holds v1 control-flow or TensorArray ops.
bool HasV1ControlFlow(const tf::GraphDef& graph);

// Rewrites `graph` in place; on error (a malformed frame or conditional,
// named in the message) `graph` is left unchanged.
absl::Status RaiseV1ControlFlow(tf::GraphDef* graph, RaiseStats* stats = nullptr);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_RAISE_CONTROL_FLOW_H_

// The control-flow handler families (//converter/control_flow:functional,
// listed in //converter's HandlerFamilies()) and what their files share.
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_

#include <string>

#include "converter/emit/graph_builder.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

// `value` as ONNX's bool condition (TF conditions may be numeric: nonzero
// is true).
std::string ToBoolScalar(GraphBuilder* builder, const std::string& value, const std::string& hint);

void RegisterControlFlowOps(HandlerRegistry& r);  // While -> Loop, If, Case -> If chain
void RegisterTensorListOps(HandlerRegistry& r);   // TensorList* -> ONNX sequences
void RegisterIfCaseOps(HandlerRegistry& r);       // if_case_ops.cc (part of ControlFlowOps)

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_

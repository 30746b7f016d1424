// What the control-flow handler files share (registered together by
// RegisterControlFlowOps, handlers/registry.h).
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_

#include <string>

#include "converter/emit/graph_builder.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

// `value` as ONNX's bool condition (TF conditions may be numeric: nonzero
// is true).
std::string ToBoolScalar(GraphBuilder* builder, const std::string& value, const std::string& hint);

void RegisterIfCaseOps(HandlerRegistry& r);  // if_case_ops.cc

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_CONTROL_FLOW_OPS_H_

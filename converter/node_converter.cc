#include "converter/node_converter.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/handlers/signal_ops.h"
#include "converter/input_arity.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::converter {
namespace {

// _output_shapes (when the exporter added them) fill gaps inference left.
void ApplyShapeHints(const tf::NodeDef& node, GraphBuilder* builder) {
  auto it = node.attr().find("_output_shapes");
  if (it == node.attr().end()) return;
  const auto& shapes = it->second.list().shape();
  for (int k = 0; k < shapes.size(); ++k) {
    const std::string* value = builder->FindTfOutput(absl::StrCat(node.name(), ":", k));
    if (value == nullptr) continue;
    ir::ValueType type = builder->TypeOf(*value);
    if (type.dtype == ir::DataType::kUndefined || type.shape || type.sequence) continue;
    type.shape = ToValueType(type.dtype, ToDims(shapes[k])).shape;
    builder->SetType(*value, type);
  }
}

// Complex values are [..., 2] real pairs (handlers/signal_ops.h) that only
// the signal handlers understand; any other op on them is refused.
absl::Status CheckComplexUse(const tf::NodeDef& node) {
  if (HandlesComplex(node.op())) return absl::OkStatus();
  for (const auto& [name, attr] : node.attr()) {
    std::vector<int> types(attr.list().type().begin(), attr.list().type().end());
    if (attr.value_case() == tf::AttrValue::kType) types.push_back(attr.type());
    for (int type : types) {
      const auto t = static_cast<tf::DataType>(type);
      if (t == tf::DT_COMPLEX64 || t == tf::DT_COMPLEX128) {
        return absl::UnimplementedError(absl::StrCat(
            "node '", node.name(), "' (", node.op(), "): complex operands (", name,
            "=", TfTypeName(t), ") convert only in the FFT ops, ComplexAbs, Real, Imag, "
            "Complex, Conj and Angle; --custom-ops ", node.op(), " keeps it as a custom op"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ConvertTfNode(const tf::NodeDef& node, std::vector<std::string> inputs, int opset,
                           GraphBuilder* builder, const FunctionEnv* functions,
                           const tf::GraphDef* graph_def) {
  const HandlerVersion* handler = HandlerRegistry::Global().Lookup(node.op(), opset);
  if (handler == nullptr) {
    return absl::UnimplementedError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                 "): no converter at opset ", opset));
  }
  RETURN_IF_ERROR(CheckInputArity(handler->inputs, static_cast<int>(inputs.size()),
                                  absl::StrCat("node '", node.name(), "' (", node.op(), ")"),
                                  "data input"));
  RETURN_IF_ERROR(CheckComplexUse(node));
  NodeContext ctx(node, std::move(inputs), opset, builder);
  ctx.set_functions(functions);
  ctx.set_graph_def(graph_def);
  RETURN_IF_ERROR(handler->fn(ctx));
  ApplyShapeHints(node, builder);
  return absl::OkStatus();
}

}  // namespace onnxsmith::converter

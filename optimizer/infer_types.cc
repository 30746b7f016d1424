// Types for values a loaded model does not describe (no value_info, as in
// tf2onnx's output), so that shape-dependent passes (Shape folding, layout
// and reshape rewrites, simplify_algebra) have shapes to work with.
#include <memory>
#include <string>
#include <vector>

#include "ir/shape_inference.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

int KnownDims(const ir::ValueType& t) {
  int n = 0;
  for (const ir::Dim& d : t.shape.value_or(std::vector<ir::Dim>{})) n += d.known() ? 1 : 0;
  return n;
}

// Whether `inferred` says more than `recorded` and does not contradict it
// (e.g. a Reshape whose shape input became a constant after folding).
bool MoreKnown(const ir::ValueType& inferred, const ir::ValueType& recorded) {
  if (inferred.dtype == ir::DataType::kUndefined || !inferred.shape) return false;
  if (recorded.dtype != ir::DataType::kUndefined && recorded.dtype != inferred.dtype) return false;
  if (!recorded.shape) return true;
  if (recorded.shape->size() != inferred.shape->size()) return false;
  for (size_t i = 0; i < recorded.shape->size(); ++i) {
    const ir::Dim& r = (*recorded.shape)[i];
    const ir::Dim& d = (*inferred.shape)[i];
    if (r.known() && (!d.known() || d.size != r.size)) return false;
  }
  return KnownDims(inferred) > KnownDims(recorded);
}

class InferShapesPass : public Pass {
 public:
  std::string name() const override { return "infer_shapes"; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    int64_t added = InferMissingTypes(graph, opset());
    CountChanges(added);
    return added > 0;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateInferShapesPass() { return std::make_unique<InferShapesPass>(); }

int64_t InferMissingTypes(ir::Graph& graph, int64_t opset) {
  ir::ShapeInferencer inferencer(static_cast<int>(opset));
  for (const ir::ValueInfo& v : graph.inputs) inferencer.SetType(v.name, v.type);
  for (const auto& [name, tensor] : graph.initializers) {
    if (!graph.IsGraphInput(name)) inferencer.SetConstant(name, tensor);
  }
  for (const auto& [name, type] : graph.value_types) inferencer.SetType(name, type);
  int64_t added = 0;
  for (const auto& node : graph.nodes) {
    inferencer.InferNode(*node);
    for (const std::string& out : node->outputs) {
      if (out.empty() || graph.IsGraphOutput(out)) continue;
      ir::ValueType t = inferencer.TypeOf(out);
      auto known = graph.value_types.find(out);
      if (known != graph.value_types.end() && !MoreKnown(t, known->second)) {
        // What the graph says wins; feed it on to the nodes downstream.
        inferencer.SetType(out, known->second);
        continue;
      }
      if (t.dtype == ir::DataType::kUndefined) continue;
      graph.value_types[out] = std::move(t);
      ++added;
    }
  }
  return added;
}

}  // namespace onnxsmith::optimizer

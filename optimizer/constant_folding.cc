#include "optimizer/constant_folding.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "evaluator/evaluator.h"
#include "ir/graph.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {
namespace {

class ConstantFoldingPass : public Pass {
 public:
  explicit ConstantFoldingPass(ConstantFoldingOptions options) : options_(options) {}
  std::string name() const override { return "constant_folding"; }
  absl::StatusOr<bool> Run(ir::Graph& graph) override;

 private:
  // Static shape of `value` when every dim is known.
  std::optional<std::vector<int64_t>> KnownDims(const ir::Graph& graph, const std::string& value,
                                                bool allow_partial) const;
  ConstantFoldingOptions options_;
};

std::optional<std::vector<int64_t>> ConstantFoldingPass::KnownDims(const ir::Graph& graph,
                                                                   const std::string& value,
                                                                   bool allow_partial) const {
  const ir::ValueType* type = nullptr;
  auto it = graph.value_types.find(value);
  if (it != graph.value_types.end()) type = &it->second;
  if (!type) {
    for (const ir::ValueInfo& v : graph.inputs) {
      if (v.name == value) type = &v.type;
    }
  }
  if (!type) {
    for (const ir::ValueInfo& v : graph.outputs) {
      if (v.name == value) type = &v.type;
    }
  }
  if (!type || !type->shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const ir::Dim& d : *type->shape) {
    if (!d.known() && !allow_partial) return std::nullopt;
    dims.push_back(d.known() ? d.size : -1);
  }
  return dims;
}

constexpr int64_t kMaxFoldedLoopTrips = 1024;

// For a node with subgraphs: whether it may be folded; fills the outer-scope
// values its subgraphs read into `opts`.
template <typename IsConst>
bool FoldableControlFlow(const ir::Node& n, const IsConst& is_const, const ir::Graph& graph,
                         evaluator::NodeEvalOptions& opts) {
  opts.outer_values.clear();
  if (n.op_type == "Loop") {
    if (n.inputs.empty() || n.inputs[0].empty() || !is_const(n.inputs[0])) return false;
    auto m = graph.initializers.at(n.inputs[0]).ToInt64s();
    if (!m.ok() || m->size() != 1 || (*m)[0] > kMaxFoldedLoopTrips) return false;
  } else if (n.op_type != "If") {
    return false;
  }
  for (const std::string& v : ir::ImplicitInputs(n)) {
    if (!is_const(v)) return false;
    opts.outer_values[v] = graph.initializers.at(v);
  }
  return true;
}

absl::StatusOr<bool> ConstantFoldingPass::Run(ir::Graph& graph) {
  const int64_t opset = this->opset();
  if (opset <= 0) return false;  // semantics unknown: fold nothing
  absl::flat_hash_set<std::string> graph_inputs;
  for (const ir::ValueInfo& v : graph.inputs) graph_inputs.insert(v.name);
  // Constants: initializers no graph input overrides (plus folded outputs).
  auto is_const = [&](const std::string& v) {
    return graph.initializers.count(v) > 0 && !graph_inputs.count(v);
  };
  // Shapes with unknown dims as -1, from Shape nodes (for Gather / Slice).
  absl::flat_hash_map<std::string, ir::Tensor> partial_shapes;
  std::vector<bool> folded(graph.nodes.size(), false);
  int64_t count = 0;

  evaluator::NodeEvalOptions eval_opts;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    ir::Node& n = *graph.nodes[i];
    if (!(n.domain.empty() || n.domain == "ai.onnx")) continue;
    if (IsNondeterministic(n)) continue;
    // If and Loop fold when every value they and their subgraphs read is a
    // constant of this graph and (Loop) the trip count is a small constant.
    if (!ir::Subgraphs(n).empty() && !FoldableControlFlow(n, is_const, graph, eval_opts)) continue;
    if (options_.keep_dequantize && n.op_type == "DequantizeLinear") continue;
    if (n.outputs.empty()) continue;
    bool outputs_ok = true;
    for (const std::string& o : n.outputs) outputs_ok &= !graph_inputs.count(o);
    if (!outputs_ok) continue;

    std::vector<ir::Tensor> results;
    bool all_const = true;
    int64_t input_elements = 0;
    for (const std::string& in : n.inputs) {
      if (in.empty()) continue;
      if (!is_const(in)) {
        all_const = false;
        break;
      }
      input_elements += graph.initializers.at(in).num_elements();
    }

    if (!all_const && options_.fold_shapes && !n.inputs.empty() && !n.inputs[0].empty()) {
      // Shape / Size of a value with a known shape.
      if (n.op_type == "Shape" || n.op_type == "Size") {
        auto dims = KnownDims(graph, n.inputs[0], /*allow_partial=*/n.op_type == "Shape");
        if (!dims) continue;
        bool complete = std::none_of(dims->begin(), dims->end(), [](int64_t d) { return d < 0; });
        if (n.op_type == "Size") {
          if (!complete) continue;
          int64_t size = 1;
          for (int64_t d : *dims) size *= d;
          results.push_back(ir::Tensor::Scalar<int64_t>(size));
        } else {
          // Through the evaluator (start / end attributes) on a stand-in tensor.
          const int64_t r = static_cast<int64_t>(dims->size());
          int64_t start = n.GetInt("start", 0), end = n.GetInt("end", r);
          if (start < 0) start += r;
          if (end < 0) end += r;
          start = std::clamp<int64_t>(start, 0, r);
          end = std::clamp<int64_t>(end, 0, r);
          std::vector<int64_t> picked;
          for (int64_t k = start; k < end; ++k) picked.push_back((*dims)[k]);
          const ir::Tensor shape = ir::Tensor::Vector1D<int64_t>(picked);
          if (std::any_of(picked.begin(), picked.end(), [](int64_t d) { return d < 0; })) {
            if (!n.outputs[0].empty()) partial_shapes[n.outputs[0]] = shape;
            continue;
          }
          results.push_back(shape);
        }
      } else if ((n.op_type == "Gather" || n.op_type == "Slice") &&
                 partial_shapes.count(n.inputs[0])) {
        // Gather / Slice of a partly known shape: fold when the picked dims
        // are all known.
        bool rest_const = true;
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          if (!n.inputs[k].empty() && !is_const(n.inputs[k])) rest_const = false;
        }
        if (!rest_const || !evaluator::IsSupported(n, opset)) continue;
        std::vector<const ir::Tensor*> ins;
        ins.push_back(&partial_shapes.at(n.inputs[0]));
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          ins.push_back(n.inputs[k].empty() ? nullptr : &graph.initializers.at(n.inputs[k]));
        }
        auto out = evaluator::EvaluateNode(n, opset, ins, eval_opts);
        if (!out.ok() || out->size() != 1) continue;
        auto values = (*out)[0].ToInt64s();
        if (!values.ok() ||
            std::any_of(values->begin(), values->end(), [](int64_t d) { return d < 0; })) {
          if (values.ok() && !n.outputs[0].empty()) partial_shapes[n.outputs[0]] = (*out)[0];
          continue;
        }
        results = *std::move(out);
      } else {
        continue;
      }
    } else if (!all_const) {
      continue;
    } else {
      if (!evaluator::IsSupported(n, opset)) continue;
      std::vector<const ir::Tensor*> ins;
      for (const std::string& in : n.inputs) {
        ins.push_back(in.empty() ? nullptr : &graph.initializers.at(in));
      }
      eval_opts.max_output_elements = std::max(options_.max_output_elements, input_elements);
      auto out = evaluator::EvaluateNode(n, opset, ins, eval_opts);
      // Too large, unsupported here, or failing on these inputs: keep the node
      // (running the model will report a real failure).
      if (!out.ok()) continue;
      results = *std::move(out);
    }

    for (size_t k = 0; k < n.outputs.size() && k < results.size(); ++k) {
      const std::string& o = n.outputs[k];
      if (o.empty()) continue;
      graph.initializers[o] = results[k];
      graph.value_types.erase(o);
    }
    folded[i] = true;
    ++count;
  }
  if (count == 0) return false;
  std::vector<std::unique_ptr<ir::Node>> kept;
  kept.reserve(graph.nodes.size() - count);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (!folded[i]) kept.push_back(std::move(graph.nodes[i]));
  }
  graph.nodes = std::move(kept);
  CountChanges(count);
  return true;
}

}  // namespace

std::unique_ptr<Pass> CreateConstantFoldingPass() {
  return std::make_unique<ConstantFoldingPass>(ConstantFoldingOptions{});
}

std::unique_ptr<Pass> CreateConstantFoldingPassWithOptions(const ConstantFoldingOptions& options) {
  return std::make_unique<ConstantFoldingPass>(options);
}

}  // namespace onnxsmith::optimizer


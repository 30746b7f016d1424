// PlanStatic: which nodes of the graph run in int8 under static QDQ, and
// which tensors get a QuantizeLinear -> DequantizeLinear pair.
#include <set>

#include "absl/strings/str_cat.h"
#include "quantize/scheme.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;

bool IsFloatConstant(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = g.FindInitializer(name);
  return t && t->dtype() == DataType::kFloat;
}

// Float unless known otherwise (files without value_info).
bool MaybeFloat(const ir::Graph& g, const std::string& name) {
  if (name.empty()) return false;
  if (const ir::Tensor* t = g.FindInitializer(name)) return t->dtype() == DataType::kFloat;
  auto it = g.value_types.find(name);
  if (it != g.value_types.end() && it->second.dtype != DataType::kUndefined) {
    return it->second.dtype == DataType::kFloat;
  }
  for (const ir::ValueInfo& v : g.inputs) {
    if (v.name == name && v.type.dtype != DataType::kUndefined) return v.type.dtype == DataType::kFloat;
  }
  return true;
}

// Why a weighted node cannot be quantized ("" if it can).
std::string WeightedBlocker(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.size() < 2 || !IsFloatConstant(g, n.inputs[1])) {
    return n.op_type == "MatMul" ? "second operand is not a constant float weight (activation x activation stays float)"
                                 : "weights are not a float32 constant";
  }
  if (!MaybeFloat(g, n.inputs[0])) return "input is not float32";
  const ir::Tensor& w = *g.FindInitializer(n.inputs[1]);
  if (n.op_type == "Gemm") {
    if (n.GetInt("transA", 0) != 0) return "Gemm with transA (kept float)";
    if (w.rank() != 2) return "Gemm weights are not 2-D";
  }
  if ((n.op_type == "Conv" || n.op_type == "ConvTranspose") && w.rank() < 3) return "weights of rank < 3";
  if (n.op_type == "MatMul" && w.rank() < 2) return "1-D weights (a dot product) gain nothing";
  const int bias = BiasInput(n);
  if (bias >= 0 && !IsFloatConstant(g, n.inputs[bias])) return "bias is not a float32 constant";
  return "";
}

// The Relu/Clip that is the single consumer of `out`, if any (its range
// then becomes the producer's output range).
const ir::Node* FoldableActivation(const ir::Graph& g, const ir::Graph::Index& index,
                                   const std::string& out, const QuantizeOptions& options) {
  if (g.IsGraphOutput(out)) return nullptr;
  auto it = index.consumers.find(out);
  if (it == index.consumers.end() || it->second.size() != 1) return nullptr;
  const ir::Node* c = it->second[0];
  if (RoleOf(c->op_type) != OpRole::kActivation || c->inputs.empty() || c->inputs[0] != out) return nullptr;
  if (options.exclude_nodes.count(c->name) || options.exclude_op_types.count(c->op_type)) return nullptr;
  if (c->op_type == "Clip") {
    // Constant bounds (or none): the quantizer then saturates where Clip did.
    for (size_t i = 1; i < c->inputs.size(); ++i) {
      if (!c->inputs[i].empty() && !g.IsInitializer(c->inputs[i])) return nullptr;
    }
  }
  return c;
}

}  // namespace

StaticPlan PlanStatic(const ir::Graph& g, const QuantizeOptions& options) {
  StaticPlan plan;
  const ir::Graph::Index index = g.BuildIndex();
  std::set<std::string> quantized;  // tensors with a Q/DQ pair
  std::set<const ir::Node*> folded;
  auto add = [&](const std::string& t) {
    if (!t.empty() && !g.IsInitializer(t) && quantized.insert(t).second) plan.activations.push_back(t);
  };
  // The output to quantize after node n: its own, or its folded activation's.
  auto quantize_output = [&](const ir::Node& n) {
    if (n.outputs.empty()) return;
    std::string out = n.outputs[0];
    if (const ir::Node* act = FoldableActivation(g, index, out, options)) {
      folded.insert(act);
      out = act->outputs[0];
    }
    if (!g.IsGraphOutput(out)) add(out);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = *g.nodes[i];
    NodeDecision d{n.name.empty() ? ir::DescribeNode(n, i) : n.name, n.op_type, false, ""};
    const OpRole role = n.domain.empty() || n.domain == "ai.onnx" ? RoleOf(n.op_type) : OpRole::kNone;
    if (options.exclude_nodes.count(n.name)) {
      d.reason = "excluded (--exclude-nodes)";
    } else if (options.exclude_op_types.count(n.op_type)) {
      d.reason = "excluded (--exclude-op-types)";
    } else if (folded.count(&n)) {
      d.quantized = true;
      d.reason = "range folded into the producer's output (quantized after it)";
    } else if (role == OpRole::kWeighted) {
      d.reason = WeightedBlocker(g, n);
      if (d.reason.empty()) {
        d.quantized = true;
        d.reason = "int8 weights, dequantized activations";
        plan.int8_nodes.insert(&n);
        add(n.inputs[0]);
        quantize_output(n);
      }
    } else if ((role == OpRole::kNone || role == OpRole::kElementwise) &&
               options.fixed_output_params.count(n.op_type)) {
      // Sigmoid/Softmax/Tanh on an integer accelerator: int8 in, output at
      // the target's fixed parameters (its range is known in advance), also
      // where the default scheme would calibrate the output (Sigmoid).
      if (n.inputs.empty() || n.outputs.size() != 1 || !MaybeFloat(g, n.inputs[0]) ||
          g.IsInitializer(n.inputs[0])) {
        d.reason = "input is a constant or not float";
      } else {
        d.quantized = true;
        d.reason = "int8 in, output at the target's fixed parameters";
        plan.int8_nodes.insert(&n);
        add(n.inputs[0]);
        if (!g.IsGraphOutput(n.outputs[0])) {
          add(n.outputs[0]);
          plan.fixed_outputs[n.outputs[0]] = n.op_type;
        }
      }
    } else if (role == OpRole::kElementwise) {
      const bool binary = n.op_type == "Add" || n.op_type == "Mul";
      const size_t data_inputs = binary || n.op_type == "Concat" ? n.inputs.size() : 1;
      bool ok = !n.inputs.empty() && n.outputs.size() == 1;
      for (size_t k = 0; k < data_inputs && ok; ++k) {
        ok = !n.inputs[k].empty() && !g.IsInitializer(n.inputs[k]) && MaybeFloat(g, n.inputs[k]);
      }
      if (!ok) {
        d.reason = binary ? absl::StrCat(n.op_type, " with a constant or a non-float operand (kept float)")
                          : "inputs are constants or not float";
      } else {
        d.quantized = true;
        d.reason = "int8 in and out";
        plan.int8_nodes.insert(&n);
        for (size_t k = 0; k < data_inputs; ++k) add(n.inputs[k]);
        quantize_output(n);
        if (n.op_type == "Concat") plan.concats.push_back(&n);
        if (n.op_type != "Concat" && options.shared_scale_op_types.count(n.op_type) &&
            quantized.count(n.outputs[0])) {
          plan.shared_params.emplace_back(n.inputs[0], n.outputs[0]);
        }
      }
    } else if (role == OpRole::kPassThrough) {
      if (n.inputs.empty() || n.outputs.size() != 1 || !quantized.count(n.inputs[0])) {
        d.reason = "input is not quantized (nothing to pass through)";
      } else if (g.IsGraphOutput(n.outputs[0])) {
        d.reason = "produces a graph output (outputs stay float)";
      } else {
        d.quantized = true;
        d.reason = "reuses its input's parameters";
        plan.int8_nodes.insert(&n);
        add(n.outputs[0]);
        plan.same_params.emplace_back(n.inputs[0], n.outputs[0]);
      }
    } else if (role == OpRole::kActivation) {
      d.reason = "not after a quantized op (kept float)";
    } else if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") {
      d.reason = "already quantized";
    } else {
      d.reason = "no int8 gain for this op type (kept float)";
    }
    plan.decisions.push_back(std::move(d));
  }
  return plan;
}

}  // namespace onnxsmith::quantize

// Dynamic quantization (no calibration): MatMul/Gemm with a constant 2-D
// weight W[K,N] become, as ONNX Runtime's quantize_dynamic writes them (so
// that its MatMulIntegerToFloat fusion applies):
//
//   A -> DynamicQuantizeLinear -> (A_q uint8, A_scale, A_zp)
//   MatMulInteger(A_q, W_q int8, A_zp, 0) -> Cast(float) -> Mul(A_scale * W_scale[N]) [-> Add bias]
//
// W is quantized symmetric per output column (per tensor with --per-tensor).
//
// LSTM and GRU keep float math: ONNX has no integer recurrent op (ONNX
// Runtime's DynamicQuantizeLSTM is com.microsoft), so their constant W and R
// are stored int8 (per gate row, axis 1) behind a DequantizeLinear: the file's
// recurrent weights shrink 4x, the arithmetic stays fp32.
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "quantize/scheme.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;

struct DynamicInput {
  std::string q, scale, zp;
};

std::string Blocker(const ir::Graph& g, const ir::Node& n) {
  if (n.op_type != "MatMul" && n.op_type != "Gemm") return "dynamic mode quantizes MatMul, Gemm, LSTM and GRU only";
  if (n.inputs.size() < 2) return "malformed";
  const ir::Tensor* w = g.FindInitializer(n.inputs[1]);
  if (!w || w->dtype() != DataType::kFloat) {
    return "second operand is not a constant float weight (activation x activation stays float)";
  }
  if (w->rank() != 2) return "weights are not 2-D";
  if (g.IsInitializer(n.inputs[0])) return "both operands are constants";
  if (n.op_type == "Gemm") {
    if (n.GetInt("transA", 0) != 0) return "Gemm with transA (kept float)";
    if (n.inputs.size() > 2 && !n.inputs[2].empty() && !g.IsInitializer(n.inputs[2])) {
      return "Gemm bias is not a constant";
    }
  }
  return "";
}

bool IsRecurrent(const ir::Node& n) { return n.op_type == "LSTM" || n.op_type == "GRU"; }

// Why the weights of a recurrent node stay float ("" if W and R can be
// stored int8).
std::string RecurrentBlocker(const ir::Graph& g, const ir::Node& n) {
  for (size_t i = 1; i <= 2; ++i) {
    const ir::Tensor* w = i < n.inputs.size() ? g.FindInitializer(n.inputs[i]) : nullptr;
    if (!w || w->dtype() != DataType::kFloat || w->rank() != 3) {
      return "W and R are not constant float tensors (kept float)";
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<NodeDecision>> ApplyDynamic(ir::Model& model, const QuantizeOptions& options) {
  if (model.opset() < 10) {
    return absl::FailedPreconditionError(absl::StrCat(
        "MatMulInteger/DynamicQuantizeLinear need opset 10/11 or later; the model has opset ", model.opset()));
  }
  ir::Graph& g = model.graph;
  if (model.opset() < 11) model.opset_imports[""] = 11;  // DynamicQuantizeLinear (no op changed 10 -> 11 here)
  NameMaker names(g);
  std::vector<NodeDecision> decisions;
  std::map<std::string, DynamicInput> inputs;  // quantized activations, shared by readers
  std::vector<ir::Node> added;
  auto node = [&](const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
    ir::Node n;
    n.op_type = op;
    n.name = names.Make(absl::StrCat(out[0], "_node"));
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    added.push_back(std::move(n));
    return &added.back();
  };
  auto constant = [&](const std::string& base, ir::Tensor t) {
    const std::string name = names.Make(base);
    g.initializers[name] = std::move(t);
    return name;
  };
  std::vector<std::unique_ptr<ir::Node>> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    std::unique_ptr<ir::Node>& np = g.nodes[i];
    ir::Node& n = *np;
    NodeDecision d{n.name.empty() ? ir::DescribeNode(n, i) : n.name, n.op_type, false, ""};
    if (options.exclude_nodes.count(n.name)) {
      d.reason = "excluded (--exclude-nodes)";
    } else if (options.exclude_op_types.count(n.op_type)) {
      d.reason = "excluded (--exclude-op-types)";
    } else {
      d.reason = IsRecurrent(n) ? RecurrentBlocker(g, n) : Blocker(g, n);
    }
    if (!d.reason.empty()) {
      decisions.push_back(std::move(d));
      kept.push_back(std::move(np));
      continue;
    }
    if (IsRecurrent(n)) {
      // Per gate row needs per-axis DequantizeLinear (opset 13).
      const int axis = options.per_channel && model.opset() >= 13 ? 1 : -1;
      for (size_t i = 1; i <= 2; ++i) {
        const std::string w = n.inputs[i];
        ASSIGN_OR_RETURN(QuantizedWeight qw, QuantizeWeight(*g.FindInitializer(w), axis, options.reduce_range));
        const std::string wq = constant(w + "_quantized", qw.values);
        const bool per_axis = qw.scales.size() > 1;
        const std::string ws = constant(w + "_scale", per_axis ? ir::Tensor::Vector1D<float>(qw.scales)
                                                               : ir::Tensor::Scalar<float>(qw.scales[0]));
        const std::string wzp = constant(
            w + "_zero_point", per_axis ? ir::Tensor::Vector1D<int8_t>(std::vector<int8_t>(qw.scales.size(), 0))
                                        : ir::Tensor::Scalar<int8_t>(0));
        n.inputs[i] = names.Make(w + "_dequantized");
        ir::Node* dq = node("DequantizeLinear", {wq, ws, wzp}, {n.inputs[i]});
        if (per_axis) dq->attributes.push_back(ir::Attribute::Int("axis", 1));
      }
      d.quantized = true;
      d.reason = absl::StrCat("W and R stored int8 (", axis == 1 ? "per gate row" : "per tensor",
                              "), run in float: ONNX has no integer ", n.op_type,
                              " (ONNX Runtime's DynamicQuantizeLSTM is com.microsoft)");
      decisions.push_back(std::move(d));
      kept.push_back(std::move(np));
      continue;
    }
    const bool gemm = n.op_type == "Gemm";
    ir::Tensor w = *g.FindInitializer(n.inputs[1]);
    if (gemm && n.GetInt("transB", 0) != 0) {
      ASSIGN_OR_RETURN(w, w.Transposed({1, 0}));
    }
    ASSIGN_OR_RETURN(QuantizedWeight qw, QuantizeWeight(w, options.per_channel ? 1 : -1, options.reduce_range));
    if (gemm) {
      const ir::Attribute* alpha = n.FindAttr("alpha");
      if (alpha) {
        for (float& s : qw.scales) s *= alpha->f;
      }
    }
    const std::string a = n.inputs[0];
    auto it = inputs.find(a);
    if (it == inputs.end()) {
      DynamicInput di{names.Make(a + "_quantized"), names.Make(a + "_scale"), names.Make(a + "_zero_point")};
      node("DynamicQuantizeLinear", {a}, {di.q, di.scale, di.zp});
      it = inputs.emplace(a, di).first;
    }
    const std::string& out = n.outputs[0];
    const std::string wq = constant(n.inputs[1] + "_quantized", qw.values);
    const std::string wzp = constant(n.inputs[1] + "_zero_point", ir::Tensor::Scalar<int8_t>(0));
    const std::string ws = constant(n.inputs[1] + "_scale",
                                    qw.scales.size() == 1 ? ir::Tensor::Scalar<float>(qw.scales[0])
                                                          : ir::Tensor::Vector1D<float>(qw.scales));
    const std::string acc = names.Make(out + "_int32");
    node("MatMulInteger", {it->second.q, wq, it->second.zp, wzp}, {acc});
    const std::string accf = names.Make(out + "_float");
    node("Cast", {acc}, {accf})->attributes.push_back(ir::Attribute::Int("to", 1));
    const std::string scale = names.Make(out + "_output_scale");
    node("Mul", {it->second.scale, ws}, {scale});
    const bool has_bias = gemm && n.inputs.size() > 2 && !n.inputs[2].empty();
    const std::string scaled = has_bias ? names.Make(out + "_unbiased") : out;
    node("Mul", {accf, scale}, {scaled});
    if (has_bias) {
      std::string bias = n.inputs[2];
      const ir::Attribute* beta = n.FindAttr("beta");
      if (beta && beta->f != 1.0f) {
        ASSIGN_OR_RETURN(std::vector<double> v, g.FindInitializer(bias)->ToDoubles());
        std::vector<float> f;
        for (double x : v) f.push_back(static_cast<float>(x) * beta->f);
        bias = constant(bias + "_scaled", ir::Tensor::FromVector<float>(g.FindInitializer(bias)->dims(), f));
      }
      node("Add", {scaled, bias}, {out});
    }
    d.quantized = true;
    d.reason = qw.scales.size() == 1 ? "int8 weights (per tensor), activations quantized at run time"
                                     : "int8 weights per output column, activations quantized at run time";
    decisions.push_back(std::move(d));
  }
  g.nodes = std::move(kept);
  for (ir::Node& n : added) g.AddNode(std::move(n));
  g.RemoveDeadNodes();
  RETURN_IF_ERROR(g.TopologicalSort());
  return decisions;
}

}  // namespace onnxsmith::quantize

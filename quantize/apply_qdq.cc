// ApplyQdq: the static plan written into the graph. Every planned
// activation T becomes T -> QuantizeLinear -> DequantizeLinear -> T' and its
// readers read T' (graph outputs keep T, in float). Weights are stored int8
// (DequantizeLinear per channel in front of the op), biases int32.
#include <map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "quantize/scheme.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;

class QdqWriter {
 public:
  QdqWriter(ir::Model& model, std::vector<std::string>* warnings)
      : g_(model.graph), names_(model.graph), opset_(model.opset()), warnings_(warnings) {}

  std::string Constant(const std::string& base, ir::Tensor t) {
    const std::string name = names_.Make(base);
    g_.initializers[name] = std::move(t);
    return name;
  }

  ir::Tensor ZeroPoint(const QParams& p) {
    if (p.type == DataType::kInt8) return ir::Tensor::Scalar<int8_t>(static_cast<int8_t>(p.zero_point));
    if (p.type == DataType::kInt16) return ir::Tensor::Scalar<int16_t>(static_cast<int16_t>(p.zero_point));
    if (p.type == DataType::kUint16) return ir::Tensor::Scalar<uint16_t>(static_cast<uint16_t>(p.zero_point));
    return ir::Tensor::Scalar<uint8_t>(static_cast<uint8_t>(p.zero_point));
  }

  void AddNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
               int axis = -1) {
    ir::Node n;
    n.op_type = op;
    n.name = names_.Make(absl::StrCat(out[0], "_node"));
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    if (axis >= 0) n.attributes.push_back(ir::Attribute::Int("axis", axis));
    new_nodes_.push_back(std::move(n));
  }

  // T -> Q -> DQ; returns the dequantized name.
  std::string Activation(const std::string& t, const QParams& p) {
    const std::string s = Constant(absl::StrCat(t, "_scale"), ir::Tensor::Scalar<float>(p.scale));
    const std::string z = Constant(absl::StrCat(t, "_zero_point"), ZeroPoint(p));
    const std::string q = names_.Make(absl::StrCat(t, "_quantized"));
    const std::string dq = names_.Make(absl::StrCat(t, "_dequantized"));
    AddNode("QuantizeLinear", {t, s, z}, {q});
    AddNode("DequantizeLinear", {q, s, z}, {dq});
    return dq;
  }

  // The scale (and int8 zero point 0) constants of weights: one per channel
  // or a scalar.
  std::pair<std::string, std::string> WeightParams(const std::string& base, const std::vector<float>& scales,
                                                   bool per_axis, bool with_zero_point) {
    std::string s, z;
    if (per_axis) {
      s = Constant(absl::StrCat(base, "_scale"), ir::Tensor::Vector1D<float>(scales));
      if (with_zero_point) {
        z = Constant(absl::StrCat(base, "_zero_point"),
                     ir::Tensor::Vector1D<int8_t>(std::vector<int8_t>(scales.size(), 0)));
      }
    } else {
      s = Constant(absl::StrCat(base, "_scale"), ir::Tensor::Scalar<float>(scales[0]));
      if (with_zero_point) z = Constant(absl::StrCat(base, "_zero_point"), ir::Tensor::Scalar<int8_t>(0));
    }
    return {s, z};
  }

  // A constant int tensor behind a DequantizeLinear (per channel when the
  // scales have more than one value).
  std::string Dequantized(const std::string& base, const ir::Tensor& values,
                          const std::vector<float>& scales, int axis, bool with_zero_point) {
    const std::string q = Constant(absl::StrCat(base, "_quantized"), values);
    const bool per_axis = scales.size() > 1 || (axis >= 0 && opset_ >= 13);
    const auto [s, z] = WeightParams(base, scales, per_axis, with_zero_point);
    const std::string dq = names_.Make(absl::StrCat(base, "_dequantized"));
    std::vector<std::string> in{q, s};
    if (!z.empty()) in.push_back(z);
    AddNode("DequantizeLinear", std::move(in), {dq}, per_axis ? std::max(axis, 0) : -1);
    return dq;
  }

  // TensorRT's form: the float weight, QuantizeLinear with the weight's
  // (per-channel) scales and zero points 0, then DequantizeLinear; the
  // runtime quantizes the weights itself when it builds the engine.
  // `weight` names the float initializer, which stays as it is.
  std::string FloatQdq(const std::string& weight, const std::vector<float>& scales, int axis) {
    const std::string& f = weight;
    const std::string& base = weight;
    const bool per_axis = scales.size() > 1 || axis >= 0;
    const auto [s, z] = WeightParams(base, scales, per_axis, /*with_zero_point=*/true);
    const std::string q = names_.Make(absl::StrCat(base, "_quantized"));
    const std::string dq = names_.Make(absl::StrCat(base, "_dequantized"));
    AddNode("QuantizeLinear", {f, s, z}, {q}, per_axis ? std::max(axis, 0) : -1);
    AddNode("DequantizeLinear", {q, s, z}, {dq}, per_axis ? std::max(axis, 0) : -1);
    return dq;
  }

  void Finish() {
    for (ir::Node& n : new_nodes_) g_.AddNode(std::move(n));
    new_nodes_.clear();
  }

  ir::Graph& graph() { return g_; }
  int64_t opset() const { return opset_; }
  std::vector<std::string>* warnings() { return warnings_; }

 private:
  ir::Graph& g_;
  NameMaker names_;
  int64_t opset_;
  std::vector<std::string>* warnings_;
  std::vector<ir::Node> new_nodes_;
};

// Quantizes the weight (and bias) of weighted node n; `input` holds the
// parameters of its activation input when it has them.
absl::Status QuantizeWeights(QdqWriter& w, ir::Node& n, const QParams* input,
                             const QuantizeOptions& options, const ir::Graph::Index& index,
                             std::map<std::string, std::string>& shared_weights) {
  ir::Graph& g = w.graph();
  const std::string wname = n.inputs[1];
  const ir::Tensor weight = *g.FindInitializer(wname);
  const bool per_channel = options.per_channel && w.opset() >= 13;
  const int axis = options.per_tensor_op_types.count(n.op_type) ? -1 : WeightAxis(n, weight, per_channel);
  ASSIGN_OR_RETURN(QuantizedWeight qw, QuantizeWeight(weight, axis, options.reduce_range));
  const int bias = BiasInput(n);
  // A weight read by several nodes is quantized once (and its scales are
  // then fixed: a large bias is clipped rather than widening them).
  const std::string key = absl::StrCat(wname, "@", axis);
  auto readers = index.consumers.find(wname);
  const bool shared = readers != index.consumers.end() && readers->second.size() > 1;
  std::string bias_dq;
  if (bias >= 0 && input != nullptr && !options.float_bias && (n.op_type != "Gemm" || n.FindAttr("beta") == nullptr ||
                                        n.FindAttr("beta")->f == 1.0f)) {
    const ir::Tensor b = *g.FindInitializer(n.inputs[bias]);
    int64_t channels = axis >= 0 ? weight.dims()[axis] : b.num_elements();
    if (b.num_elements() == channels) {
      ASSIGN_OR_RETURN(ir::Tensor flat, b.Reshaped({channels}));
      ASSIGN_OR_RETURN(ir::Tensor qb, QuantizeBias(flat, input->scale, weight, options.reduce_range,
                                                   shared, &qw, n.name, w.warnings()));
      std::vector<float> bs;
      for (int64_t c = 0; c < channels; ++c) {
        bs.push_back(input->scale * qw.scales[qw.scales.size() == 1 ? 0 : c]);
      }
      if (w.opset() < 13) bs.resize(1);
      if (b.rank() == 1 || n.op_type == "Gemm") {
        bias_dq = w.Dequantized(n.inputs[bias], qb, bs, 0, /*with_zero_point=*/false);
      }
    }
  }
  auto it = shared_weights.find(key);
  if (it != shared_weights.end()) {
    n.inputs[1] = it->second;
  } else {
    n.inputs[1] = options.float_weights_qdq
                      ? w.FloatQdq(wname, qw.scales, axis)
                      : w.Dequantized(wname, qw.values, qw.scales, axis, /*with_zero_point=*/true);
    shared_weights[key] = n.inputs[1];
  }
  if (!bias_dq.empty()) n.inputs[bias] = bias_dq;
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyQdq(ir::Model& model, const StaticPlan& plan,
                      const std::map<std::string, QParams>& params, const QuantizeOptions& options,
                      std::vector<std::string>* warnings) {
  if (model.opset() < 10) {
    return absl::FailedPreconditionError(absl::StrCat(
        "QuantizeLinear/DequantizeLinear need ai.onnx opset 10 or later; the model has opset ",
        model.opset()));
  }
  if (options.activation_bits == 16 && model.opset() < 21) {
    return absl::FailedPreconditionError(absl::StrCat(
        "16-bit activations need QuantizeLinear-21 (ai.onnx opset 21); the model has opset ", model.opset(),
        " (convert with --opset 21)"));
  }
  if (model.opset() < 13 && options.per_channel) {
    warnings->push_back(absl::StrCat("opset ", model.opset(),
                                     " has no per-axis QuantizeLinear: weights are per tensor"));
  }
  QdqWriter w(model, warnings);
  ir::Graph& g = model.graph;
  // Readers of every activation, from the graph before the rewrite.
  const ir::Graph::Index index = g.BuildIndex();
  std::map<std::string, std::string> shared_weights;
  for (const auto& node : g.nodes) {
    if (!plan.int8_nodes.count(node.get()) || RoleOf(node->op_type) != OpRole::kWeighted) continue;
    auto p = params.find(node->inputs[0]);
    RETURN_IF_ERROR(QuantizeWeights(w, *node, p == params.end() ? nullptr : &p->second, options, index,
                                    shared_weights));
  }
  for (const std::string& t : plan.activations) {
    auto p = params.find(t);
    if (p == params.end()) continue;
    const std::string dq = w.Activation(t, p->second);
    auto readers = index.consumers.find(t);
    if (readers == index.consumers.end()) continue;
    for (ir::Node* r : readers->second) {
      for (std::string& in : r->inputs) {
        if (in == t) in = dq;
      }
    }
  }
  w.Finish();
  g.RemoveDeadNodes();
  return g.TopologicalSort();
}

}  // namespace onnxsmith::quantize

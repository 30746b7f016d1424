// The quantization scheme: parameters from ranges, weight and bias
// quantization, and the per-op rules of static QDQ (which ops run in int8,
// which inputs are activations, which ops only move data and so reuse their
// input's parameters). Internal to //quantize; exposed for unit tests.
#ifndef ONNXSMITH_QUANTIZE_SCHEME_H_
#define ONNXSMITH_QUANTIZE_SCHEME_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "quantize/calibrate.h"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  ir::DataType type = ir::DataType::kUint8;
};

// Activation parameters for the real range [lo, hi], widened to hold 0 so
// that 0 is exactly representable (padding, Relu); a degenerate range gets
// scale 1.
QParams ActivationParams(float lo, float hi, const QuantizeOptions& options);

// The activation type the options ask for (uint8, int8, uint16, int16) and
// the limits of an integer type.
ir::DataType ActivationType(const QuantizeOptions& options);
std::pair<int32_t, int32_t> TypeLimits(ir::DataType type);

// Round half to even, saturated to [qmin, qmax].
int32_t QuantizeValue(float x, const QParams& p);

struct QuantizedWeight {
  ir::Tensor values;          // int8, same shape
  std::vector<float> scales;  // one per channel of `axis`, or one
  int axis = -1;              // -1: per tensor
};

// Symmetric int8 (7-bit with reduce_range) weights, per slice of `axis`
// (or per tensor when axis < 0). An all-zero channel gets scale 1.
absl::StatusOr<QuantizedWeight> QuantizeWeight(const ir::Tensor& w, int axis, bool reduce_range);

// int32 bias with scale input_scale * weight scale per channel (zero point
// 0). A bias too large for int32 widens that channel's weight scale (and
// requantizes its weights) unless `fixed_weights`, where it is clipped; both
// add a warning naming `node`.
absl::StatusOr<ir::Tensor> QuantizeBias(const ir::Tensor& bias, float input_scale,
                                        const ir::Tensor& float_weight, bool reduce_range,
                                        bool fixed_weights, QuantizedWeight* weight,
                                        const std::string& node, std::vector<std::string>* warnings);

// How static QDQ treats an op type.
enum class OpRole {
  kNone,         // stays float
  kWeighted,     // Conv, ConvTranspose, MatMul, Gemm: int8 weights, int32 bias
  kElementwise,  // Add, Concat, pools: int8 in and out
  kPassThrough,  // moves data only: output reuses the input's parameters
  kActivation,   // Relu, Clip: folded into the producer's output range
};
OpRole RoleOf(const std::string& op_type);
// The rule table as Markdown (docs/quantization.md is generated from it).
std::string SchemeTableMarkdown();

struct StaticPlan {
  std::vector<NodeDecision> decisions;          // per graph node, in order
  std::set<const ir::Node*> int8_nodes;         // read dequantized inputs
  std::vector<std::string> activations;         // tensors that get Q -> DQ
  std::vector<std::pair<std::string, std::string>> same_params;  // pass-through in/out
  std::vector<const ir::Node*> concats;         // int8 Concats (inputs may share params)
  // Shared-scale ops (options.shared_scale_op_types) other than Concat:
  // input and output tensors that must share parameters.
  std::vector<std::pair<std::string, std::string>> shared_params;
  std::map<std::string, std::string> fixed_outputs;  // tensor -> op type with fixed params
};

// Decides, node by node in graph order, what runs in int8. `opset` is the
// model's ai.onnx opset.
StaticPlan PlanStatic(const ir::Graph& graph, const QuantizeOptions& options);

// The weight input's channel axis for `node` (-1: per tensor), and the
// bias input index (-1: none).
int WeightAxis(const ir::Node& node, const ir::Tensor& weight, bool per_channel);
int BiasInput(const ir::Node& node);

// Inserts the Q/DQ pairs of `plan` with `params` (per activation tensor)
// and stores weights and biases quantized. Leaves the graph sorted.
absl::Status ApplyQdq(ir::Model& model, const StaticPlan& plan,
                      const std::map<std::string, QParams>& params,
                      const QuantizeOptions& options, std::vector<std::string>* warnings);

// Activation parameters of every planned tensor from the calibration
// statistics (shared by pass-through chains and close Concat inputs); a
// tensor calibration did not observe stays float, with a warning.
std::map<std::string, QParams> ComputeParams(const StaticPlan& plan, const CalibrationResult& calib,
                                             const QuantizeOptions& options,
                                             std::vector<std::string>* warnings);

// Static mode after calibration: plan, parameters, Q/DQ (and QOperator
// with --format qoperator) written into `model`; the per-node decisions.
absl::StatusOr<std::vector<NodeDecision>> ApplyStatic(ir::Model& model, const QuantizeOptions& options,
                                                      const CalibrationResult& calib,
                                                      std::vector<std::string>* warnings);

// Dynamic mode: MatMul/Gemm with constant 2-D weights become
// DynamicQuantizeLinear + MatMulInteger + scale; returns per-node decisions.
absl::StatusOr<std::vector<NodeDecision>> ApplyDynamic(ir::Model& model,
                                                       const QuantizeOptions& options);

// --format qoperator: the QDQ graph's Conv/MatMul with quantized input,
// weights and output become QLinearConv/QLinearMatMul, and data-moving ops
// between equal parameters run on the quantized values (qoperator.cc).
// Updates the reasons in `decisions`, made for the nodes `decided` (the
// graph's nodes before ApplyQdq, which keeps node objects); leaves the graph
// sorted.
absl::Status ToQOperator(ir::Model& model, const std::vector<const ir::Node*>& decided,
                         std::vector<NodeDecision>* decisions);

// Names not yet used by any value, initializer or node of the graph.
class NameMaker {
 public:
  explicit NameMaker(const ir::Graph& graph);
  std::string Make(const std::string& base);

 private:
  std::set<std::string> used_;
};

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_SCHEME_H_

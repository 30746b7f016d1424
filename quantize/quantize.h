// INT8 quantization of an ONNX model (docs/quantization.md).
//
//   static:  calibrate activation ranges on samples with the reference
//            evaluator, then insert QuantizeLinear/DequantizeLinear pairs
//            (QDQ) around the ops that gain from int8, with int8 per-channel
//            weights and int32 biases stored quantized;
//   dynamic: int8 per-channel weights of MatMul/Gemm, activations quantized
//            at run time (DynamicQuantizeLinear + MatMulInteger).
//
// Quantize rewrites the model in place and returns what it did and, when
// samples are left over after calibration, how close the INT8 model's
// outputs are to the fp32 model's on them.
#ifndef ONNXSMITH_QUANTIZE_QUANTIZE_H_
#define ONNXSMITH_QUANTIZE_QUANTIZE_H_

#include <cstdint>
#include <map>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "quantize/calibration_data.h"

namespace onnxsmith::quantize {

enum class Mode { kStatic, kDynamic };
enum class Method { kMinMax, kPercentile, kEntropy };
enum class Format { kQdq, kQOperator };

struct QuantizeOptions {
  Mode mode = Mode::kStatic;
  Method method = Method::kMinMax;
  double percentile = 99.999;
  Format format = Format::kQdq;
  bool per_channel = true;              // weights; false = --per-tensor
  bool int8_activations = false;        // --activations int8 (default uint8)
  bool symmetric_activations = false;
  // 7-bit weights: ONNX Runtime's u8s8 kernels on x86 CPUs without VNNI
  // (AVX2, AVX-512 without VNNI) add pairs of u8 x s8 products in int16 with
  // saturation, which 8-bit weights can overflow (the CLI's default is
  // !CpuHasVnni()).
  bool reduce_range = false;
  std::set<std::string> exclude_nodes;
  std::set<std::string> exclude_op_types;
  // Samples held out of calibration to measure the INT8 model: -1 = a fifth
  // of the data (at most 256; none when there is a single sample).
  int64_t eval_samples = -1;
  int in_flight = 0;  // samples evaluated at once (0 = 2 per thread)

  // What target profiles (targets/) ask beyond the defaults above.
  int activation_bits = 8;         // 16: uint16/int16 activations (QuantizeLinear-21)
  bool float_bias = false;         // biases stay float (TensorRT)
  bool float_weights_qdq = false;  // float weights behind QuantizeLinear -> DequantizeLinear
  std::set<std::string> per_tensor_op_types;    // weighted ops whose weights stay per tensor
  std::set<std::string> shared_scale_op_types;  // inputs and output share one scale
  // Op type -> its output's fixed (scale, zero point); such ops run quantized.
  std::map<std::string, std::pair<float, int32_t>> fixed_output_params;
  // Accuracy-driven fallback (static mode, fallback.h): goals on the
  // held-out samples, NaN = not set. Nodes move back to float, most
  // sensitive first, until every set goal holds for every output.
  double max_sqnr_drop = std::numeric_limits<double>::quiet_NaN();  // dB below the output's own 8-bit rounding
  double min_sqnr = std::numeric_limits<double>::quiet_NaN();       // dB
  double min_agreement = std::numeric_limits<double>::quiet_NaN();  // top-1 agreement, percent
  int max_float_nodes = -1;     // nodes the fallback may move (-1: a quarter of the candidates)
  int sensitivity_samples = 4;  // calibration samples the sensitivity is measured on
};

absl::StatusOr<Mode> ParseMode(const std::string& s);
absl::StatusOr<Method> ParseMethod(const std::string& s);
absl::StatusOr<Format> ParseFormat(const std::string& s);
const char* MethodName(Method m);

// Whether this CPU has 8-bit dot-product instructions that cannot saturate
// (x86: AVX512-VNNI or AVX-VNNI; other architectures: true).
bool CpuHasVnni();

struct NodeDecision {
  std::string node;
  std::string op_type;
  bool quantized = false;
  std::string reason;  // why float, or how it is quantized
};

struct OutputQuality {
  std::string name;
  double sqnr_db = 0;          // 10 log10(sum ref^2 / sum (ref - int8)^2)
  double max_abs_error = 0;
  double top1_agreement = -1;  // argmax over the last axis agrees; -1: n/a
  int64_t samples = 0;
};

// One trial of the fallback: the `float_nodes` most sensitive nodes float.
struct FallbackStep {
  int float_nodes = 0;
  std::vector<OutputQuality> outputs;
  bool goal_met = false;
};

struct FallbackReport {
  bool requested = false;
  std::string goal;                     // the goal as text
  std::vector<double> reference_sqnr_db;  // per output: its own 8-bit rounding
  int candidates = 0;                   // quantized compute nodes
  int max_float_nodes = 0;
  // Candidates, most sensitive first, with the output SQNR (dB, min over
  // outputs) when only that node is quantized.
  std::vector<std::pair<std::string, double>> sensitivity;
  std::vector<FallbackStep> steps;      // in the order tried
  int chosen_step = -1;
  bool goal_met = false;
  std::string message;                  // why the goal cannot be met
  double sensitivity_seconds = 0;
  double search_seconds = 0;
};

struct QuantizeReport {
  std::string mode, method, format;
  bool per_channel = true;
  bool reduce_range = false;
  std::vector<NodeDecision> nodes;
  int nodes_quantized = 0;
  int nodes_float = 0;
  int64_t calibration_samples = 0;
  int64_t eval_samples = 0;
  std::vector<OutputQuality> outputs;
  int64_t weight_bytes_before = 0;  // initializers
  int64_t weight_bytes_after = 0;
  double calibration_seconds = 0;
  double quantize_seconds = 0;
  double eval_seconds = 0;
  std::vector<std::string> warnings;
  FallbackReport fallback;
};

// `data` is required for static mode; in dynamic mode it is only used to
// measure the result (may be null).
absl::StatusOr<QuantizeReport> Quantize(ir::Model& model, const QuantizeOptions& options,
                                        CalibrationSource* data);

// Human-readable summary, and the report as JSON (extra top-level fields,
// e.g. file sizes measured by the CLI, are appended from `extra`: a list of
// "key": value pairs already in JSON).
std::string FormatReport(const QuantizeReport& report);
std::string ReportJson(const QuantizeReport& report, const std::vector<std::string>& extra = {});

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_QUANTIZE_H_

#include "quantize/scheme.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;

struct RoleRule {
  const char* op;
  OpRole role;
  const char* why;
};

// The op table of static QDQ. ONNX Runtime fuses DQ -> op -> Q around each
// of these into an integer kernel (QLinearConv, QLinearMatMul, QGemm,
// QLinearAdd, QLinearMul, QLinearSigmoid, QLinearConcat,
// QLinearAveragePool, ...), or, for
// pass-through ops, runs them on the 8-bit data directly.
constexpr RoleRule kRules[] = {
    {"Conv", OpRole::kWeighted, "int8 weights per output channel (axis 0), int32 bias"},
    {"ConvTranspose", OpRole::kWeighted, "int8 weights per output channel (axis 1), int32 bias"},
    {"MatMul", OpRole::kWeighted, "int8 weights per output column (last axis)"},
    {"Gemm", OpRole::kWeighted, "int8 weights per output channel (axis 1, or 0 with transB), int32 bias"},
    {"Add", OpRole::kElementwise, "two activations (residual): int8 in and out"},
    {"Mul", OpRole::kElementwise, "two activations (swish x * sigmoid(x), squeeze-excite): int8 in and out"},
    {"Sigmoid", OpRole::kElementwise, "int8 in and out (ONNX Runtime: QLinearSigmoid, a table lookup)"},
    {"LeakyRelu", OpRole::kElementwise, "int8 in and out (ONNX Runtime: QLinearLeakyRelu)"},
    {"Concat", OpRole::kElementwise, "inputs share the output's parameters when their ranges are close"},
    {"AveragePool", OpRole::kElementwise, "int8 in and out"},
    {"GlobalAveragePool", OpRole::kElementwise, "int8 in and out"},
    {"Reshape", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Transpose", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Flatten", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Squeeze", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Unsqueeze", OpRole::kPassThrough, "reuses its input's parameters"},
    {"MaxPool", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Slice", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Gather", OpRole::kPassThrough, "reuses its input's (data) parameters"},
    {"Identity", OpRole::kPassThrough, "reuses its input's parameters"},
    {"DepthToSpace", OpRole::kPassThrough, "reuses its input's parameters"},
    {"SpaceToDepth", OpRole::kPassThrough, "reuses its input's parameters"},
    {"Relu", OpRole::kActivation, "range folded into the producer's output (quantized after it)"},
    {"Clip", OpRole::kActivation, "range folded into the producer's output (quantized after it)"},
};

int Qmax(bool reduce_range) { return reduce_range ? 63 : 127; }

}  // namespace

OpRole RoleOf(const std::string& op_type) {
  for (const RoleRule& r : kRules) {
    if (op_type == r.op) return r.role;
  }
  return OpRole::kNone;
}

std::string SchemeTableMarkdown() {
  static const char* kRoleNames[] = {"float", "weighted", "int8 in/out", "pass-through", "folded activation"};
  std::string out = "| op | role | rule |\n|---|---|---|\n";
  for (const RoleRule& r : kRules) {
    absl::StrAppend(&out, "| ", r.op, " | ", kRoleNames[static_cast<int>(r.role)], " | ", r.why, " |\n");
  }
  return out;
}

ir::DataType ActivationType(const QuantizeOptions& options) {
  if (options.activation_bits == 16) return options.int8_activations ? DataType::kInt16 : DataType::kUint16;
  return options.int8_activations ? DataType::kInt8 : DataType::kUint8;
}

std::pair<int32_t, int32_t> TypeLimits(DataType type) {
  switch (type) {
    case DataType::kInt8: return {-128, 127};
    case DataType::kUint16: return {0, 65535};
    case DataType::kInt16: return {-32768, 32767};
    default: return {0, 255};
  }
}

QParams ActivationParams(float lo, float hi, const QuantizeOptions& options) {
  QParams p;
  p.type = ActivationType(options);
  const auto [qmin, qmax] = TypeLimits(p.type);
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = std::isfinite(lo) ? lo : -std::numeric_limits<float>::max() / 2;
    hi = std::isfinite(hi) ? hi : std::numeric_limits<float>::max() / 2;
  }
  if (options.symmetric_activations) {
    // Zero at the middle of the range: 0 signed, 128 (32768) unsigned.
    const int32_t half = (qmax - qmin) / 2;  // 127 or 32767
    const float m = std::max(-lo, hi);
    p.scale = m > 0 ? m / static_cast<float>(half) : 1.0f;
    p.zero_point = qmin < 0 ? 0 : half + 1;
    return p;
  }
  if (hi - lo <= 0) {
    p.scale = 1.0f;
    p.zero_point = qmin < 0 ? qmin : 0;
    return p;
  }
  p.scale = (hi - lo) / static_cast<float>(qmax - qmin);
  const float zp = std::nearbyint(static_cast<float>(qmin) - lo / p.scale);
  p.zero_point = static_cast<int32_t>(std::clamp(zp, static_cast<float>(qmin), static_cast<float>(qmax)));
  return p;
}

int32_t QuantizeValue(float x, const QParams& p) {
  const auto [qmin, qmax] = TypeLimits(p.type);
  const float q = std::nearbyint(x / p.scale) + static_cast<float>(p.zero_point);
  return static_cast<int32_t>(std::clamp(q, static_cast<float>(qmin), static_cast<float>(qmax)));
}

namespace {

// Geometry of per-axis slices: element i is in channel (i / inner) % n.
struct Slices {
  int64_t n = 1, inner = 1;
  int64_t channel(int64_t i) const { return (i / inner) % n; }
};

Slices SlicesOf(const std::vector<int64_t>& dims, int axis) {
  Slices s;
  if (axis < 0) {
    int64_t total = 1;
    for (int64_t d : dims) total *= d;
    s.inner = std::max<int64_t>(total, 1);
    return s;
  }
  s.n = dims[axis];
  for (size_t d = axis + 1; d < dims.size(); ++d) s.inner *= dims[d];
  return s;
}

int8_t QuantizeWeightValue(float w, float scale, int qmax) {
  // Clamped first, the value is small: adding and removing 1.5 * 2^23
  // rounds it half to even (the default rounding mode) without a libm call
  // (the weights of a ResNet50 are 25M values).
  // (Without -ffast-math the compiler keeps (x + c) - c as written.)
  constexpr float kRound = 12582912.0f;
  const float x = std::clamp(w / scale, static_cast<float>(-qmax), static_cast<float>(qmax));
  return static_cast<int8_t>((x + kRound) - kRound);
}

// fn(channel, begin, end) over the contiguous runs of elements of one
// channel, channels of different runs in parallel.
template <typename Fn>
void ForEachRun(const Slices& s, int64_t size, Fn fn) {
  const int64_t runs = s.inner > 0 ? size / s.inner : 0;
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, runs, std::max<int64_t>(1, 65536 / std::max<int64_t>(s.inner, 1))),
                    [&](const tbb::blocked_range<int64_t>& r) {
                      for (int64_t b = r.begin(); b < r.end(); ++b) fn(b % s.n, b * s.inner, (b + 1) * s.inner);
                    });
}

}  // namespace

absl::StatusOr<QuantizedWeight> QuantizeWeight(const ir::Tensor& w, int axis, bool reduce_range) {
  if (w.dtype() != DataType::kFloat) {
    return absl::InvalidArgumentError(absl::StrCat("weights must be float32, got ", ir::DataTypeName(w.dtype())));
  }
  if (axis >= w.rank()) return absl::InvalidArgumentError("weight axis out of range");
  const Slices s = SlicesOf(w.dims(), axis);
  const auto v = w.data<float>();
  const int64_t size = static_cast<int64_t>(v.size());
  for (int64_t i = 0; i < size; ++i) {
    if (!std::isfinite(v[i])) return absl::InvalidArgumentError("weights hold NaN or Inf");
  }
  // Per run, then per channel (a channel's runs are few: outer dims).
  const int64_t runs = s.inner > 0 ? size / s.inner : 0;
  std::vector<float> run_max(runs, 0.0f);
  ForEachRun(s, size, [&](int64_t, int64_t b, int64_t e) {
    float m = 0;
    for (int64_t i = b; i < e; ++i) m = std::max(m, std::fabs(v[i]));
    run_max[b / s.inner] = m;
  });
  std::vector<float> absmax(s.n, 0.0f);
  for (int64_t r = 0; r < runs; ++r) absmax[r % s.n] = std::max(absmax[r % s.n], run_max[r]);
  QuantizedWeight q;
  q.axis = axis;
  const int qmax = Qmax(reduce_range);
  // Scale floor: a zero (or denormal-sized) channel gets scale 1 (its
  // values quantize to 0 either way) instead of dividing by ~0.
  for (float m : absmax) q.scales.push_back(m > 1e-30f ? m / static_cast<float>(qmax) : 1.0f);
  std::vector<int8_t> out(v.size());
  ForEachRun(s, size, [&](int64_t c, int64_t b, int64_t e) {
    const float scale = q.scales[c];
    for (int64_t i = b; i < e; ++i) out[i] = QuantizeWeightValue(v[i], scale, qmax);
  });
  q.values = ir::Tensor::FromVector<int8_t>(w.dims(), out);
  return q;
}

absl::StatusOr<ir::Tensor> QuantizeBias(const ir::Tensor& bias, float input_scale,
                                        const ir::Tensor& float_weight, bool reduce_range,
                                        bool fixed_weights, QuantizedWeight* weight,
                                        const std::string& node, std::vector<std::string>* warnings) {
  if (bias.dtype() != DataType::kFloat) return absl::InvalidArgumentError("bias must be float32");
  const auto b = bias.data<float>();
  const int64_t m = static_cast<int64_t>(b.size());
  if (weight->scales.size() != 1 && static_cast<int64_t>(weight->scales.size()) != m) {
    return absl::InvalidArgumentError(absl::StrCat("bias has ", m, " values, the weights ",
                                                   weight->scales.size(), " channels"));
  }
  // Headroom: the int32 accumulator adds the bias to sums of products.
  constexpr double kLimit = double{1 << 30};
  std::vector<int32_t> q(m);
  bool widened = false, clipped = false;
  for (int64_t c = 0; c < m; ++c) {
    float& ws = weight->scales[weight->scales.size() == 1 ? 0 : c];
    double real = static_cast<double>(b[c]) / (static_cast<double>(input_scale) * ws);
    if (std::fabs(real) > kLimit) {
      if (!fixed_weights && weight->scales.size() != 1) {
        ws = static_cast<float>(std::fabs(b[c]) / (input_scale * kLimit) * 1.001);
        widened = true;
        real = static_cast<double>(b[c]) / (static_cast<double>(input_scale) * ws);
      } else {
        clipped = true;
      }
    }
    q[c] = static_cast<int32_t>(std::clamp(std::nearbyint(real), -kLimit, kLimit));
  }
  if (widened) {
    // Requantize the weights with the widened channel scales.
    const Slices s = SlicesOf(float_weight.dims(), weight->axis);
    const auto v = float_weight.data<float>();
    std::vector<int8_t> out(v.size());
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) {
      out[i] = QuantizeWeightValue(v[i], weight->scales[s.channel(i)], Qmax(reduce_range));
    }
    weight->values = ir::Tensor::FromVector<int8_t>(float_weight.dims(), out);
    warnings->push_back(absl::StrCat("node '", node, "': bias too large for int32 at scale input*weight; "
                                     "widened the weight scale of the affected channels"));
  }
  if (clipped) {
    warnings->push_back(absl::StrCat("node '", node, "': bias too large for int32 at scale input*weight; clipped"));
  }
  return ir::Tensor::FromVector<int32_t>({m}, q);
}

int WeightAxis(const ir::Node& node, const ir::Tensor& weight, bool per_channel) {
  if (!per_channel) return -1;
  const std::string& op = node.op_type;
  if (op == "Conv") return 0;
  if (op == "ConvTranspose") return node.GetInt("group", 1) == 1 ? 1 : -1;
  if (op == "MatMul") return weight.rank() == 2 ? 1 : -1;
  if (op == "Gemm") return node.GetInt("transB", 0) != 0 ? 0 : 1;
  return -1;
}

int BiasInput(const ir::Node& node) {
  if (node.op_type == "Conv" || node.op_type == "ConvTranspose" || node.op_type == "Gemm") {
    return node.inputs.size() > 2 && !node.inputs[2].empty() ? 2 : -1;
  }
  return -1;
}

NameMaker::NameMaker(const ir::Graph& graph) {
  for (const auto& n : graph.nodes) {
    used_.insert(n->name);
    for (const std::string& s : n->inputs) used_.insert(s);
    for (const std::string& s : n->outputs) used_.insert(s);
  }
  for (const auto& [name, t] : graph.initializers) used_.insert(name);
  for (const ir::ValueInfo& v : graph.inputs) used_.insert(v.name);
  for (const ir::ValueInfo& v : graph.outputs) used_.insert(v.name);
}

std::string NameMaker::Make(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name); ++i) name = absl::StrCat(base, "_", i);
  used_.insert(name);
  return name;
}

}  // namespace onnxsmith::quantize

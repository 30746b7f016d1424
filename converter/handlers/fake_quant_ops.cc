// QAT import: TF's fake-quantization ops (FakeQuantWithMinMax*, and
// QuantizeAndDequantizeV2/V3/V4) become ONNX QuantizeLinear ->
// DequantizeLinear pairs carrying the trained ranges. Runtimes then see the
// quantized model the user trained (and fuse Q/DQ into integer kernels)
// instead of float rounding math.
//
// TF and ONNX agree on every value except exact rounding ties: TF's
// FakeQuant rounds half up (floor(v + 0.5)) where QuantizeLinear rounds half
// to even, so a value exactly between two levels may land one level apart.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// One quantization grid per channel (or one for the whole tensor), in the
// integer range [qmin, qmax] of an 8-bit type.
struct QdqSpec {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  bool is_signed = false;  // int8, else uint8
  int32_t qmin = 0;        // the op's integer range, inside the type's
  int32_t qmax = 255;
  std::optional<int64_t> axis;  // per-channel axis, or per-tensor
  // Clamp bounds applied before quantizing when [qmin, qmax] is narrower
  // than the type's range (saturation alone would keep one level too many).
  std::vector<float> clamp_lo, clamp_hi;
};

absl::Status RequireFloat(const NodeContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  if (t != DataType::kFloat && t != DataType::kUndefined) {
    return ctx.Unsupported(absl::StrCat("fake quantization of ", ir::DataTypeName(t),
                                        " (QuantizeLinear below opset 19 takes float32)"));
  }
  return absl::OkStatus();
}

// Input i as float values; an error naming the node when it is not a constant
// (ranges trained as variables are constants once the graph is frozen).
absl::StatusOr<std::vector<float>> ConstFloats(const NodeContext& ctx, int i,
                                               const std::string& what) {
  const ir::Tensor* t = ctx.const_input(i);
  if (t == nullptr) {
    return ctx.Unsupported(absl::StrCat(what, " computed at run time (only constant ranges, "
                                              "as a frozen graph has, convert)"));
  }
  auto values = t->ToDoubles();
  if (!values.ok()) return ctx.Error(absl::StrCat(what, ": ", values.status().message()));
  std::vector<float> out;
  out.reserve(values->size());
  for (double v : *values) {
    if (!std::isfinite(v)) return ctx.Error(absl::StrCat(what, " is not finite"));
    out.push_back(static_cast<float>(v));
  }
  if (out.empty()) return ctx.Error(absl::StrCat(what, " is empty"));
  return out;
}

// Maps an unsigned grid whose zero point sits at the middle of 0..255 onto
// int8 with zero point 0 (the same real values): the symmetric form
// TensorRT and most NPUs expect for weights.
void PreferSymmetricInt8(QdqSpec& s) {
  if (s.is_signed || s.qmax != 255) return;
  for (int32_t z : s.zero_point) {
    if (z != 128) return;
  }
  s.is_signed = true;
  for (int32_t& z : s.zero_point) z = 0;
  s.qmin -= 128;
  s.qmax -= 128;
}

// FakeQuantWithMinMax*: TF nudges [min, max] so that zero is a grid point.
absl::StatusOr<QdqSpec> FakeQuantSpec(const NodeContext& ctx, const std::vector<float>& mins,
                                      const std::vector<float>& maxs) {
  const int64_t bits = ctx.attr_int("num_bits", 8);
  if (bits < 2 || bits > 8) {
    return ctx.Unsupported(absl::StrCat("num_bits=", bits, " (2 to 8 convert to 8-bit Q/DQ)"));
  }
  const bool narrow = ctx.attr_bool("narrow_range", false);
  QdqSpec s;
  s.qmin = narrow ? 1 : 0;
  s.qmax = (1 << bits) - 1;
  const float qmin_f = static_cast<float>(s.qmin);
  const float qmax_f = static_cast<float>(s.qmax);
  for (size_t c = 0; c < mins.size(); ++c) {
    const float lo = mins[c];
    const float hi = maxs[c];
    if (!(lo < hi)) {
      return ctx.Error(absl::StrCat("fake-quantization range [", lo, ", ", hi,
                                    "] is empty (min must be below max)"));
    }
    const float scale = (hi - lo) / (qmax_f - qmin_f);
    const float zp_from_min = qmin_f - lo / scale;
    int32_t zp;
    if (zp_from_min < qmin_f) {
      zp = s.qmin;
    } else if (zp_from_min > qmax_f) {
      zp = s.qmax;
    } else {
      zp = static_cast<int32_t>(std::round(zp_from_min));
    }
    s.scale.push_back(scale);
    s.zero_point.push_back(zp);
    s.clamp_lo.push_back((qmin_f - static_cast<float>(zp)) * scale);
    s.clamp_hi.push_back((qmax_f - static_cast<float>(zp)) * scale);
  }
  PreferSymmetricInt8(s);
  return s;
}

// QuantizeAndDequantizeV2/V3/V4: a symmetric grid (zero point 0) whose one
// side is widened so that the range's ends are grid points.
absl::StatusOr<QdqSpec> QuantizeAndDequantizeSpec(const NodeContext& ctx, int64_t bits,
                                                  const std::vector<float>& mins,
                                                  const std::vector<float>& maxs,
                                                  bool range_given) {
  if (bits < 2 || bits > 8) {
    return ctx.Unsupported(absl::StrCat("num_bits=", bits, " (2 to 8 convert to 8-bit Q/DQ)"));
  }
  const bool is_signed = ctx.attr_bool("signed_input", true);
  const bool narrow = ctx.attr_bool("narrow_range", false);
  QdqSpec s;
  s.is_signed = is_signed;
  s.qmax = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  s.qmin = is_signed ? (narrow ? -s.qmax : -(1 << (bits - 1))) : 0;
  const float qmin_f = static_cast<float>(s.qmin);
  const float qmax_f = static_cast<float>(s.qmax);
  constexpr float kNoScale = std::numeric_limits<float>::max();
  for (size_t c = 0; c < mins.size(); ++c) {
    float lo = mins[c];
    float hi = maxs[c];
    if (range_given && lo > hi) {
      return ctx.Error(absl::StrCat("input_min ", lo, " is above input_max ", hi));
    }
    const float from_min = qmin_f * lo > 0 ? qmin_f / lo : kNoScale;
    const float from_max = qmax_f * hi > 0 ? qmax_f / hi : kNoScale;
    float inverse;
    if (from_min < from_max) {
      inverse = lo / qmin_f;
      hi = qmax_f * inverse;
    } else if (from_max != kNoScale) {
      inverse = hi / qmax_f;
      lo = qmin_f * inverse;
    } else {
      // An all-zero range: TF multiplies by FLT_MAX and divides back, which
      // gives zero for the zeros it can only have seen.
      inverse = 1.0f;
      lo = hi = 0.0f;
    }
    s.scale.push_back(inverse);
    s.zero_point.push_back(0);
    s.clamp_lo.push_back(lo);
    s.clamp_hi.push_back(hi);
  }
  if (!range_given) {
    // TF clamps only to a given range; a measured one holds the data.
    s.clamp_lo.clear();
    s.clamp_hi.clear();
  }
  return s;
}

// A constant shaped to broadcast along `axis` of a rank-`rank` tensor.
std::string ChannelConst(NodeContext& ctx, const std::vector<float>& v,
                         std::optional<int64_t> axis, int rank, const std::string& hint) {
  if (!axis.has_value()) return ctx.AddConst(ir::Tensor::Scalar<float>(v[0]), hint);
  std::vector<int64_t> dims(static_cast<size_t>(rank - *axis), 1);
  dims[0] = static_cast<int64_t>(v.size());
  return ctx.AddConst(ir::Tensor::FromVector<float>(std::move(dims), v), hint);
}

absl::Status EmitQdq(NodeContext& ctx, QdqSpec s) {
  std::string x = ctx.input(0);
  const int type_lo = s.is_signed ? -128 : 0;
  const int type_hi = s.is_signed ? 127 : 255;
  std::optional<int> rank = ctx.input_rank(0);
  if (s.axis.has_value()) {
    if (!rank.has_value()) return ctx.Error("per-channel fake quantization needs a known rank");
    if (*s.axis < 0) *s.axis += *rank;
    if (*s.axis < 0 || *s.axis >= *rank) {
      return ctx.Error(absl::StrCat("axis is out of range for rank ", *rank));
    }
  }
  if (!s.clamp_lo.empty() && (s.qmin != type_lo || s.qmax != type_hi)) {
    if (!s.axis.has_value()) {
      x = ctx.AddNode("Clip", {x, ctx.AddConst(ir::Tensor::Scalar<float>(s.clamp_lo[0]), "qmin"),
                               ctx.AddConst(ir::Tensor::Scalar<float>(s.clamp_hi[0]), "qmax")});
    } else {
      x = ctx.AddNode("Max", {x, ChannelConst(ctx, s.clamp_lo, s.axis, *rank, "qmin")});
      x = ctx.AddNode("Min", {x, ChannelConst(ctx, s.clamp_hi, s.axis, *rank, "qmax")});
    }
  }
  std::string scale;
  std::string zero_point;
  if (s.axis.has_value()) {
    scale = ctx.AddConst(ir::Tensor::Vector1D<float>(s.scale), "scale");
    if (s.is_signed) {
      zero_point = ctx.AddConst(ir::Tensor::Vector1D<int8_t>(std::vector<int8_t>(
                                    s.zero_point.begin(), s.zero_point.end())),
                                "zero_point");
    } else {
      zero_point = ctx.AddConst(ir::Tensor::Vector1D<uint8_t>(std::vector<uint8_t>(
                                    s.zero_point.begin(), s.zero_point.end())),
                                "zero_point");
    }
  } else {
    scale = ctx.AddConst(ir::Tensor::Scalar<float>(s.scale[0]), "scale");
    zero_point = s.is_signed
                     ? ctx.AddConst(ir::Tensor::Scalar<int8_t>(static_cast<int8_t>(s.zero_point[0])),
                                    "zero_point")
                     : ctx.AddConst(
                           ir::Tensor::Scalar<uint8_t>(static_cast<uint8_t>(s.zero_point[0])),
                           "zero_point");
  }
  std::vector<Attribute> attrs;
  if (s.axis.has_value()) attrs.push_back(Attribute::Int("axis", *s.axis));
  const std::string q = ctx.AddNode("QuantizeLinear", {x, scale, zero_point}, attrs);
  ctx.SetOutput(0, ctx.AddNode("DequantizeLinear", {q, scale, zero_point}, attrs));
  return absl::OkStatus();
}

absl::Status ConvertFakeQuantArgs(NodeContext& ctx) {
  if (auto st = RequireFloat(ctx); !st.ok()) return st;
  const float lo = ctx.attr_float("min", -6.0f);
  const float hi = ctx.attr_float("max", 6.0f);
  auto spec = FakeQuantSpec(ctx, {lo}, {hi});
  if (!spec.ok()) return spec.status();
  return EmitQdq(ctx, *std::move(spec));
}

absl::Status ConvertFakeQuantVars(NodeContext& ctx) {
  if (auto st = RequireFloat(ctx); !st.ok()) return st;
  const bool per_channel = ctx.op_type() == "FakeQuantWithMinMaxVarsPerChannel";
  auto mins = ConstFloats(ctx, 1, "min");
  if (!mins.ok()) return mins.status();
  auto maxs = ConstFloats(ctx, 2, "max");
  if (!maxs.ok()) return maxs.status();
  if (mins->size() != maxs->size() || (!per_channel && mins->size() != 1)) {
    return ctx.Error(absl::StrCat("min has ", mins->size(), " values and max ", maxs->size(),
                                  per_channel ? "" : " (expected scalars)"));
  }
  auto spec = FakeQuantSpec(ctx, *mins, *maxs);
  if (!spec.ok()) return spec.status();
  if (per_channel) spec->axis = -1;  // TF's channels are the last dimension
  return EmitQdq(ctx, *std::move(spec));
}

// The data's own range (per channel along `axis`, or whole) of a constant
// input, as TF measures it when range_given is false.
absl::Status MeasureRange(const NodeContext& ctx, std::optional<int64_t> axis,
                          std::vector<float>& mins, std::vector<float>& maxs) {
  const ir::Tensor* t = ctx.const_input(0);
  if (t == nullptr) {
    return ctx.Unsupported(
        "range_given=false on a non-constant input (a range measured at run time)");
  }
  auto values = t->ToDoubles();
  if (!values.ok() || values->empty()) return ctx.Error("cannot read the constant input");
  int64_t channels = 1;
  int64_t inner = 1;
  if (axis.has_value()) {
    int64_t a = *axis < 0 ? *axis + t->rank() : *axis;
    if (a < 0 || a >= t->rank()) return ctx.Error("axis is out of range");
    channels = t->dims()[static_cast<size_t>(a)];
    for (int k = static_cast<int>(a) + 1; k < t->rank(); ++k) inner *= t->dims()[k];
  }
  mins.assign(static_cast<size_t>(channels), std::numeric_limits<float>::infinity());
  maxs.assign(static_cast<size_t>(channels), -std::numeric_limits<float>::infinity());
  for (size_t i = 0; i < values->size(); ++i) {
    const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels);
    const float v = static_cast<float>((*values)[i]);
    mins[c] = std::min(mins[c], v);
    maxs[c] = std::max(maxs[c], v);
  }
  return absl::OkStatus();
}

absl::Status ConvertQuantizeAndDequantize(NodeContext& ctx) {
  if (auto st = RequireFloat(ctx); !st.ok()) return st;
  int64_t bits = ctx.attr_int("num_bits", 8);
  if (ctx.op_type() == "QuantizeAndDequantizeV3") {
    auto b = ctx.const_ints(3);
    if (!b.ok()) return b.status();
    if (b->size() != 1) return ctx.Error("num_bits must be a scalar");
    bits = (*b)[0];
  }
  const std::string round_mode = ctx.attr_string("round_mode", "HALF_TO_EVEN");
  if (round_mode != "HALF_TO_EVEN" && round_mode != "HALF_UP") {
    return ctx.Unsupported(absl::StrCat("round_mode ", round_mode));
  }
  const int64_t axis_attr = ctx.attr_int("axis", -1);
  const std::optional<int64_t> axis =
      axis_attr == -1 ? std::nullopt : std::optional<int64_t>(axis_attr);
  const bool range_given = ctx.attr_bool("range_given", false);
  std::vector<float> mins, maxs;
  if (range_given) {
    auto lo = ConstFloats(ctx, 1, "input_min");
    if (!lo.ok()) return lo.status();
    auto hi = ConstFloats(ctx, 2, "input_max");
    if (!hi.ok()) return hi.status();
    mins = *std::move(lo);
    maxs = *std::move(hi);
    if (mins.size() != maxs.size() || (!axis.has_value() && mins.size() != 1)) {
      return ctx.Error("input_min and input_max must be scalars, or one value per channel");
    }
  } else if (auto st = MeasureRange(ctx, axis, mins, maxs); !st.ok()) {
    return st;
  }
  auto spec = QuantizeAndDequantizeSpec(ctx, bits, mins, maxs, range_given);
  if (!spec.ok()) return spec.status();
  spec->axis = axis;
  return EmitQdq(ctx, *std::move(spec));
}

}  // namespace

// QuantizeLinear/DequantizeLinear with per-axis parameters exist from opset
// 13 on, unchanged for float32 through 21.
void RegisterFakeQuantOps(HandlerRegistry& r) {
  r.Register({"FakeQuantWithMinMaxArgs"}, kMinOpset, Inputs(1), ConvertFakeQuantArgs);
  r.Register({"FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxVarsPerChannel"}, kMinOpset,
             Inputs(3), ConvertFakeQuantVars);
  r.Register({"QuantizeAndDequantizeV2", "QuantizeAndDequantizeV4"}, kMinOpset, Inputs(3),
             ConvertQuantizeAndDequantize);
  r.Register({"QuantizeAndDequantizeV3"}, kMinOpset, Inputs(4), ConvertQuantizeAndDequantize);
}

}  // namespace onnxsmith::converter

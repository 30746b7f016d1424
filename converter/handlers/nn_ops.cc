// Neural-network TF ops that are not windowed: FusedBatchNorm*, BiasAdd,
// activations, Softmax/LogSoftmax and LRN. The windowed ones (Conv*, pools)
// live in conv_ops.cc and are registered from RegisterNnOps too.
#include <cmath>
#include <cstdint>
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

// Defined in conv_ops.cc.
namespace {

using ir::Attribute;
using ir::DataType;

// The element type of input `i`: inferred, else the node's type attribute
// (inference knows nothing of opsets above libonnx's).
absl::StatusOr<DataType> InputDtype(const NodeContext& ctx, int i, const std::string& type_attr) {
  const DataType inferred = ctx.input_dtype(i);
  if (inferred != DataType::kUndefined) return inferred;
  auto from_attr = ctx.attr_type(type_attr);
  if (from_attr.ok()) return *from_attr;
  return ctx.Error(absl::StrCat("the element type of input ", i, " is unknown"));
}

// A constant of `dtype` holding `values` (computed in double). The IR cannot
// narrow constants to float16/bfloat16, so those go through a Cast node on a
// float constant, which constant folding removes.
absl::StatusOr<std::string> TypedConst(NodeContext& ctx, std::vector<int64_t> dims,
                                       const std::vector<double>& values, DataType dtype,
                                       const std::string& hint) {
  const ir::Tensor wide = ir::Tensor::FromVector<double>(std::move(dims), values);
  auto exact = wide.CastTo(dtype);
  if (exact.ok()) return ctx.AddConst(*std::move(exact), hint);
  if (!ir::IsFloating(dtype)) return exact.status();
  auto as_float = wide.CastTo(DataType::kFloat);
  if (!as_float.ok()) return as_float.status();
  return ctx.Cast(ctx.AddConst(*std::move(as_float), hint), dtype);
}

// A data_format of a normalization op: channels last or first, and the rank
// it implies (TF's FusedBatchNorm takes 4-D, and 5-D from V3 on).
struct ChannelLayout {
  bool channels_last = true;
  int rank = 4;
};

absl::StatusOr<ChannelLayout> ParseChannelLayout(const NodeContext& ctx) {
  const std::string format = ctx.attr_string("data_format", "NHWC");
  if (format == "NHWC") return ChannelLayout{true, 4};
  if (format == "NCHW") return ChannelLayout{false, 4};
  if (format == "NDHWC") return ChannelLayout{true, 5};
  if (format == "NCDHW") return ChannelLayout{false, 5};
  return ctx.Unsupported(absl::StrCat("data_format '", format, "'"));
}

// Dims that broadcast a per-channel vector of `channels` against a
// channels-first tensor of `rank`: [C, 1, ..., 1].
std::vector<int64_t> ChannelsFirstBroadcastDims(int64_t channels, int rank) {
  std::vector<int64_t> dims(rank - 1, 1);
  dims[0] = channels;
  return dims;
}

// --- FusedBatchNorm, FusedBatchNormV2, FusedBatchNormV3 ---

// With constant statistics BN is y = x * scale' + shift' per channel; Mul and
// Add broadcast on the channel axis in either layout, so no transposes.
absl::Status EmitFoldedBatchNorm(NodeContext& ctx, const ChannelLayout& layout, DataType dtype,
                                 double epsilon) {
  std::vector<std::vector<double>> params;  // gamma, beta, mean, variance
  for (int i = 1; i <= 4; ++i) {
    auto values = ctx.const_input(i)->ToDoubles();
    if (!values.ok()) return values.status();
    params.push_back(*std::move(values));
  }
  const size_t channels = params[0].size();
  for (const auto& p : params) {
    if (p.size() != channels) {
      return ctx.Error("scale, offset, mean and variance differ in size");
    }
  }
  std::vector<double> scale(channels);
  std::vector<double> shift(channels);
  for (size_t c = 0; c < channels; ++c) {
    scale[c] = params[0][c] / std::sqrt(params[3][c] + epsilon);
    shift[c] = params[1][c] - params[2][c] * scale[c];
  }
  const int64_t c = static_cast<int64_t>(channels);
  const std::vector<int64_t> dims =
      layout.channels_last ? std::vector<int64_t>{c} : ChannelsFirstBroadcastDims(c, layout.rank);
  auto scale_c = TypedConst(ctx, dims, scale, dtype, "scale");
  if (!scale_c.ok()) return scale_c.status();
  auto shift_c = TypedConst(ctx, dims, shift, dtype, "shift");
  if (!shift_c.ok()) return shift_c.status();

  const std::string y =
      ctx.AddNode("Add", {ctx.AddNode("Mul", {ctx.input(0), *scale_c}), *shift_c});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// Statistics computed at run time: ONNX BatchNormalization, which is NCHW.
absl::Status EmitBatchNormalization(NodeContext& ctx, const ChannelLayout& layout, DataType dtype,
                                    float epsilon) {
  // BatchNormalization before opset 15 wants every input in X's type; V2/V3
  // may carry float statistics for a half input.
  std::vector<std::string> inputs = {ctx.input(0)};
  for (int i = 1; i <= 4; ++i) {
    std::string param = ctx.input(i);
    const DataType param_type = ctx.input_dtype(i);
    if (param_type != DataType::kUndefined && param_type != dtype) param = ctx.Cast(param, dtype);
    inputs.push_back(param);
  }
  if (layout.channels_last) inputs[0] = ctx.ToChannelsFirst(inputs[0], layout.rank);
  std::string y =
      ctx.AddNode("BatchNormalization", std::move(inputs), {Attribute::Float("epsilon", epsilon)});
  if (layout.channels_last) y = ctx.ToChannelsLast(y, layout.rank);
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// Training mode normalizes with the batch's own moments (in the statistics'
// type U): y, then the batch mean and the Bessel-corrected variance, each
// blended with the running value by exponential_avg_factor when it is not 1;
// reserve spaces 1 and 2 are the batch mean and the biased variance.
absl::Status EmitTrainingBatchNorm(NodeContext& ctx, const ChannelLayout& layout, DataType dtype,
                                   float epsilon) {
  auto stats_type = InputDtype(ctx, 1, "U");
  const DataType u = stats_type.ok() ? *stats_type : dtype;
  const std::string x = ctx.Cast(ctx.input(0), u);
  std::vector<int64_t> axes;
  const int channel = layout.channels_last ? layout.rank - 1 : 1;
  for (int a = 0; a < layout.rank; ++a) {
    if (a != channel) axes.push_back(a);
  }
  const std::string mean = ctx.Reduce("ReduceMean", x, axes, true);
  const std::string centered = ctx.AddNode("Sub", {x, mean});
  const std::string var =
      ctx.Reduce("ReduceMean", ctx.AddNode("Mul", {centered, centered}), axes, true);
  std::vector<int64_t> param_dims = {-1};
  if (!layout.channels_last) param_dims = ChannelsFirstBroadcastDims(-1, layout.rank);
  const std::string scale = ctx.Reshape(ctx.Cast(ctx.input(1), u), param_dims);
  const std::string offset = ctx.Reshape(ctx.Cast(ctx.input(2), u), param_dims);
  auto eps = TypedConst(ctx, {}, {epsilon}, u, "epsilon");
  if (!eps.ok()) return eps.status();
  const std::string inv_std =
      ctx.AddNode("Reciprocal", {ctx.AddNode("Sqrt", {ctx.AddNode("Add", {var, *eps})})});
  const std::string y = ctx.AddNode(
      "Add", {ctx.AddNode("Mul", {ctx.AddNode("Mul", {centered, inv_std}), scale}), offset});
  ctx.SetOutput(0, ctx.Cast(y, dtype));

  const std::string batch_mean = ctx.Reshape(mean, {-1});
  const std::string batch_var = ctx.Reshape(var, {-1});
  // n / (n - 1), n the elements per channel (TF divides by max(n - 1, 1)).
  const std::string n = ctx.Cast(
      ctx.AddNode("Div", {ctx.AddNode("Size", {x}), ctx.AddNode("Size", {batch_mean})}), u);
  auto one = TypedConst(ctx, {}, {1.0}, u, "one");
  if (!one.ok()) return one.status();
  const std::string bessel = ctx.AddNode(
      "Div", {n, ctx.AddNode("Max", {ctx.AddNode("Sub", {n, *one}), *one})});
  std::string out_mean = batch_mean;
  std::string out_var = ctx.AddNode("Mul", {batch_var, bessel});
  const float factor = ctx.attr_float("exponential_avg_factor", 1.0f);
  if (factor != 1.0f) {
    auto f = TypedConst(ctx, {}, {factor}, u, "factor");
    auto keep = TypedConst(ctx, {}, {1.0 - factor}, u, "keep");
    if (!f.ok()) return f.status();
    if (!keep.ok()) return keep.status();
    auto blend = [&](const std::string& running, const std::string& batch) {
      return ctx.AddNode("Add", {ctx.AddNode("Mul", {running, *keep}),
                                 ctx.AddNode("Mul", {batch, *f})});
    };
    out_mean = blend(ctx.input(3), out_mean);
    out_var = blend(ctx.input(4), out_var);
  }
  ctx.SetOutput(1, out_mean);
  ctx.SetOutput(2, out_var);
  ctx.SetOutput(3, batch_mean);
  ctx.SetOutput(4, batch_var);
  return absl::OkStatus();
}

absl::Status ConvertFusedBatchNorm(NodeContext& ctx) {
  auto layout = ParseChannelLayout(ctx);
  if (!layout.ok()) return layout.status();
  // V3 also takes 5-D input under the 2-D format names.
  if (const std::optional<int> rank = ctx.input_rank(0); rank && *rank >= 3) layout->rank = *rank;
  auto dtype = InputDtype(ctx, 0, "T");
  if (!dtype.ok()) return dtype.status();
  const float epsilon = ctx.attr_float("epsilon", 1e-4f);
  // TF's default is training mode, where the batch's own moments are used.
  if (ctx.attr_bool("is_training", true)) return EmitTrainingBatchNorm(ctx, *layout, *dtype, epsilon);

  bool params_constant = true;
  for (int i = 1; i <= 4; ++i) params_constant = params_constant && ctx.const_input(i) != nullptr;
  absl::Status status = params_constant ? EmitFoldedBatchNorm(ctx, *layout, *dtype, epsilon)
                                        : EmitBatchNormalization(ctx, *layout, *dtype, epsilon);
  if (!status.ok()) return status;

  // In inference mode the batch statistics and the reserve spaces 1 and 2 are
  // the population statistics passed in. reserve_space_3 (V3) is an opaque
  // buffer for the gradient op and stays unbound.
  ctx.SetOutputAlias(1, ctx.input(3));
  ctx.SetOutputAlias(2, ctx.input(4));
  ctx.SetOutputAlias(3, ctx.input(3));
  ctx.SetOutputAlias(4, ctx.input(4));
  return absl::OkStatus();
}

// --- BiasAdd, BiasAddV1 ---

absl::Status ConvertBiasAdd(NodeContext& ctx) {
  // BiasAddV1 has no data_format: always the last dim.
  const std::string format = ctx.attr_string("data_format", "NHWC");
  std::string bias = ctx.input(1);
  if (format == "NCHW") {
    // TF adds along dim 1 for any rank >= 2 in NCHW.
    const std::optional<int> rank = ctx.input_rank(0);
    if (!rank) return ctx.Unsupported("NCHW BiasAdd on an input of unknown rank");
    if (*rank > 2) {
      if (const ir::Tensor* b = ctx.const_input(1)) {
        if (b->rank() != 1) return ctx.Error("bias must be 1-D");
        auto reshaped = b->Reshaped(ChannelsFirstBroadcastDims(b->dims()[0], *rank));
        if (!reshaped.ok()) return reshaped.status();
        bias = ctx.AddConst(*std::move(reshaped), "bias");
      } else {
        std::vector<int64_t> axes;
        for (int a = 1; a < *rank - 1; ++a) axes.push_back(a);
        bias = ctx.Unsqueeze(bias, axes);
      }
    }
  } else if (format != "NHWC") {
    return ctx.Unsupported(absl::StrCat("data_format '", format, "'"));
  }
  ctx.SetOutput(0, ctx.AddNode("Add", {ctx.input(0), bias}));
  return absl::OkStatus();
}

// --- activations ---

absl::Status ConvertRelu(NodeContext& ctx) {
  auto dtype = InputDtype(ctx, 0, "T");
  if (!dtype.ok()) return dtype.status();
  // Relu accepts integers only from opset 14; Max does at 13.
  if (ctx.opset() < 14 && !ir::IsFloating(*dtype)) {
    auto zero = TypedConst(ctx, {}, {0.0}, *dtype, "zero");
    if (!zero.ok()) return zero.status();
    ctx.SetOutput(0, ctx.AddNode("Max", {ctx.input(0), *zero}));
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.AddNode("Relu", {ctx.input(0)}));
  return absl::OkStatus();
}

absl::Status ConvertRelu6(NodeContext& ctx) {
  auto dtype = InputDtype(ctx, 0, "T");
  if (!dtype.ok()) return dtype.status();
  // Clip's bounds are inputs of X's type since opset 11.
  auto lo = TypedConst(ctx, {}, {0.0}, *dtype, "min");
  if (!lo.ok()) return lo.status();
  auto hi = TypedConst(ctx, {}, {6.0}, *dtype, "max");
  if (!hi.ok()) return hi.status();
  ctx.SetOutput(0, ctx.AddNode("Clip", {ctx.input(0), *lo, *hi}));
  return absl::OkStatus();
}

// Ops whose ONNX counterpart differs only in fixed or renamed attributes.
absl::Status ConvertActivation(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  std::vector<Attribute> attrs;
  if (op == "Elu") {
    attrs.push_back(Attribute::Float("alpha", 1.0f));
  } else if (op == "Selu") {
    // TF's constants, spelled out rather than relying on ONNX's defaults.
    attrs.push_back(Attribute::Float("alpha", 1.6732632423543772f));
    attrs.push_back(Attribute::Float("gamma", 1.0507009873554805f));
  } else if (op == "LeakyRelu") {
    // TF's default slope is 0.2, ONNX's 0.01.
    attrs.push_back(Attribute::Float("alpha", ctx.attr_float("alpha", 0.2f)));
  } else if (op == "Softmax" || op == "LogSoftmax") {
    // TF normalizes over the last axis; from opset 13 ONNX's axis is that axis alone.
    attrs.push_back(Attribute::Int("axis", -1));
  }
  // The other ops (Sigmoid, Tanh, Softplus, Softsign) share TF's names.
  ctx.SetOutput(0, ctx.AddNode(op, {ctx.input(0)}, std::move(attrs)));
  return absl::OkStatus();
}

// --- LRN ---

// TF sums squares over depth_radius channels on each side and scales by
// alpha; ONNX sums over `size` channels and scales by alpha / size.
absl::Status ConvertLrn(NodeContext& ctx) {
  const int64_t radius = ctx.attr_int("depth_radius", 5);
  if (radius < 0) return ctx.Error("depth_radius must be >= 0");
  const int64_t size = 2 * radius + 1;
  const float alpha = ctx.attr_float("alpha", 1.0f);
  std::vector<Attribute> attrs = {
      Attribute::Int("size", size),
      Attribute::Float("alpha", alpha * static_cast<float>(size)),
      Attribute::Float("beta", ctx.attr_float("beta", 0.5f)),
      Attribute::Float("bias", ctx.attr_float("bias", 1.0f)),
  };
  // TF's LRN is NHWC only.
  const std::string x = ctx.ToChannelsFirst(ctx.input(0), 4);
  const std::string y = ctx.AddNode("LRN", {x}, std::move(attrs));
  ctx.SetOutput(0, ctx.ToChannelsLast(y, 4));
  return absl::OkStatus();
}

}  // namespace

// Every ONNX op used here keeps its signature over opsets 13..21 (Relu-14 and
// BatchNormalization-14/15 only widen types or add training-mode attributes),
// so one version per handler covers the range.
void RegisterNnOps(HandlerRegistry& r) {
  r.Register({"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}, kMinOpset, Inputs(5),
             ConvertFusedBatchNorm);
  r.Register({"BiasAdd", "BiasAddV1"}, kMinOpset, Inputs(2), ConvertBiasAdd);
  r.Register({"Relu"}, kMinOpset, Inputs(1), ConvertRelu);
  r.Register({"Relu6"}, kMinOpset, Inputs(1), ConvertRelu6);
  r.Register({"Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Softsign", "Softmax",
              "LogSoftmax"},
             kMinOpset, Inputs(1), ConvertActivation);
  r.Register({"LRN"}, kMinOpset, Inputs(1), ConvertLrn);
}

}  // namespace onnxsmith::converter

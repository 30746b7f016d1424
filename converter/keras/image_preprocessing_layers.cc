// Keras 3 image preprocessing layers whose inference is not a plain identity
// or resize (those are in preprocessing_layers.cc):
//   AutoContrast: always applied (training or not): per image and channel,
//     rescales [min, max] over height and width to the value_range; a flat
//     channel (max == min) gives NaN in Keras' arithmetic and keeps its input.
//   Solarization, Equalization: applied only when training; at inference
//     Keras casts the images to the compute dtype and returns them.
//   MaxNumBoundingBoxes: pads/crops bounding boxes only; images pass through.
// The layers assume channels last for AutoContrast (Keras reduces axes 1, 2).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::DataType;

bool IsFloat(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16;
}

// The input as the layer's compute dtype (float32 unless the input is float).
std::string ComputeImages(LayerContext& ctx) {
  return IsFloat(ctx.input_dtype(0)) ? ctx.input(0) : ctx.Cast(ctx.input(0), DataType::kFloat);
}

// value_range [low, high] (sorted as Keras sorts it), default (0, 255).
absl::StatusOr<std::pair<double, double>> ValueRange(LayerContext& ctx) {
  const Json* v = ctx.cfg("value_range");
  if (v == nullptr) return std::make_pair(0.0, 255.0);
  if (!v->is_array() || v->size() != 2 || !(*v)[0].is_number() || !(*v)[1].is_number()) {
    return ctx.Error("value_range is not a pair of numbers");
  }
  double lo = (*v)[0].get<double>(), hi = (*v)[1].get<double>();
  if (lo > hi) std::swap(lo, hi);
  return std::make_pair(lo, hi);
}

// (x - from_lo) / (from_hi - from_lo) * (to_hi - to_lo) + to_lo, op by op as
// Keras' _transform_value_range computes it; unchanged if the ranges are equal.
std::string TransformValueRange(LayerContext& ctx, const std::string& x, DataType t,
                                std::pair<double, double> from, std::pair<double, double> to) {
  if (from == to) return x;
  std::string y = ctx.AddNode("Sub", {x, ctx.ConstScalar(t, from.first, "from_low")});
  y = ctx.AddNode("Div", {y, ctx.ConstScalar(t, from.second - from.first, "from_span")});
  y = ctx.AddNode("Mul", {y, ctx.ConstScalar(t, to.second - to.first, "to_span")});
  return ctx.AddNode("Add", {y, ctx.ConstScalar(t, to.first, "to_low")});
}

absl::Status ConvertAutoContrast(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 4) {
    return ctx.Unsupported(
        absl::StrCat("an input of rank ", rank, " (a batch of images, rank 4, is supported)"));
  }
  ASSIGN_OR_RETURN(auto range, ValueRange(ctx));
  const std::string original = ComputeImages(ctx);
  const DataType t = ctx.TypeOf(original).dtype;
  const std::pair<double, double> full = {0.0, 255.0};
  const std::string x = TransformValueRange(ctx, original, t, range, full);
  const std::string low = ctx.Reduce("ReduceMin", x, {1, 2}, true);
  const std::string high = ctx.Reduce("ReduceMax", x, {1, 2}, true);
  const std::string scale =
      ctx.AddNode("Div", {ctx.ConstScalar(t, 255.0, "full"), ctx.AddNode("Sub", {high, low})});
  const std::string offset = ctx.AddNode("Mul", {ctx.AddNode("Neg", {low}), scale});
  const std::string scaled = ctx.AddNode("Add", {ctx.AddNode("Mul", {x, scale}), offset});
  // NaN (a flat channel) is tested before clipping: Clip's NaN handling is
  // not specified by ONNX, while Keras' clip keeps it and then restores the input.
  const std::string is_nan = ctx.AddNode("IsNaN", {scaled});
  std::string y = ctx.AddNode(
      "Clip", {scaled, ctx.ConstScalar(t, 0.0, "zero"), ctx.ConstScalar(t, 255.0, "full")});
  y = TransformValueRange(ctx, y, t, full, range);
  ctx.SetOutput(0, ctx.AddNode("Where", {is_nan, original, y}));
  return absl::OkStatus();
}

absl::Status ConvertInferenceCast(LayerContext& ctx) {
  ctx.SetOutput(0, ComputeImages(ctx));
  return absl::OkStatus();
}

absl::Status ConvertPassThrough(LayerContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  return absl::OkStatus();
}

}  // namespace

void RegisterImagePreprocessingLayers(LayerRegistry& r) {
  r.Register({"AutoContrast"}, Inputs(1), ConvertAutoContrast,
             "a batch of channels-last images (rank 4); applied at inference too");
  r.Register({"Solarization", "Equalization"}, Inputs(1), ConvertInferenceCast,
             "identity at inference (Keras casts to the compute dtype and applies it only when "
             "training)");
  r.Register({"MaxNumBoundingBoxes"}, Inputs(1), ConvertPassThrough,
             "images pass through (the layer pads bounding boxes only)");
}

}  // namespace onnxsmith::converter::keras

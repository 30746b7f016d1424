// keras.ops.image operations recorded in functional models: CropImages,
// PadImages (to target sizes or by amounts), RGBToHSV/HSVToRGB (the TF
// kernels' formulas, emit/color.h). Batched or single images, channels last
// or first.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/emit/color.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::DataType;

// The height and width axes of an image tensor of rank 3 or 4.
absl::StatusOr<std::pair<int64_t, int64_t>> ImageAxes(LayerContext& ctx, int rank) {
  if (rank != 3 && rank != 4) return ctx.Error(absl::StrCat("expects rank-3 or rank-4 images, got rank ", rank));
  ASSIGN_OR_RETURN(bool channels_first, ctx.ChannelsFirst());
  const int64_t h = rank - (channels_first ? 2 : 3);
  return std::make_pair(h, h + 1);
}

std::optional<int64_t> OptInt(LayerContext& ctx, const char* key) {
  const Json* v = ctx.cfg(key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<int64_t>();
}

// The (before, after) amounts along one axis of `size` from the config's
// `before`, `after` and `target` keys, as keras.ops.image resolves them: two
// of the three given; for cropping, target is what remains.
absl::StatusOr<std::pair<int64_t, int64_t>> Amounts(LayerContext& ctx, const char* before_key,
                                                    const char* after_key, const char* target_key,
                                                    int64_t size, bool crop) {
  auto before = OptInt(ctx, before_key), after = OptInt(ctx, after_key), target = OptInt(ctx, target_key);
  const int given = (before ? 1 : 0) + (after ? 1 : 0) + (target ? 1 : 0);
  if (given != 2) {
    if (given == 0) return std::make_pair<int64_t, int64_t>(0, 0);
    return ctx.Error(absl::StrCat("needs two of ", before_key, ", ", after_key, ", ", target_key));
  }
  if (target) {
    if (size < 0) return ctx.Unsupported("a target size on an image axis of unknown size");
    const int64_t total = crop ? size - *target : *target - size;
    if (total < 0) return ctx.Error(absl::StrCat(target_key, " does not fit the image"));
    if (!before) before = total - *after;
    if (!after) after = total - *before;
  }
  if (*before < 0 || *after < 0) return ctx.Error("negative amounts");
  return std::make_pair(*before, *after);
}

absl::Status ConvertCropOrPad(LayerContext& ctx) {
  const bool crop = ctx.class_name() == "CropImages";
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(auto axes, ImageAxes(ctx, rank));
  auto dims = ctx.input_dims(0);
  const int64_t height = dims ? (*dims)[axes.first] : -1, width = dims ? (*dims)[axes.second] : -1;
  const std::string p = crop ? "cropping" : "padding";
  ASSIGN_OR_RETURN(auto hv, Amounts(ctx, ("top_" + p).c_str(), ("bottom_" + p).c_str(), "target_height",
                                    height, crop));
  ASSIGN_OR_RETURN(auto wv, Amounts(ctx, ("left_" + p).c_str(), ("right_" + p).c_str(), "target_width",
                                    width, crop));
  const std::string x = ctx.input(0);
  if (crop) {
    ctx.SetOutput(0, ctx.AddNode("Slice", {x, ctx.ConstInt64s({hv.first, wv.first}, "starts"),
                                           ctx.ConstInt64s({-hv.second - 1 == -1 ? INT64_MAX : -hv.second,
                                                            -wv.second - 1 == -1 ? INT64_MAX : -wv.second},
                                                           "ends"),
                                           ctx.ConstInt64s({axes.first, axes.second}, "axes")}));
    return absl::OkStatus();
  }
  std::vector<int64_t> pads(2 * rank, 0);
  pads[axes.first] = hv.first;
  pads[axes.second] = wv.first;
  pads[rank + axes.first] = hv.second;
  pads[rank + axes.second] = wv.second;
  ctx.SetOutput(0, ctx.AddNode("Pad", {x, ctx.ConstInt64s(pads, "pads")}));
  return absl::OkStatus();
}

absl::Status ConvertColorSpace(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(bool channels_first, ctx.ChannelsFirst());
  const DataType t = ctx.input_dtype(0);
  if (!ir::IsFloating(t)) return ctx.Unsupported("non-float images");
  auto dims = ctx.input_dims(0);
  const int c = channels_first ? rank - 3 : rank - 1;
  if (c < 0 || !dims || (*dims)[c] != 3) return ctx.Error("images must have 3 channels");
  std::vector<int64_t> perm;
  for (int k = 0; k < rank; ++k) {
    if (k != c) perm.push_back(k);
  }
  perm.push_back(c);
  std::vector<int64_t> back(rank);
  for (int k = 0; k < rank; ++k) back[perm[k]] = k;
  const std::string x = ctx.Cast(ctx.Transpose(ctx.input(0), perm), DataType::kFloat);
  const ColorChannels ch = SplitColorChannels(ctx, x);
  const ColorChannels out = ctx.class_name() == "RGBToHSV" ? RgbToHsv(ctx, ch) : HsvToRgb(ctx, ch);
  ctx.SetOutput(0, ctx.Transpose(ctx.Cast(JoinColorChannels(ctx, out), t), back));
  return absl::OkStatus();
}

}  // namespace

void RegisterKerasImageOps(LayerRegistry& r) {
  r.Register(Prefixed({"CropImages", "PadImages"}), Inputs(1), ConvertCropOrPad,
             "Keras 3 operation; target sizes need the image size static");
  r.Register(Prefixed({"RGBToHSV", "HSVToRGB"}), Inputs(1), ConvertColorSpace,
             "Keras 3 operation; float images");
}

}  // namespace onnxsmith::converter::keras

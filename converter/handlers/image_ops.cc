// Image layout ops that ONNX defines on NCHW only: SpaceToDepth,
// DepthToSpace, ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

// TF's bicubic weights at static sizes (image_resample_ops.cc); false when
// the sizes are not static.
bool EmitStaticResizeBicubic(NodeContext& ctx, absl::Status* status);

namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Layout ops that ONNX defines on NCHW only

// Runs the NCHW `emit` on an NHWC (default) or NCHW input.
template <typename EmitFn>
absl::Status OnNchw(NodeContext& ctx, EmitFn emit) {
  const std::string format = ctx.attr_string("data_format", "NHWC");
  if (format == "NCHW") {
    ctx.SetOutput(0, emit(ctx.input(0)));
    return absl::OkStatus();
  }
  if (format != "NHWC") return ctx.Unsupported(absl::StrCat("data_format ", format));
  std::string nchw = ctx.ToChannelsFirst(ctx.input(0), 4);
  ctx.SetOutput(0, ctx.ToChannelsLast(emit(nchw), 4));
  return absl::OkStatus();
}

absl::Status ConvertSpaceToDepth(NodeContext& ctx) {
  const int64_t block = ctx.attr_int("block_size", 0);
  if (block < 2) return ctx.Error(absl::StrCat("block_size must be at least 2, got ", block));
  return OnNchw(ctx, [&](const std::string& x) {
    return ctx.AddNode("SpaceToDepth", {x}, {Attribute::Int("blocksize", block)});
  });
}

// TF's DepthToSpace reads depth as (block_row, block_col, channel): ONNX's DCR.
absl::Status ConvertDepthToSpace(NodeContext& ctx) {
  const int64_t block = ctx.attr_int("block_size", 0);
  if (block < 2) return ctx.Error(absl::StrCat("block_size must be at least 2, got ", block));
  return OnNchw(ctx, [&](const std::string& x) {
    return ctx.AddNode("DepthToSpace", {x},
                       {Attribute::Int("blocksize", block), Attribute::String("mode", "DCR")});
  });
}

// TF resize ops take NHWC images and a [new_height, new_width] size.
enum class Interpolation { kNearest, kBilinear, kBicubic };

absl::Status EmitResize(NodeContext& ctx, Interpolation mode) {
  const bool bilinear = mode != Interpolation::kNearest;  // float output, as TF's
  const bool align_corners = ctx.attr_bool("align_corners", false);
  const bool half_pixel = ctx.attr_bool("half_pixel_centers", false);
  if (align_corners && half_pixel) {
    return ctx.Error("align_corners and half_pixel_centers cannot both be set");
  }
  std::vector<Attribute> attrs;
  if (bilinear) {
    attrs.push_back(Attribute::String("mode", mode == Interpolation::kBicubic ? "cubic" : "linear"));
    if (mode == Interpolation::kBicubic) {
      // Dynamic sizes: ONNX's exact cubic, within ~1e-3 of TF's tabulated
      // one. TF's legacy kernel uses a = -0.75 with edge-clamped taps; with
      // half-pixel centers Keys' a = -0.5 and out-of-image taps dropped
      // and the weights renormalized (ONNX exclude_outside).
      attrs.push_back(Attribute::Float("cubic_coeff_a", half_pixel ? -0.5f : -0.75f));
      attrs.push_back(Attribute::Int("exclude_outside", half_pixel ? 1 : 0));
    }
    attrs.push_back(
        Attribute::String("coordinate_transformation_mode", align_corners ? "align_corners"
                                                            : half_pixel  ? "half_pixel"
                                                                          : "asymmetric"));
  } else {
    // TF nearest: align_corners rounds (half up) x*(in-1)/(out-1); half-pixel
    // takes floor((x+0.5)*scale), which is half_pixel with round-half-up
    // (tf_half_pixel_for_nn left ONNX at opset 13); else floor(x*scale).
    attrs.push_back(Attribute::String("mode", "nearest"));
    attrs.push_back(
        Attribute::String("coordinate_transformation_mode", align_corners ? "align_corners"
                                                            : half_pixel  ? "half_pixel"
                                                                          : "asymmetric"));
    attrs.push_back(Attribute::String("nearest_mode",
                                      align_corners || half_pixel ? "round_prefer_ceil" : "floor"));
  }
  std::optional<int> rank = ctx.input_rank(0);
  if (rank && *rank != 4) return ctx.Error(absl::StrCat("images must be 4-D, got rank ", *rank));
  // TF's bilinear resize returns float32 whatever the image type.
  const DataType dtype = bilinear ? DataType::kFloat : InputDType(ctx, 0);
  std::string image = bilinear ? ctx.Cast(ctx.input(0), DataType::kFloat) : ctx.input(0);
  std::string nchw = ctx.ToChannelsFirst(image, 4);
  // sizes = [N, C, new_h, new_w]; 'sizes' needs every axis before opset 18.
  std::string batch_channels = ctx.AddNode(
      "Slice",
      {ctx.AddNode("Shape", {nchw}), ctx.ConstInt64s({0}, "starts"), ctx.ConstInt64s({2}, "ends")});
  std::string sizes =
      ctx.AddNode("Concat", {batch_channels, Int64Input(ctx, 1)}, {Attribute::Int("axis", 0)});
  std::string resized = ctx.AddNode("Resize", {nchw, "", "", sizes}, std::move(attrs));
  RecordType(ctx, resized, dtype, std::vector<int64_t>{-1, -1, -1, -1});
  ctx.SetOutput(0, ctx.ToChannelsLast(resized, 4));
  return absl::OkStatus();
}

absl::Status ConvertResizeBilinear(NodeContext& ctx) { return EmitResize(ctx, Interpolation::kBilinear); }
absl::Status ConvertResizeNearest(NodeContext& ctx) { return EmitResize(ctx, Interpolation::kNearest); }
absl::Status ConvertResizeBicubic(NodeContext& ctx) {
  absl::Status status;
  if (EmitStaticResizeBicubic(ctx, &status)) return status;
  return EmitResize(ctx, Interpolation::kBicubic);
}

}  // namespace

void RegisterImageOps(HandlerRegistry& r) {
  r.Register({"SpaceToDepth"}, kMinOpset, Inputs(1), ConvertSpaceToDepth);
  r.Register({"DepthToSpace"}, kMinOpset, Inputs(1), ConvertDepthToSpace);
  r.Register({"ResizeBilinear"}, kMinOpset, Inputs(2), ConvertResizeBilinear);
  r.Register({"ResizeNearestNeighbor"}, kMinOpset, Inputs(2), ConvertResizeNearest);
  r.Register({"ResizeBicubic"}, kMinOpset, Inputs(2), ConvertResizeBicubic);
}

}  // namespace onnxsmith::converter

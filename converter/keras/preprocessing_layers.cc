// Keras preprocessing layers that run in the graph at inference: image
// resizing and cropping (Resizing, CenterCrop, RandomCrop), the random image
// augmentations (identity at inference), and the categorical encoders
// (CategoryEncoding, Discretization). Their inference semantics follow
// Keras 3 (TensorFlow backend): tf.image.resize without antialiasing, i.e.
// half-pixel centers. RandomCrop is an identity at inference: Keras 3.15
// returns its input unchanged for training=False (although it declares the
// crop size as its output shape), and the converter matches what Keras computes.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/categorical.h"
#include "converter/keras/image_resize.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// An image batch: rank 4, its layout, and its static spatial size (-1 unknown).
struct Images {
  bool channels_first = false;
  int64_t height = -1;
  int64_t width = -1;
};

absl::StatusOr<Images> GetImages(LayerContext& ctx) {
  Images im;
  ASSIGN_OR_RETURN(im.channels_first, ctx.ChannelsFirst());
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 4) {
    return ctx.Unsupported(absl::StrCat("an input of rank ", rank, " (a batch of images, rank 4, is supported)"));
  }
  if (auto dims = ctx.input_dims(0)) {
    im.height = (*dims)[im.channels_first ? 2 : 1];
    im.width = (*dims)[im.channels_first ? 3 : 2];
  }
  return im;
}

absl::StatusOr<std::string> FloatImages(LayerContext& ctx) {
  const DataType t = ctx.input_dtype(0);
  if (t == DataType::kFloat || t == DataType::kDouble || t == DataType::kFloat16) return ctx.input(0);
  return ctx.Cast(ctx.input(0), DataType::kFloat);
}

// Slices rows [top, top + h) and columns [left, left + w).
std::string Crop(LayerContext& ctx, const Images& im, const std::string& x, int64_t top, int64_t h,
                 int64_t left, int64_t w) {
  const int64_t ha = im.channels_first ? 2 : 1;
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({top, left}, "starts"),
                               ctx.ConstInt64s({top + h, left + w}, "ends"),
                               ctx.ConstInt64s({ha, ha + 1}, "axes")});
}

// tf.image.resize(x, (h, w), method) without antialiasing, on either layout.
absl::StatusOr<std::string> Resize(LayerContext& ctx, const Images& im, const std::string& x,
                                   int64_t h, int64_t w, const std::string& method) {
  std::vector<Attribute> attrs = {Attribute::String("coordinate_transformation_mode", "half_pixel")};
  if (method == "bilinear") {
    attrs.push_back(Attribute::String("mode", "linear"));
  } else if (method == "nearest") {
    // TF: src = floor((dst + 0.5) * in / out) = round_prefer_ceil of the half-pixel coordinate.
    attrs.push_back(Attribute::String("mode", "nearest"));
    attrs.push_back(Attribute::String("nearest_mode", "round_prefer_ceil"));
  } else if (method == "bicubic") {
    if (im.height < 0 || im.width < 0) {
      return ctx.Unsupported("bicubic interpolation with an image size unknown before run time");
    }
    return EmitTfBicubicResize(ctx, x, im.channels_first, im.height, im.width, h, w);
  } else {
    return ctx.Unsupported(absl::StrCat("interpolation '", method,
                                        "' (bilinear, nearest and bicubic convert)"));
  }
  const std::string nchw = im.channels_first ? x : ctx.ToChannelsFirst(x, 4);
  const std::string batch_channels =
      ctx.AddNode("Slice", {ctx.AddNode("Shape", {nchw}), ctx.ConstInt64s({0}, "start"),
                            ctx.ConstInt64s({2}, "end")});
  const std::string sizes = ctx.AddNode(
      "Concat", {batch_channels, ctx.ConstInt64s({h, w}, "size")}, {Attribute::Int("axis", 0)});
  const std::string y = ctx.AddNode("Resize", {nchw, "", "", sizes}, attrs);
  return im.channels_first ? y : ctx.ToChannelsLast(y, 4);
}

// The central crop of the target's aspect ratio (Keras' crop_to_aspect_ratio, smart_resize).
absl::StatusOr<std::string> CropToAspectRatio(LayerContext& ctx, const Images& im,
                                              const std::string& x, int64_t th, int64_t tw) {
  if (im.height < 0 || im.width < 0) {
    return ctx.Unsupported("crop_to_aspect_ratio with an image size unknown before run time");
  }
  int64_t ch = static_cast<int64_t>(static_cast<float>(im.width * th) / static_cast<float>(tw));
  ch = std::max<int64_t>(std::min(im.height, ch), 1);
  int64_t cw = static_cast<int64_t>(static_cast<float>(im.height * tw) / static_cast<float>(th));
  cw = std::max<int64_t>(std::min(im.width, cw), 1);
  const int64_t top = static_cast<int64_t>(static_cast<float>(im.height - ch) / 2);
  const int64_t left = static_cast<int64_t>(static_cast<float>(im.width - cw) / 2);
  if (ch == im.height && cw == im.width) return x;
  return Crop(ctx, im, x, top, ch, left, cw);
}

// Pads with fill_value to the target's aspect ratio, the same amount on both
// sides (Keras' pad_to_aspect_ratio).
absl::StatusOr<std::string> PadToAspectRatio(LayerContext& ctx, const Images& im,
                                             const std::string& x, int64_t th, int64_t tw) {
  if (im.height < 0 || im.width < 0) {
    return ctx.Unsupported("pad_to_aspect_ratio with an image size unknown before run time");
  }
  if (ctx.String("fill_mode", "constant") != "constant") {
    return ctx.Unsupported(absl::StrCat("fill_mode '", ctx.String("fill_mode", ""), "'"));
  }
  const int64_t ph = std::max(im.height, static_cast<int64_t>(static_cast<float>(im.width * th) /
                                                              static_cast<float>(tw)));
  const int64_t pw = std::max(im.width, static_cast<int64_t>(static_cast<float>(im.height * tw) /
                                                             static_cast<float>(th)));
  const int64_t top = static_cast<int64_t>(static_cast<float>(ph - im.height) / 2);
  const int64_t left = static_cast<int64_t>(static_cast<float>(pw - im.width) / 2);
  if (top == 0 && left == 0) return x;
  std::vector<int64_t> pads(8, 0);
  const int ha = im.channels_first ? 2 : 1;
  pads[ha] = pads[ha + 4] = top;
  pads[ha + 1] = pads[ha + 5] = left;
  return ctx.AddNode("Pad", {x, ctx.ConstInt64s(pads, "pads"),
                             ctx.ConstScalar(ctx.TypeOf(x).dtype, ctx.Float("fill_value", 0.0),
                                             "fill_value")});
}

absl::Status ConvertResizing(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Images im, GetImages(ctx));
  ASSIGN_OR_RETURN(int64_t h, ctx.RequiredInt("height"));
  ASSIGN_OR_RETURN(int64_t w, ctx.RequiredInt("width"));
  if (ctx.Bool("antialias", false)) return ctx.Unsupported("antialias=True");
  ASSIGN_OR_RETURN(std::string x, FloatImages(ctx));
  if (ctx.Bool("crop_to_aspect_ratio", false)) {
    ASSIGN_OR_RETURN(x, CropToAspectRatio(ctx, im, x, h, w));
  } else if (ctx.Bool("pad_to_aspect_ratio", false)) {
    ASSIGN_OR_RETURN(x, PadToAspectRatio(ctx, im, x, h, w));
  }
  ASSIGN_OR_RETURN(std::string y, Resize(ctx, im, x, h, w, ctx.String("interpolation", "bilinear")));
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// CenterCrop: a central crop when the image is at least the target size,
// else smart_resize (crop to the aspect ratio, then bilinear resize).
absl::Status ConvertCenterCrop(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Images im, GetImages(ctx));
  ASSIGN_OR_RETURN(int64_t h, ctx.RequiredInt("height"));
  ASSIGN_OR_RETURN(int64_t w, ctx.RequiredInt("width"));
  if (im.height < 0 || im.width < 0) {
    return ctx.Unsupported("an image size unknown before run time");
  }
  ASSIGN_OR_RETURN(std::string x, FloatImages(ctx));
  if (im.height >= h && im.width >= w) {
    ctx.SetOutput(0, Crop(ctx, im, x, (im.height - h) / 2, h, (im.width - w) / 2, w));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(x, CropToAspectRatio(ctx, im, x, h, w));
  ASSIGN_OR_RETURN(std::string y, Resize(ctx, im, x, h, w, "bilinear"));
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::Status ConvertIdentity(LayerContext& ctx) {
  ctx.SetOutput(0, ctx.input(0));
  ctx.PropagateMask();
  return absl::OkStatus();
}

DataType OutputType(const LayerContext& ctx, const char* key, DataType fallback) {
  const std::string name = ctx.String(key, "");
  if (name == "float32") return DataType::kFloat;
  if (name == "float64") return DataType::kDouble;
  if (name == "float16") return DataType::kFloat16;
  if (name == "int32") return DataType::kInt32;
  if (name == "int64") return DataType::kInt64;
  return fallback;
}

}  // namespace

absl::StatusOr<std::string> EncodeCategorical(LayerContext& ctx, std::string ids, int rank,
                                              const std::string& mode, int64_t depth,
                                              DataType dtype) {
  if (mode == "int") return ctx.Cast(ids, dtype);
  if (mode != "one_hot" && mode != "multi_hot" && mode != "count") {
    return ctx.Unsupported(absl::StrCat("output_mode '", mode, "'"));
  }
  if (mode != "one_hot" && rank != 2 && rank != 1) {
    return ctx.Unsupported(absl::StrCat("output_mode '", mode, "' on a rank-", rank,
                                        " input (rank 1 or 2, [batch, ids], converts)"));
  }
  auto dims = ctx.StaticDims(ids);
  if (mode == "one_hot" && rank > 1 && dims && dims->back() == 1) ids = ctx.Squeeze(ids, {-1});
  const std::string hot = ctx.AddNode(
      "OneHot", {ids, ctx.ConstInt64s({depth}, "depth"),
                 ctx.AddConst(*ir::Tensor::FromVector<float>({2}, {0.0f, 1.0f}).CastTo(dtype), "values")},
      {Attribute::Int("axis", -1)});
  if (mode == "one_hot") return hot;
  // A rank-1 input is one sample.
  return ctx.Reduce(mode == "count" ? "ReduceSum" : "ReduceMax", hot, {rank - 1}, false);
}

namespace {

absl::Status ConvertCategoryEncoding(LayerContext& ctx) {
  if (ctx.Bool("sparse", false)) return ctx.Unsupported("sparse=True");
  ASSIGN_OR_RETURN(int64_t depth, ctx.RequiredInt("num_tokens"));
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  ASSIGN_OR_RETURN(std::string y,
                   EncodeCategorical(ctx, ctx.Cast(ctx.input(0), DataType::kInt64), rank,
                                     ctx.String("output_mode", "multi_hot"), depth,
                                     OutputType(ctx, "dtype", DataType::kFloat)));
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// Discretization: the bucket of x is the number of bin boundaries <= x
// (numpy.digitize), then encoded as output_mode says.
absl::Status ConvertDiscretization(LayerContext& ctx) {
  if (ctx.Bool("sparse", false)) return ctx.Unsupported("sparse=True");
  const Json* bins = ctx.cfg("bin_boundaries");
  if (bins == nullptr || !bins->is_array()) {
    return ctx.Error("has no bin_boundaries (a layer neither adapted nor given boundaries)");
  }
  std::vector<float> bounds;
  for (const Json& b : *bins) {
    if (!b.is_number()) return ctx.Error("bin_boundaries holds a non-number");
    bounds.push_back(b.get<float>());
  }
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  std::string x = ctx.input(0);
  if (ctx.input_dtype(0) != DataType::kFloat) x = ctx.Cast(x, DataType::kFloat);
  std::string ids;
  if (bounds.empty()) {
    ids = ctx.Cast(ctx.AddNode("Mul", {x, ctx.ConstFloat(0.0f, "zero")}), DataType::kInt64);
  } else {
    const std::string ge = ctx.AddNode(
        "GreaterOrEqual",
        {ctx.Unsqueeze(x, {-1}),
         ctx.ConstFloats({static_cast<int64_t>(bounds.size())}, bounds, "bin_boundaries")});
    ids = ctx.Reduce("ReduceSum", ctx.Cast(ge, DataType::kInt64), {rank}, false);
  }
  const std::string mode = ctx.String("output_mode", "int");
  const DataType dtype = mode == "int" ? DataType::kInt64 : DataType::kFloat;
  ASSIGN_OR_RETURN(std::string y,
                   EncodeCategorical(ctx, ids, rank, mode, static_cast<int64_t>(bounds.size()) + 1,
                                     OutputType(ctx, "output_dtype", dtype)));
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterPreprocessingLayers(LayerRegistry& r) {
  r.Register({"Resizing"}, Inputs(1), ConvertResizing,
             "interpolation bilinear, nearest or bicubic; crop_to_aspect_ratio and "
             "pad_to_aspect_ratio need a static image size; no antialias");
  r.Register({"CenterCrop"}, Inputs(1), ConvertCenterCrop,
             "static image size; smaller images are smart-resized as Keras does");
  r.Register({"RandomCrop", "RandomGrayscale", "RandomHue", "RandomSaturation", "RandomSharpness",
              "RandomShear", "RandomColorJitter", "RandomColorDegeneration",
              "RandomPosterization", "RandomInvert", "RandomPerspective",
              "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "MixUp", "CutMix",
              "AugMix", "RandAugment"},
             Inputs(1), ConvertIdentity,
             "identity at inference (RandomCrop too: Keras 3 returns its input unchanged)");
  r.Register({"CategoryEncoding"}, Inputs(1), ConvertCategoryEncoding,
             "one_hot, multi_hot, count (rank-1 or 2 input for the last two); no count_weights, "
             "no sparse output");
  r.Register({"Discretization"}, Inputs(1), ConvertDiscretization,
             "bin_boundaries from the config (after adapt too); output_mode int, one_hot, "
             "multi_hot, count; no sparse output");
}

}  // namespace onnxsmith::converter::keras

// Image ops that resample or regroup pixels beyond ONNX Resize: ResizeArea,
// ResizeBicubic at static sizes, CropAndResize, ExtractImagePatches,
// MaxPoolWithArgmax and CombinedNonMaxSuppression. Images are NHWC.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/emit/padding.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// The static [N, H, W, C] dims of input 0 (N and C may be -1).
absl::StatusOr<std::vector<int64_t>> ImageDims(const NodeContext& ctx, bool need_hw) {
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  if (!dims || dims->size() != 4) return ctx.Error("images must be 4-D (NHWC)");
  if (need_hw && ((*dims)[1] < 0 || (*dims)[2] < 0)) {
    return ctx.Unsupported(absl::StrCat(ctx.op_type(),
                                        " of images with a dynamic height or width (the "
                                        "conversion builds its tables from them)"));
  }
  return *dims;
}

// --- ResizeArea: TF's box filter, one weight matrix per axis ---

// w[o][i]: the overlap of input pixel i (index clamped) with output pixel o's
// span [o * scale, (o + 1) * scale), over the span's length.
std::vector<float> AreaWeights(int64_t in, int64_t out, bool align_corners) {
  const double scale = align_corners && out > 1 ? static_cast<double>(in - 1) / (out - 1)
                                                 : static_cast<double>(in) / out;
  const float fscale = static_cast<float>(scale);
  std::vector<float> w(static_cast<size_t>(out * in), 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    const float lo = o * fscale;
    const float hi = (o + 1) * fscale;
    const int64_t start = static_cast<int64_t>(std::floor(lo));
    const int64_t end = static_cast<int64_t>(std::ceil(hi));
    for (int64_t i = start; i < end; ++i) {
      const float part = std::min<float>(static_cast<float>(i + 1), hi) - std::max<float>(static_cast<float>(i), lo);
      const int64_t at = std::clamp<int64_t>(i, 0, in - 1);
      w[static_cast<size_t>(o * in + at)] += part / fscale;
    }
  }
  return w;
}

// --- ResizeBicubic with static sizes: TF's kernel as weight matrices ---

// TF evaluates its cubic kernel from a table of 1024 steps per pixel, not
// exactly: its weights are reproduced here (ONNX Resize's exact cubic differs
// by up to ~1e-3).
constexpr int64_t kCubicTable = 1 << 10;

std::vector<float> CubicTable(double a) {
  std::vector<float> table(static_cast<size_t>((kCubicTable + 1) * 2));
  for (int64_t i = 0; i <= kCubicTable; ++i) {
    float x = static_cast<float>(i * 1.0 / kCubicTable);
    table[static_cast<size_t>(i * 2)] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x += 1.0f;
    table[static_cast<size_t>(i * 2 + 1)] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  }
  return table;
}

float ResizeScale(int64_t in, int64_t out, bool align_corners) {
  return align_corners && out > 1 ? (in - 1) / static_cast<float>(out - 1)
                                  : in / static_cast<float>(out);
}

// w[o][i] of TF's bicubic resize of one axis: four taps around the source
// position, clamped to the edge (legacy, a = -0.75) or, with half-pixel
// centers, dropped outside the image and renormalized (a = -0.5).
std::vector<float> CubicWeights(int64_t in, int64_t out, bool align_corners, bool half_pixel) {
  const std::vector<float> table = CubicTable(half_pixel ? -0.5 : -0.75);
  const float scale = ResizeScale(in, out, align_corners);
  std::vector<float> w(static_cast<size_t>(out * in), 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    const float loc_f = half_pixel ? (static_cast<float>(o) + 0.5f) * scale - 0.5f : o * scale;
    const int64_t loc = static_cast<int64_t>(std::floor(loc_f));
    const int64_t offset = lrintf((loc_f - loc) * kCubicTable);
    const float taps[4] = {table[static_cast<size_t>(offset * 2 + 1)], table[static_cast<size_t>(offset * 2)],
                           table[static_cast<size_t>((kCubicTable - offset) * 2)],
                           table[static_cast<size_t>((kCubicTable - offset) * 2 + 1)]};
    float weights[4];
    int64_t index[4];
    float sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t at = loc - 1 + k;
      index[k] = std::clamp<int64_t>(at, 0, in - 1);
      weights[k] = !half_pixel || index[k] == at ? taps[k] : 0.0f;
      sum += weights[k];
    }
    if (half_pixel && std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inv = 1.0f / sum;
      for (float& weight : weights) weight *= inv;
    }
    for (int k = 0; k < 4; ++k) w[static_cast<size_t>(o * in + index[k])] += weights[k];
  }
  return w;
}

}  // namespace

// out = Wh x Ww^T on the NCHW image, for per-axis weights w[o][i] (also
// ScaleAndTranslate's, scale_translate_ops.cc).
absl::Status EmitSeparable(NodeContext& ctx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                           const std::vector<float>& rows, const std::vector<float>& cols) {
  std::vector<float> cols_t(cols.size());
  for (int64_t o = 0; o < ow; ++o) {
    for (int64_t i = 0; i < w; ++i) {
      cols_t[static_cast<size_t>(i * ow + o)] = cols[static_cast<size_t>(o * w + i)];
    }
  }
  const std::string nchw = ctx.ToChannelsFirst(ctx.Cast(ctx.input(0), DataType::kFloat), 4);
  const std::string y = ctx.AddNode(
      "MatMul", {ctx.AddNode("MatMul", {ctx.ConstFloats({oh, h}, rows, "rows"), nchw}),
                 ctx.ConstFloats({w, ow}, cols_t, "cols")});
  ctx.SetOutput(0, ctx.ToChannelsLast(y, 4));
  return absl::OkStatus();
}

namespace {

// Static image and output sizes, else nullopt.
std::optional<std::vector<int64_t>> StaticResize(const NodeContext& ctx) {
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  auto size = ctx.const_ints(1);
  if (!dims || dims->size() != 4 || (*dims)[1] < 1 || (*dims)[2] < 1 || !size.ok() ||
      size->size() != 2 || (*size)[0] < 1 || (*size)[1] < 1) {
    return std::nullopt;
  }
  return std::vector<int64_t>{(*dims)[1], (*dims)[2], (*size)[0], (*size)[1]};
}

}  // namespace

// Declared in image_ops.cc, which falls back to ONNX Resize without static sizes.
bool EmitStaticResizeBicubic(NodeContext& ctx, absl::Status* status) {
  const std::optional<std::vector<int64_t>> s = StaticResize(ctx);
  if (!s) return false;
  const bool align = ctx.attr_bool("align_corners", false);
  const bool half_pixel = ctx.attr_bool("half_pixel_centers", false);
  const int64_t h = (*s)[0], w = (*s)[1], oh = (*s)[2], ow = (*s)[3];
  *status = EmitSeparable(ctx, h, w, oh, ow, CubicWeights(h, oh, align, half_pixel),
                          CubicWeights(w, ow, align, half_pixel));
  return true;
}

namespace {

absl::Status ConvertResizeArea(NodeContext& ctx) {
  auto dims = ImageDims(ctx, true);
  if (!dims.ok()) return dims.status();
  auto size = ctx.const_ints(1);
  if (!size.ok()) return size.status();
  if (size->size() != 2 || (*size)[0] < 1 || (*size)[1] < 1) {
    return ctx.Error("size must hold two positive values");
  }
  const bool align = ctx.attr_bool("align_corners", false);
  const int64_t h = (*dims)[1], w = (*dims)[2], oh = (*size)[0], ow = (*size)[1];
  return EmitSeparable(ctx, h, w, oh, ow, AreaWeights(h, oh, align), AreaWeights(w, ow, align));
}

// --- CropAndResize ---

std::string I64(NodeContext& ctx, int64_t v) { return ctx.ConstScalar(DataType::kInt64, v, "i"); }
std::string F32(NodeContext& ctx, float v) { return ctx.ConstFloat(v); }

// Sample coordinates along one axis for every box: [N, crop] in float, as
// TF's kernel computes them, and whether each lies inside the image.
struct Axis {
  std::string coord, inside;
};

Axis CropCoords(NodeContext& ctx, const std::string& lo, const std::string& hi,
                const std::string& size_m1, int64_t crop) {
  Axis axis;
  if (crop > 1) {
    // lo * (size - 1) + k * (hi - lo) * (size - 1) / (crop - 1)
    const std::string scale = ctx.AddNode(
        "Div", {ctx.AddNode("Mul", {ctx.AddNode("Sub", {hi, lo}), size_m1}), F32(ctx, crop - 1.0f)});
    std::vector<float> ks;
    for (int64_t k = 0; k < crop; ++k) ks.push_back(static_cast<float>(k));
    axis.coord = ctx.AddNode("Add", {ctx.AddNode("Mul", {lo, size_m1}),
                                     ctx.AddNode("Mul", {ctx.ConstFloats({1, crop}, ks, "k"), scale})});
  } else {
    axis.coord = ctx.AddNode("Mul", {ctx.AddNode("Mul", {F32(ctx, 0.5f), ctx.AddNode("Add", {lo, hi})}),
                                     size_m1});
  }
  axis.inside = ctx.AddNode("And", {ctx.AddNode("GreaterOrEqual", {axis.coord, F32(ctx, 0.0f)}),
                                    ctx.AddNode("LessOrEqual", {axis.coord, size_m1})});
  return axis;
}

absl::Status ConvertCropAndResize(NodeContext& ctx) {
  auto dims = ImageDims(ctx, false);
  if (!dims.ok()) return dims.status();
  auto crop = ctx.const_ints(3);
  if (!crop.ok()) return crop.status();
  if (crop->size() != 2 || (*crop)[0] < 1 || (*crop)[1] < 1) {
    return ctx.Error("crop_size must hold two positive values");
  }
  const std::string method = ctx.attr_string("method", "bilinear");
  if (method != "bilinear" && method != "nearest") {
    return ctx.Unsupported(absl::StrCat("method '", method, "'"));
  }
  const int64_t ch = (*crop)[0], cw = (*crop)[1];
  const std::string image = ctx.Cast(ctx.input(0), DataType::kFloat);
  const std::string shape = ctx.AddNode("Shape", {image});
  auto dim_m1 = [&](int64_t k, DataType t) {
    const std::string d = ctx.AddNode("Gather", {shape, I64(ctx, k)});
    return ctx.Cast(ctx.AddNode("Sub", {d, I64(ctx, 1)}), t);
  };
  const std::string boxes = ctx.Cast(ctx.input(1), DataType::kFloat);
  auto coord = [&](int64_t k) {  // [N, 1]
    return ctx.AddNode("Gather", {boxes, ctx.ConstInt64s({k}, "c")}, {Attribute::Int("axis", 1)});
  };
  const Axis ys = CropCoords(ctx, coord(0), coord(2), dim_m1(1, DataType::kFloat), ch);
  const Axis xs = CropCoords(ctx, coord(1), coord(3), dim_m1(2, DataType::kFloat), cw);
  // GatherND index parts broadcast to [N, ch, cw, 1]: box image, row, column.
  const std::string b = ctx.Reshape(ctx.Cast(ctx.input(2), DataType::kInt64), {-1, 1, 1, 1});
  const std::string h_max = dim_m1(1, DataType::kInt64);
  const std::string w_max = dim_m1(2, DataType::kInt64);
  auto index = [&](const std::string& coord_f, const std::string& max, bool rows) {
    const std::string i = ctx.AddNode(
        "Min", {ctx.AddNode("Max", {ctx.Cast(coord_f, DataType::kInt64), I64(ctx, 0)}), max});
    return ctx.Unsqueeze(i, rows ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{1, 3});
  };
  const std::string full = ctx.AddNode(
      "Concat", {ctx.AddNode("Shape", {ys.coord}), ctx.ConstInt64s({cw, 1}, "full")},
      {Attribute::Int("axis", 0)});
  auto sample = [&](const std::string& row, const std::string& col) {
    std::vector<std::string> parts;
    for (const std::string& p : {b, row, col}) parts.push_back(ctx.AddNode("Expand", {p, full}));
    return ctx.AddNode("GatherND", {image, ctx.AddNode("Concat", parts, {Attribute::Int("axis", -1)})});
  };
  std::string out;
  if (method == "nearest") {
    // std::round of a non-negative coordinate: floor(x + 0.5).
    auto nearest = [&](const std::string& c) {
      return ctx.AddNode("Floor", {ctx.AddNode("Add", {c, F32(ctx, 0.5f)})});
    };
    out = sample(index(nearest(ys.coord), h_max, true), index(nearest(xs.coord), w_max, false));
  } else {
    const std::string top_f = ctx.AddNode("Floor", {ys.coord});
    const std::string left_f = ctx.AddNode("Floor", {xs.coord});
    const std::string top = index(top_f, h_max, true);
    const std::string bottom = index(ctx.AddNode("Ceil", {ys.coord}), h_max, true);
    const std::string left = index(left_f, w_max, false);
    const std::string right = index(ctx.AddNode("Ceil", {xs.coord}), w_max, false);
    const std::string y_lerp = ctx.Unsqueeze(ctx.AddNode("Sub", {ys.coord, top_f}), {2, 3});
    const std::string x_lerp = ctx.Unsqueeze(ctx.AddNode("Sub", {xs.coord, left_f}), {1, 3});
    auto lerp = [&](const std::string& a, const std::string& c, const std::string& t) {
      return ctx.AddNode("Add", {a, ctx.AddNode("Mul", {ctx.AddNode("Sub", {c, a}), t})});
    };
    const std::string upper = lerp(sample(top, left), sample(top, right), x_lerp);
    const std::string lower = lerp(sample(bottom, left), sample(bottom, right), x_lerp);
    out = lerp(upper, lower, y_lerp);
  }
  const std::string inside = ctx.AddNode(
      "And", {ctx.Unsqueeze(ys.inside, {2, 3}), ctx.Unsqueeze(xs.inside, {1, 3})});
  const float extrapolation = ctx.attr_float("extrapolation_value", 0.0f);
  const std::string result = ctx.AddNode("Where", {inside, out, F32(ctx, extrapolation)});
  // Inference loses the rank through the computed GatherND indices.
  ir::ValueType type;
  type.dtype = DataType::kFloat;
  type.shape = std::vector<ir::Dim>{ir::Dim{-1, ""}, ir::Dim{ch, ""}, ir::Dim{cw, ""},
                                    ir::Dim{(*dims)[3], ""}};
  ctx.SetType(result, std::move(type));
  ctx.SetOutput(0, result);
  return absl::OkStatus();
}

// --- ExtractImagePatches: one Gather over the flattened pixels ---

absl::Status ConvertExtractImagePatches(NodeContext& ctx) {
  auto dims = ImageDims(ctx, true);
  if (!dims.ok()) return dims.status();
  const std::vector<int64_t> ksizes = ctx.attr_ints("ksizes");
  const std::vector<int64_t> strides = ctx.attr_ints("strides");
  const std::vector<int64_t> rates = ctx.attr_ints("rates");
  if (ksizes.size() != 4 || strides.size() != 4 || rates.size() != 4) {
    return ctx.Error("ksizes, strides and rates must hold 4 values");
  }
  const std::string padding = ctx.attr_string("padding", "VALID");
  if (padding != "SAME" && padding != "VALID") {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  const int64_t h = (*dims)[1], w = (*dims)[2], c = (*dims)[3];
  if (c < 0) return ctx.Unsupported("ExtractImagePatches of images with a dynamic channel count");
  int64_t out[2], before[2];
  const int64_t in[2] = {h, w};
  for (int s = 0; s < 2; ++s) {
    const int64_t k = (ksizes[s + 1] - 1) * rates[s + 1] + 1;
    if (padding == "SAME") {
      out[s] = (in[s] + strides[s + 1] - 1) / strides[s + 1];
      before[s] = SamePadTotal(in[s], ksizes[s + 1], strides[s + 1], rates[s + 1]) / 2;
    } else {
      out[s] = in[s] >= k ? (in[s] - k) / strides[s + 1] + 1 : 0;
      before[s] = 0;
    }
  }
  // table[(oy, ox, ky, kx)] = the source pixel y * w + x, or h * w (zeros).
  std::vector<int64_t> table;
  for (int64_t oy = 0; oy < out[0]; ++oy) {
    for (int64_t ox = 0; ox < out[1]; ++ox) {
      for (int64_t ky = 0; ky < ksizes[1]; ++ky) {
        for (int64_t kx = 0; kx < ksizes[2]; ++kx) {
          const int64_t y = oy * strides[1] - before[0] + ky * rates[1];
          const int64_t x = ox * strides[2] - before[1] + kx * rates[2];
          const bool inside = y >= 0 && y < h && x >= 0 && x < w;
          table.push_back(inside ? y * w + x : h * w);
        }
      }
    }
  }
  auto zero = ZeroOrOneTensor(InputDType(ctx, 0), false);
  if (!zero.ok()) return ctx.Unsupported("the images' element type");
  const std::string pixels = ctx.Reshape(ctx.input(0), {0, h * w, c});
  const std::string zeros = ctx.AddNode(
      "Expand", {ctx.AddConst(*std::move(zero), "zero"),
                 ctx.AddNode("Concat", {ctx.AddNode("Slice", {ctx.AddNode("Shape", {pixels}),
                                                              ctx.ConstInt64s({0}, "b0"),
                                                              ctx.ConstInt64s({1}, "b1")}),
                                        ctx.ConstInt64s({1, c}, "row")},
                             {Attribute::Int("axis", 0)})});
  const std::string source =
      ctx.AddNode("Concat", {pixels, zeros}, {Attribute::Int("axis", 1)});
  const std::string picked = ctx.AddNode(
      "Gather", {source, ctx.ConstInt64s(table, "table")}, {Attribute::Int("axis", 1)});
  ctx.SetOutput(0, ctx.Reshape(picked, {0, out[0], out[1], ksizes[1] * ksizes[2] * c}));
  return absl::OkStatus();
}

// --- MaxPoolWithArgmax: ONNX MaxPool's Indices, renumbered to TF's NHWC ---

absl::Status ConvertMaxPoolWithArgmax(NodeContext& ctx) {
  auto dims = ImageDims(ctx, false);
  if (!dims.ok()) return dims.status();
  const std::vector<int64_t> ksize = ctx.attr_ints("ksize");
  const std::vector<int64_t> strides = ctx.attr_ints("strides");
  if (ksize.size() != 4 || strides.size() != 4 || ksize[0] != 1 || ksize[3] != 1) {
    return ctx.Error("ksize and strides must hold 4 values, pooling over height and width only");
  }
  const std::string padding_attr = ctx.attr_string("padding", "VALID");
  WindowPadding padding;
  if (padding_attr == "SAME") {
    padding.mode = WindowPadding::Mode::kSame;
  } else if (padding_attr != "VALID") {
    return ctx.Unsupported(absl::StrCat("padding '", padding_attr, "'"));
  }
  const DataType dtype = InputDType(ctx, 0);
  if (!ir::IsFloating(dtype)) {
    return ctx.Unsupported(absl::StrCat("MaxPoolWithArgmax of ", ir::DataTypeName(dtype)));
  }
  const Window window{{(*dims)[1], (*dims)[2]}, {ksize[1], ksize[2]}, {strides[1], strides[2]}, {1, 1}};
  std::vector<Attribute> attrs = WindowPaddingAttrs(padding, window);
  attrs.push_back(Attribute::Ints("kernel_shape", {ksize[1], ksize[2]}));
  attrs.push_back(Attribute::Ints("strides", {strides[1], strides[2]}));
  const std::string x = ctx.ToChannelsFirst(ctx.Cast(ctx.input(0), DataType::kFloat), 4);
  const std::vector<std::string> outs = ctx.AddNodeMulti("MaxPool", {x}, 2, std::move(attrs));
  ctx.SetOutput(0, ctx.Cast(ctx.ToChannelsLast(outs[0], 4), dtype));
  // ONNX flattens NCHW: ((n * C + c) * H + y) * W + x. TF: ((n * H + y) * W
  // + x) * C + c, the n term only with include_batch_in_index.
  const std::string shape = ctx.AddNode("Shape", {x});
  auto dim = [&](int64_t k) { return ctx.AddNode("Gather", {shape, I64(ctx, k)}); };
  const std::string c = dim(1);
  const std::string hw = ctx.AddNode("Mul", {dim(2), dim(3)});
  const std::string pixel = ctx.ToChannelsLast(ctx.AddNode("Mod", {outs[1], hw}), 4);  // y * W + x
  auto range = [&](const std::string& n) { return ctx.AddNode("Range", {I64(ctx, 0), n, I64(ctx, 1)}); };
  std::string index = ctx.AddNode("Add", {ctx.AddNode("Mul", {pixel, c}), range(c)});
  if (ctx.attr_bool("include_batch_in_index", false)) {
    const std::string batch = ctx.Reshape(range(dim(0)), {-1, 1, 1, 1});
    index = ctx.AddNode(
        "Add", {index, ctx.AddNode("Mul", {batch, ctx.AddNode("Mul", {hw, c})})});
  }
  auto targmax = ctx.attr_type("Targmax");
  ctx.SetOutput(1, ctx.Cast(index, targmax.ok() ? *targmax : DataType::kInt64));
  return absl::OkStatus();
}

// --- CombinedNonMaxSuppression: ONNX NMS per class, then a top-k per image ---

// The selected (image, class, box) triples, as int64 columns, of ONNX NMS
// over boxes [B, N, q, 4] shared by all classes (q = 1) or per class (q = C).
struct Selection {
  std::string image, cls, box;  // each [K]
};

absl::StatusOr<Selection> SelectPerClass(NodeContext& ctx, int64_t q, int64_t classes,
                                         const std::string& scores_bcn) {
  const std::string max_per_class = ctx.Reshape(ctx.Cast(ctx.input(2), DataType::kInt64), {1});
  const std::string iou = ctx.Reshape(ctx.Cast(ctx.input(4), DataType::kFloat), {1});
  const std::string threshold = ctx.Reshape(ctx.Cast(ctx.input(5), DataType::kFloat), {1});
  auto column = [&](const std::string& triples, int64_t k) {
    return ctx.AddNode("Gather", {triples, I64(ctx, k)}, {Attribute::Int("axis", 1)});
  };
  if (q == 1) {
    const std::string triples = ctx.AddNode(
        "NonMaxSuppression", {ctx.Squeeze(ctx.input(0), {2}), scores_bcn, max_per_class, iou, threshold});
    return Selection{column(triples, 0), column(triples, 1), column(triples, 2)};
  }
  // One NMS "image" per (image, class): [B*C, N, 4] boxes, [B*C, 1, N] scores.
  const std::string by_class = ctx.Transpose(ctx.input(0), {0, 2, 1, 3});  // [B, C, N, 4]
  const std::string n = ctx.AddNode("Slice", {ctx.AddNode("Shape", {by_class}), ctx.ConstInt64s({2}, "n0"),
                                              ctx.ConstInt64s({3}, "n1")});
  const std::string boxes = ctx.AddNode(
      "Reshape", {by_class, ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "bc"), n, ctx.ConstInt64s({4}, "four")},
                                        {Attribute::Int("axis", 0)})});
  const std::string per_class = ctx.Reshape(scores_bcn, {-1, 1, 0});
  const std::string triples =
      ctx.AddNode("NonMaxSuppression", {boxes, per_class, max_per_class, iou, threshold});
  const std::string bc = column(triples, 0);
  return Selection{ctx.AddNode("Div", {bc, I64(ctx, classes)}),
                   ctx.AddNode("Mod", {bc, I64(ctx, classes)}), column(triples, 2)};
}

absl::Status ConvertCombinedNms(NodeContext& ctx) {
  const std::optional<std::vector<int64_t>> bdims = ctx.input_dims(0);
  const std::optional<std::vector<int64_t>> sdims = ctx.input_dims(1);
  if (!bdims || bdims->size() != 4 || !sdims || sdims->size() != 3) {
    return ctx.Error("boxes must be [batch, boxes, q, 4] and scores [batch, boxes, classes]");
  }
  const int64_t q = (*bdims)[2], classes = (*sdims)[2];
  if (q < 1 || classes < 1 || (q != 1 && q != classes)) {
    return ctx.Unsupported("boxes whose q dimension is not static 1 or the class count");
  }
  auto max_total = ConstScalarInt(ctx, 3, "max_total_size");
  if (!max_total.ok()) return max_total.status();
  int64_t out_size = *max_total;
  if (ctx.attr_bool("pad_per_class", false)) {
    auto per_class = ConstScalarInt(ctx, 2, "max_output_size_per_class");
    if (!per_class.ok()) return per_class.status();
    out_size = std::min(out_size, *per_class * classes);
  }
  const std::string scores_bcn = ctx.Transpose(ctx.Cast(ctx.input(1), DataType::kFloat), {0, 2, 1});
  auto sel = SelectPerClass(ctx, q, classes, scores_bcn);
  if (!sel.ok()) return sel.status();
  // Every image's class-major score table [B, C*N], -inf where not selected.
  const std::string shape = ctx.AddNode("Shape", {scores_bcn});
  const std::string n = ctx.AddNode("Gather", {shape, I64(ctx, 2)});
  const std::string table_size = ctx.AddNode("Mul", {n, I64(ctx, classes)});
  const std::string at = ctx.AddNode("Add", {ctx.AddNode("Mul", {sel->cls, n}), sel->box});
  const std::string where = ctx.AddNode(
      "Concat", {ctx.Unsqueeze(sel->image, {1}), ctx.Unsqueeze(at, {1})}, {Attribute::Int("axis", 1)});
  const std::string flat_scores = ctx.Reshape(scores_bcn, {0, -1});
  const std::string none = ctx.AddNode(
      "Expand", {F32(ctx, -std::numeric_limits<float>::infinity()), ctx.AddNode("Shape", {flat_scores})});
  const std::string table = ctx.AddNode(
      "ScatterND", {none, where, ctx.AddNode("GatherND", {flat_scores, where})});
  const std::string k = ctx.Reshape(ctx.AddNode("Min", {table_size, I64(ctx, out_size)}), {1});
  const std::vector<std::string> top = ctx.AddNodeMulti("TopK", {table, k}, 2, {Attribute::Int("axis", 1)});
  const std::string valid = ctx.AddNode("Greater", {top[0], F32(ctx, -std::numeric_limits<float>::infinity())});
  const std::string cls = ctx.AddNode("Div", {top[1], n});
  const std::string box = ctx.AddNode("Mod", {top[1], n});
  // boxes[b, box, class or 0]: GatherND with the image as batch dim.
  const std::string box_index = ctx.AddNode(
      "Concat", {ctx.Unsqueeze(box, {2}), ctx.Unsqueeze(q == 1 ? ctx.AddNode("Mul", {cls, I64(ctx, 0)}) : cls, {2})},
      {Attribute::Int("axis", 2)});
  std::string boxes = ctx.AddNode("GatherND", {ctx.Cast(ctx.input(0), DataType::kFloat), box_index},
                                  {Attribute::Int("batch_dims", 1)});
  if (ctx.attr_bool("clip_boxes", true)) {
    boxes = ctx.AddNode("Min", {ctx.AddNode("Max", {boxes, F32(ctx, 0.0f)}), F32(ctx, 1.0f)});
  }
  const std::string zero = F32(ctx, 0.0f);
  // Pads [B, k, ...] to out_size entries with zeros.
  const std::string missing = ctx.AddNode("Sub", {I64(ctx, out_size), ctx.Squeeze(k, {0})});
  auto pad = [&](const std::string& x, int rank) {
    std::vector<std::string> parts = {ctx.ConstInt64s(std::vector<int64_t>(static_cast<size_t>(rank + 1), 0), "z"),
                                      ctx.Reshape(missing, {1})};
    if (rank == 3) parts.push_back(ctx.ConstInt64s({0}, "z"));
    return ctx.AddNode("Pad", {x, ctx.AddNode("Concat", parts, {Attribute::Int("axis", 0)})});
  };
  ctx.SetOutput(0, pad(ctx.AddNode("Where", {ctx.Unsqueeze(valid, {2}), boxes, zero}), 3));
  ctx.SetOutput(1, pad(ctx.AddNode("Where", {valid, top[0], zero}), 2));
  ctx.SetOutput(2, pad(ctx.AddNode("Where", {valid, ctx.Cast(cls, DataType::kFloat), zero}), 2));
  ctx.SetOutput(3, ctx.Reduce("ReduceSum", ctx.Cast(valid, DataType::kInt32), {1}, false));
  return absl::OkStatus();
}

}  // namespace

void RegisterImageResampleOps(HandlerRegistry& r) {
  r.Register({"CombinedNonMaxSuppression"}, kMinOpset, Inputs(6), ConvertCombinedNms);
  r.Register({"ResizeArea"}, kMinOpset, Inputs(2), ConvertResizeArea);
  r.Register({"CropAndResize"}, kMinOpset, Inputs(4), ConvertCropAndResize);
  r.Register({"ExtractImagePatches"}, kMinOpset, Inputs(1), ConvertExtractImagePatches);
  r.Register({"MaxPoolWithArgmax"}, kMinOpset, Inputs(1), ConvertMaxPoolWithArgmax);
}

}  // namespace onnxsmith::converter

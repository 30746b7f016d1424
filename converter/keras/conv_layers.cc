// Windowed Keras layers: Conv1D/2D/3D (groups, dilation, causal padding),
// DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1D/2D/3DTranspose, pooling
// (Max/Average 1D-3D, Global* with keepdims), ZeroPadding1D-3D,
// Cropping1D-3D and UpSampling1D-3D.
//
// Keras tensors are channels last; ONNX convolutions and pools are channels
// first, so those are wrapped in transposes (the optimizer cancels adjacent
// pairs). channels_first layers need none.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"
#include "converter/emit/padding.h"
#include "converter/keras/image_resize.h"
#include "converter/keras/keras_ops.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;

// The number of spatial dims a class name implies ("Conv2D" -> 2), 0 if none.
int SpatialDimsOf(const std::string& cls) {
  for (int n = 1; n <= 3; ++n) {
    if (cls.find(absl::StrCat(n, "D")) != std::string::npos) return n;
  }
  return 0;
}

struct Layout {
  bool channels_first = false;
  int rank = 0;
  int n = 0;  // spatial dims
  // Spatial dims of the input (-1 unknown), in order.
  std::vector<int64_t> spatial;
};

absl::StatusOr<Layout> GetLayout(LayerContext& ctx) {
  Layout l;
  ASSIGN_OR_RETURN(l.channels_first, ctx.ChannelsFirst());
  ASSIGN_OR_RETURN(l.rank, ctx.InputRank(0));
  l.n = l.rank - 2;
  const int expected = SpatialDimsOf(ctx.class_name());
  if (l.n < 1 || (expected != 0 && l.n != expected)) {
    return ctx.Error(absl::StrCat("expects a rank-", expected + 2, " input, got rank ", l.rank));
  }
  auto dims = ctx.input_dims(0);
  for (int s = 0; s < l.n; ++s) {
    const int axis = l.channels_first ? 2 + s : 1 + s;
    l.spatial.push_back(dims ? (*dims)[axis] : -1);
  }
  return l;
}

std::string ToOnnxLayout(LayerContext& ctx, const Layout& l, const std::string& x) {
  return l.channels_first ? x : ctx.ToChannelsFirst(x, l.rank);
}

std::string FromOnnxLayout(LayerContext& ctx, const Layout& l, const std::string& y) {
  return l.channels_first ? y : ctx.ToChannelsLast(y, l.rank);
}

// ONNX padding attributes for Conv and the pools (emit/padding.h); Keras's
// causal padding is an explicit left pad of the dilated kernel.
absl::StatusOr<std::vector<Attribute>> PadAttrs(LayerContext& ctx, const Layout& l,
                                                const std::string& padding, const Window& window) {
  WindowPadding p;
  if (padding == "valid") {
    p.mode = WindowPadding::Mode::kValid;
  } else if (padding == "same") {
    p.mode = WindowPadding::Mode::kSame;
  } else if (padding == "causal") {
    if (l.n != 1) return ctx.Unsupported("causal padding outside Conv1D");
    p.mode = WindowPadding::Mode::kExplicit;
    p.pads = {{(window.kernel[0] - 1) * window.dilations[0], 0}};
  } else {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  return WindowPaddingAttrs(p, window);
}

// Keras kernel (k..., in, out) -> ONNX (out, in, k...).
std::vector<int64_t> KernelPerm(int n) {
  std::vector<int64_t> perm = {n + 1, n};
  for (int i = 0; i < n; ++i) perm.push_back(i);
  return perm;
}

absl::StatusOr<ir::Tensor> OnnxKernel(const LayerContext& ctx, int index, const std::string& what,
                                      int n) {
  ASSIGN_OR_RETURN(ir::Tensor k, ctx.FloatWeight(index, what));
  if (k.rank() != n + 2) {
    return ctx.Error(absl::StrCat(what, " has rank ", k.rank(), ", expected ", n + 2));
  }
  auto transposed = k.Transposed(KernelPerm(n));
  // A kernel viewing a mapped .h5 is not read again: hold one copy of it.
  if (transposed.ok()) ReleaseMappedPages(k.raw());
  return transposed;
}

// Depthwise kernel (k..., in, multiplier) -> ONNX (in * multiplier, 1, k...).
absl::StatusOr<ir::Tensor> OnnxDepthwiseKernel(const LayerContext& ctx, int index,
                                               const std::string& what, int n) {
  ASSIGN_OR_RETURN(ir::Tensor k, ctx.FloatWeight(index, what));
  if (k.rank() != n + 2) {
    return ctx.Error(absl::StrCat(what, " has rank ", k.rank(), ", expected ", n + 2));
  }
  std::vector<int64_t> dims(k.dims().begin(), k.dims().begin() + n);
  dims.push_back(1);
  dims.push_back(k.dims()[n] * k.dims()[n + 1]);
  ASSIGN_OR_RETURN(ir::Tensor r, k.Reshaped(dims));
  auto transposed = r.Transposed(KernelPerm(n));
  if (transposed.ok()) ReleaseMappedPages(k.raw());  // as in OnnxKernel
  return transposed;
}

struct ConvParams {
  std::vector<int64_t> kernel, strides, dilations;
  std::string padding;
};

absl::StatusOr<ConvParams> GetConvParams(LayerContext& ctx, int n) {
  ConvParams p;
  ASSIGN_OR_RETURN(p.kernel, ctx.Ints("kernel_size", n));
  ASSIGN_OR_RETURN(p.strides, ctx.Ints("strides", n, std::vector<int64_t>(n, 1)));
  ASSIGN_OR_RETURN(p.dilations, ctx.Ints("dilation_rate", n, std::vector<int64_t>(n, 1)));
  p.padding = ctx.String("padding", "valid");
  for (int s = 0; s < n; ++s) {
    if (p.kernel[s] < 1 || p.strides[s] < 1 || p.dilations[s] < 1) {
      return ctx.Error("kernel_size, strides and dilation_rate must be positive");
    }
  }
  return p;
}

absl::StatusOr<std::string> EmitConv(LayerContext& ctx, const Layout& l, const std::string& x_nc,
                                     const std::string& weight, const std::string& bias,
                                     const ConvParams& p, int64_t group) {
  std::vector<Attribute> attrs = {Attribute::Ints("kernel_shape", p.kernel),
                                  Attribute::Ints("strides", p.strides),
                                  Attribute::Ints("dilations", p.dilations),
                                  Attribute::Int("group", group)};
  ASSIGN_OR_RETURN(std::vector<Attribute> pads,
                   PadAttrs(ctx, l, p.padding, {l.spatial, p.kernel, p.strides, p.dilations}));
  for (auto& a : pads) attrs.push_back(std::move(a));
  std::vector<std::string> inputs = {x_nc, weight};
  if (!bias.empty()) inputs.push_back(bias);
  return ctx.AddNode("Conv", std::move(inputs), std::move(attrs));
}

absl::StatusOr<std::string> OptionalBias(LayerContext& ctx, int index) {
  if (!ctx.Bool("use_bias", true)) return std::string();
  return ctx.WeightConst(index, "bias");
}

absl::Status FinishConv(LayerContext& ctx, const Layout& l, const std::string& y_nc) {
  ASSIGN_OR_RETURN(std::string y, ctx.ActivationFromConfig(FromOnnxLayout(ctx, l, y_nc)));
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// --- Conv1D/2D/3D ---
absl::Status ConvertConv(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(ConvParams p, GetConvParams(ctx, l.n));
  const int64_t groups = ctx.Int("groups", 1);
  if (groups < 1) return ctx.Error("groups must be positive");
  ASSIGN_OR_RETURN(std::string w, ctx.CachedConst("kernel", [&] {
    return OnnxKernel(ctx, 0, "kernel", l.n);
  }));
  ASSIGN_OR_RETURN(std::string b, OptionalBias(ctx, 1));
  ASSIGN_OR_RETURN(std::string y, EmitConv(ctx, l, ToOnnxLayout(ctx, l, ctx.input(0)), w, b, p, groups));
  return FinishConv(ctx, l, y);
}

// --- DepthwiseConv1D/2D ---
absl::Status ConvertDepthwiseConv(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(ConvParams p, GetConvParams(ctx, l.n));
  ASSIGN_OR_RETURN(std::string w, ctx.CachedConst("kernel", [&] {
    return OnnxDepthwiseKernel(ctx, 0, "depthwise_kernel", l.n);
  }));
  const int64_t channels = ctx.num_weights() > 0 ? ctx.weights()[0].value.dims()[l.n] : 0;
  ASSIGN_OR_RETURN(std::string b, OptionalBias(ctx, 1));
  ASSIGN_OR_RETURN(std::string y,
                   EmitConv(ctx, l, ToOnnxLayout(ctx, l, ctx.input(0)), w, b, p, channels));
  return FinishConv(ctx, l, y);
}

// --- SeparableConv1D/2D: depthwise, then a pointwise 1x1 with the bias ---
absl::Status ConvertSeparableConv(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(ConvParams p, GetConvParams(ctx, l.n));
  ASSIGN_OR_RETURN(std::string dw, ctx.CachedConst("depthwise_kernel", [&] {
    return OnnxDepthwiseKernel(ctx, 0, "depthwise_kernel", l.n);
  }));
  ASSIGN_OR_RETURN(std::string pw, ctx.CachedConst("pointwise_kernel", [&] {
    return OnnxKernel(ctx, 1, "pointwise_kernel", l.n);
  }));
  const int64_t channels = ctx.num_weights() > 0 ? ctx.weights()[0].value.dims()[l.n] : 0;
  ASSIGN_OR_RETURN(std::string b, OptionalBias(ctx, 2));
  ASSIGN_OR_RETURN(std::string mid,
                   EmitConv(ctx, l, ToOnnxLayout(ctx, l, ctx.input(0)), dw, "", p, channels));
  ConvParams pointwise{std::vector<int64_t>(l.n, 1), std::vector<int64_t>(l.n, 1),
                       std::vector<int64_t>(l.n, 1), "valid"};
  Layout after = l;
  ASSIGN_OR_RETURN(std::string y, EmitConv(ctx, after, mid, pw, b, pointwise, 1));
  return FinishConv(ctx, l, y);
}

// keras.ops.conv / depthwise_conv(inputs, kernel): the layers' Conv with the
// kernel an operand (a saved array or a tensor) permuted in the graph; groups
// from the kernel's input channels.
absl::Status ConvertConvOp(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(std::vector<std::string> xs, Operands(ctx));
  if (xs.size() != 2 || xs[0].empty() || xs[1].empty()) return ctx.Error("expects (inputs, kernel)");
  auto kdims = ctx.StaticDims(xs[1]);
  auto xdims = ctx.input_dims(0);
  const int64_t channels = xdims ? (*xdims)[l.channels_first ? 1 : l.rank - 1] : -1;
  if (!kdims || static_cast<int>(kdims->size()) != l.n + 2 || channels < 0 ||
      std::any_of(kdims->begin(), kdims->end(), [](int64_t d) { return d < 0; })) {
    return ctx.Unsupported("a kernel or channel count of unknown size");
  }
  ConvParams p;
  p.kernel.assign(kdims->begin(), kdims->begin() + l.n);
  ASSIGN_OR_RETURN(p.strides, ctx.Ints("strides", l.n, std::vector<int64_t>(l.n, 1)));
  ASSIGN_OR_RETURN(p.dilations, ctx.Ints("dilation_rate", l.n, std::vector<int64_t>(l.n, 1)));
  p.padding = ctx.String("padding", "valid");
  std::string k = ctx.Cast(xs[1], ctx.input_dtype(0));
  int64_t group = 1;
  if (ctx.class_name() == "DepthwiseConv") {  // (k..., in, mult) -> (k..., 1, in * mult)
    std::vector<int64_t> dims = p.kernel;
    dims.push_back(1);
    dims.push_back((*kdims)[l.n] * (*kdims)[l.n + 1]);
    k = ctx.Reshape(k, dims);
    group = channels;
  } else {
    if ((*kdims)[l.n] <= 0 || channels % (*kdims)[l.n] != 0) {
      return ctx.Error("the kernel's input channels do not divide the input's");
    }
    group = channels / (*kdims)[l.n];
  }
  ASSIGN_OR_RETURN(std::string y, EmitConv(ctx, l, ToOnnxLayout(ctx, l, ctx.input(0)),
                                           ctx.Transpose(k, KernelPerm(l.n)), "", p, group));
  ctx.SetOutput(0, FromOnnxLayout(ctx, l, y));
  return absl::OkStatus();
}

// --- Conv1D/2D/3DTranspose ---
absl::Status ConvertConvTranspose(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(ConvParams p, GetConvParams(ctx, l.n));
  if (p.padding != "valid" && p.padding != "same") {
    return ctx.Unsupported(absl::StrCat("padding '", p.padding, "'"));
  }
  if (ctx.Int("groups", 1) != 1) return ctx.Unsupported("grouped transposed convolution");
  std::vector<int64_t> output_padding;
  if (ctx.has("output_padding")) {
    ASSIGN_OR_RETURN(output_padding, ctx.Ints("output_padding", l.n));
  }
  // Keras' output length, then TF's padding for it, as ONNX pads and
  // output_padding (neither depends on the input length).
  std::vector<int64_t> pads(2 * l.n, 0);
  std::vector<int64_t> out_pad(l.n, 0);
  for (int s = 0; s < l.n; ++s) {
    const int64_t k = (p.kernel[s] - 1) * p.dilations[s] + 1;
    const int64_t st = p.strides[s];
    int64_t total = 0;
    int64_t op = 0;
    if (output_padding.empty()) {
      total = p.padding == "same" ? std::max<int64_t>(k - st, 0) : 0;
      op = std::max<int64_t>(st - k, 0);
    } else {
      const int64_t pad = p.padding == "same" ? k / 2 : 0;
      total = p.padding == "same" ? std::max<int64_t>(2 * pad - output_padding[s], 0) : 0;
      op = output_padding[s] - 2 * pad + total;
    }
    if (op < 0) return ctx.Error("output_padding is inconsistent with the kernel and padding");
    pads[s] = total / 2;
    pads[l.n + s] = total - total / 2;
    out_pad[s] = op;
  }
  ASSIGN_OR_RETURN(std::string w, ctx.CachedConst("kernel", [&] {
    return OnnxKernel(ctx, 0, "kernel", l.n);
  }));
  ASSIGN_OR_RETURN(std::string b, OptionalBias(ctx, 1));
  std::vector<std::string> inputs = {ToOnnxLayout(ctx, l, ctx.input(0)), w};
  if (!b.empty()) inputs.push_back(b);
  std::vector<Attribute> attrs = {Attribute::Ints("kernel_shape", p.kernel),
                                  Attribute::Ints("strides", p.strides),
                                  Attribute::Ints("dilations", p.dilations),
                                  Attribute::Ints("pads", pads)};
  bool any_op = false;
  for (int64_t v : out_pad) any_op |= v != 0;
  if (any_op) attrs.push_back(Attribute::Ints("output_padding", out_pad));
  std::string y = ctx.AddNode("ConvTranspose", std::move(inputs), std::move(attrs));
  return FinishConv(ctx, l, y);
}

// --- MaxPooling / AveragePooling 1D-3D ---
absl::Status ConvertPool(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(std::vector<int64_t> pool, ctx.Ints("pool_size", l.n, std::vector<int64_t>(l.n, 2)));
  ASSIGN_OR_RETURN(std::vector<int64_t> strides, ctx.Ints("strides", l.n, pool));
  const std::string padding = ctx.String("padding", "valid");
  if (padding != "valid" && padding != "same") {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  const bool is_max = ctx.class_name().find("Max") != std::string::npos;
  std::vector<Attribute> attrs = {Attribute::Ints("kernel_shape", pool),
                                  Attribute::Ints("strides", strides)};
  ASSIGN_OR_RETURN(std::vector<Attribute> pads,
                   PadAttrs(ctx, l, padding, {l.spatial, pool, strides, std::vector<int64_t>(l.n, 1)}));
  for (auto& a : pads) attrs.push_back(std::move(a));
  // AveragePool's count_include_pad defaults to 0: padding does not count, as in TF.
  std::string y = ctx.AddNode(is_max ? "MaxPool" : "AveragePool",
                              {ToOnnxLayout(ctx, l, ctx.input(0))}, std::move(attrs));
  ctx.SetOutput(0, FromOnnxLayout(ctx, l, y));
  return absl::OkStatus();
}

// --- GlobalAveragePooling / GlobalMaxPooling 1D-3D ---
absl::Status ConvertGlobalPool(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  const bool keepdims = ctx.Bool("keepdims", false);
  const bool is_max = ctx.class_name().find("Max") != std::string::npos;
  std::vector<int64_t> axes;
  for (int s = 0; s < l.n; ++s) axes.push_back(l.channels_first ? 2 + s : 1 + s);
  const std::string x = ctx.input(0);
  std::optional<std::string> mask;
  if (!is_max && l.n == 1) mask = ctx.InputMaskTensor(0);
  if (mask) {
    // Keras averages over the unmasked steps only.
    std::string m = ctx.Cast(*mask, ir::DataType::kFloat);
    m = ctx.Unsqueeze(m, {l.channels_first ? 1 : 2});
    std::string sum = ctx.Reduce("ReduceSum", ctx.AddNode("Mul", {x, m}), axes, keepdims);
    std::string count = ctx.Reduce("ReduceSum", m, axes, keepdims);
    ctx.SetOutput(0, ctx.AddNode("Div", {sum, count}));
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.Reduce(is_max ? "ReduceMax" : "ReduceMean", x, axes, keepdims));
  return absl::OkStatus();
}

// (before, after) per spatial dim from Keras' padding/cropping forms: an int,
// one int per dim, or one pair per dim (ZeroPadding1D/Cropping1D: one pair).
absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> PairsPerDim(LayerContext& ctx,
                                                                    const char* key, int n) {
  const Json* v = ctx.cfg(key);
  std::vector<std::pair<int64_t, int64_t>> out;
  if (v == nullptr) return ctx.Error(absl::StrCat("config has no '", key, "'"));
  if (auto i = AsInt(*v)) {
    out.assign(n, {*i, *i});
    return out;
  }
  if (!v->is_array()) return ctx.Error(absl::StrCat("bad '", key, "': ", DumpJson(*v)));
  if (n == 1 && v->size() == 2 && AsInt((*v)[0]) && AsInt((*v)[1])) {
    out.push_back({*AsInt((*v)[0]), *AsInt((*v)[1])});
    return out;
  }
  if (static_cast<int>(v->size()) != n) {
    return ctx.Error(absl::StrCat("'", key, "' has ", v->size(), " entries for ", n, " dims"));
  }
  for (const Json& e : *v) {
    if (auto i = AsInt(e)) {
      out.push_back({*i, *i});
    } else if (e.is_array() && e.size() == 2 && AsInt(e[0]) && AsInt(e[1])) {
      out.push_back({*AsInt(e[0]), *AsInt(e[1])});
    } else {
      return ctx.Error(absl::StrCat("bad '", key, "': ", DumpJson(*v)));
    }
  }
  for (const auto& [a, b] : out) {
    if (a < 0 || b < 0) return ctx.Error(absl::StrCat("negative '", key, "'"));
  }
  return out;
}

absl::Status ConvertZeroPadding(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(auto pairs, PairsPerDim(ctx, "padding", l.n));
  std::vector<int64_t> pads(2 * l.rank, 0);
  for (int s = 0; s < l.n; ++s) {
    const int axis = l.channels_first ? 2 + s : 1 + s;
    pads[axis] = pairs[s].first;
    pads[l.rank + axis] = pairs[s].second;
  }
  ctx.SetOutput(0, ctx.AddNode("Pad", {ctx.input(0), ctx.ConstInt64s(pads, "pads")}));
  return absl::OkStatus();
}

absl::Status ConvertCropping(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(auto pairs, PairsPerDim(ctx, "cropping", l.n));
  std::vector<int64_t> starts, ends, axes;
  for (int s = 0; s < l.n; ++s) {
    const int axis = l.channels_first ? 2 + s : 1 + s;
    if (pairs[s].first == 0 && pairs[s].second == 0) continue;
    axes.push_back(axis);
    starts.push_back(pairs[s].first);
    ends.push_back(pairs[s].second > 0 ? -pairs[s].second : INT64_MAX);
  }
  if (axes.empty()) {
    ctx.SetOutput(0, ctx.input(0));
    return absl::OkStatus();
  }
  ctx.SetOutput(0, ctx.AddNode("Slice", {ctx.input(0), ctx.ConstInt64s(starts, "starts"),
                                         ctx.ConstInt64s(ends, "ends"),
                                         ctx.ConstInt64s(axes, "axes")}));
  return absl::OkStatus();
}

// Keras versions before tf.keras 2.4 resized bilinearly with TF1's
// half_pixel_centers=False.
bool LegacyBilinear(const LayerContext& ctx) {
  const std::string& v = ctx.keras_version();
  if (ctx.keras_major() >= 3 || v.find("-tf") != std::string::npos) return false;
  int major = 0, minor = 0;
  if (sscanf(v.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major < 2 || (major == 2 && minor < 4);
}

absl::Status ConvertUpSampling(LayerContext& ctx) {
  ASSIGN_OR_RETURN(Layout l, GetLayout(ctx));
  ASSIGN_OR_RETURN(std::vector<int64_t> size,
                   ctx.Ints(ctx.has("size") ? "size" : "length", l.n, std::vector<int64_t>(l.n, 2)));
  const std::string interpolation = ctx.String("interpolation", "nearest");
  std::vector<float> scales(l.rank, 1.0f);
  if (interpolation == "nearest") {
    for (int s = 0; s < l.n; ++s) scales[l.channels_first ? 2 + s : 1 + s] = static_cast<float>(size[s]);
    std::string y = ctx.AddNode(
        "Resize",
        {ctx.input(0), "", ctx.ConstFloats({l.rank}, scales, "scales")},
        {Attribute::String("mode", "nearest"),
         Attribute::String("coordinate_transformation_mode", "asymmetric"),
         Attribute::String("nearest_mode", "floor")});
    ctx.SetOutput(0, y);
    return absl::OkStatus();
  }
  if (interpolation == "bicubic") {
    if (l.n != 2 || l.spatial[0] < 0 || l.spatial[1] < 0) {
      return ctx.Unsupported("bicubic interpolation with an image size unknown before run time");
    }
    ctx.SetOutput(0, EmitTfBicubicResize(ctx, ctx.input(0), l.channels_first, l.spatial[0],
                                         l.spatial[1], l.spatial[0] * size[0],
                                         l.spatial[1] * size[1]));
    return absl::OkStatus();
  }
  if (interpolation != "bilinear") {
    return ctx.Unsupported(absl::StrCat("interpolation '", interpolation, "'"));
  }
  for (int s = 0; s < l.n; ++s) scales[2 + s] = static_cast<float>(size[s]);
  std::vector<Attribute> attrs = {
      Attribute::String("mode", "linear"),
      Attribute::String("coordinate_transformation_mode",
                        LegacyBilinear(ctx) ? "asymmetric" : "half_pixel")};
  std::string y = ctx.AddNode(
      "Resize",
      {ToOnnxLayout(ctx, l, ctx.input(0)), "", ctx.ConstFloats({l.rank}, scales, "scales")},
      attrs);
  ctx.SetOutput(0, FromOnnxLayout(ctx, l, y));
  return absl::OkStatus();
}

}  // namespace

void RegisterConvLayers(LayerRegistry& r) {
  r.Register({"Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"},
             Inputs(1), ConvertConv,
             "padding valid, same, causal (1-D); groups and dilation; channels_first too");
  r.Register({"DepthwiseConv1D", "DepthwiseConv2D"}, Inputs(1), ConvertDepthwiseConv);
  r.Register({"SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
              "SeparableConvolution2D"},
             Inputs(1), ConvertSeparableConv);
  r.Register({"Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution2DTranspose",
              "Convolution3DTranspose", "Deconvolution2D", "Deconvolution3D"},
             Inputs(1), ConvertConvTranspose, "padding valid or same; groups=1");
  r.Register({"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D",
              "MaxPool3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
              "AvgPool1D", "AvgPool2D", "AvgPool3D"},
             Inputs(1), ConvertPool, "padding valid or same");
  r.Register(Prefixed({"MaxPool", "AveragePool"}), Inputs(1), ConvertPool, "Keras 3 operation; padding valid or same");
  r.Register(Prefixed({"Conv", "DepthwiseConv"}), InputsAtLeast(1), ConvertConvOp, "Keras 3 operation; kernel of static shape");
  r.Register({"GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
              "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPooling1D",
              "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
              "GlobalMaxPool3D"},
             Inputs(1), ConvertGlobalPool, "keepdims; 1-D averages honour masks");
  r.Register({"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"}, Inputs(1), ConvertZeroPadding);
  r.Register({"Cropping1D", "Cropping2D", "Cropping3D"}, Inputs(1), ConvertCropping);
  r.Register({"UpSampling1D", "UpSampling2D", "UpSampling3D"}, Inputs(1), ConvertUpSampling,
             "interpolation nearest, bilinear or bicubic (static size)");
}

}  // namespace onnxsmith::converter::keras

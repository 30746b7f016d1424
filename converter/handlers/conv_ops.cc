// Windowed TF ops: Conv2D/Conv3D, DepthwiseConv2dNative, Conv2DBackpropInput
// and Conv3DBackpropInputV2 (as ConvTranspose), MaxPool/AvgPool (2-D, 3-D,
// MaxPoolV2). TF works in NHWC by default while ONNX is NCHW only, so
// channels-last inputs are transposed in and out; the optimizer cancels the
// adjacent pairs between consecutive ops.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mapped_file.h"
#include "common/status_macros.h"
#include "converter/emit/padding.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

namespace {

using ir::Attribute;

// Where a TF data_format puts the channels, and the tensor rank it implies.
struct Layout {
  bool channels_last = true;
  int rank = 4;

  int num_spatial() const { return rank - 2; }
  int channel_axis() const { return channels_last ? rank - 1 : 1; }
  // Index in TF layout order of spatial dim `i`.
  int spatial_axis(int i) const { return channels_last ? 1 + i : 2 + i; }
};

// Reads data_format; `default_format` also fixes the expected rank, since TF's
// 2-D ops only accept 2-D formats and 3-D ops only 3-D ones.
absl::StatusOr<Layout> ParseLayout(const NodeContext& ctx, const std::string& default_format) {
  const std::string format = ctx.attr_string("data_format", default_format);
  Layout layout;
  if (format == "NHWC" || format == "NCHW") {
    layout = {format == "NHWC", 4};
  } else if (format == "NDHWC" || format == "NCDHW") {
    layout = {format == "NDHWC", 5};
  } else {
    return ctx.Unsupported(absl::StrCat("data_format '", format, "'"));
  }
  if (layout.rank != static_cast<int>(default_format.size())) {
    return ctx.Error(absl::StrCat("data_format '", format, "' does not fit a ",
                                  default_format.size() - 2, "-D op"));
  }
  return layout;
}

// The spatial entries of a per-dimension list (strides, dilations, ksize) given
// in TF layout order. ONNX cannot stride or pool over batch or channels.
absl::StatusOr<std::vector<int64_t>> SpatialValues(const NodeContext& ctx, const std::string& what,
                                                   const std::vector<int64_t>& values,
                                                   const Layout& layout) {
  if (values.empty()) return std::vector<int64_t>(layout.num_spatial(), 1);
  if (static_cast<int>(values.size()) != layout.rank) {
    return ctx.Error(
        absl::StrCat(what, " has ", values.size(), " entries, expected ", layout.rank));
  }
  if (values[0] != 1 || values[layout.channel_axis()] != 1) {
    return ctx.Unsupported(absl::StrCat(what, " over the batch or channel dimension (",
                                        absl::StrJoin(values, ","), ")"));
  }
  std::vector<int64_t> spatial;
  for (int i = 0; i < layout.num_spatial(); ++i) {
    const int64_t v = values[layout.spatial_axis(i)];
    if (v < 1) return ctx.Error(absl::StrCat(what, " must be positive"));
    spatial.push_back(v);
  }
  return spatial;
}

// Spatial sizes of input `i` in TF layout; -1 where unknown.
std::vector<int64_t> SpatialDims(const NodeContext& ctx, int i, const Layout& layout) {
  std::vector<int64_t> out(layout.num_spatial(), -1);
  auto dims = ctx.input_dims(i);
  if (!dims || static_cast<int>(dims->size()) != layout.rank) return out;
  for (int s = 0; s < layout.num_spatial(); ++s) out[s] = (*dims)[layout.spatial_axis(s)];
  return out;
}

// Static dims of input `i` from its constant value or its inferred type.
std::optional<std::vector<int64_t>> StaticDims(const NodeContext& ctx, int i) {
  if (const ir::Tensor* t = ctx.const_input(i)) return t->dims();
  return ctx.input_dims(i);
}

bool AllKnown(const std::vector<int64_t>& dims) {
  for (int64_t d : dims) {
    if (d < 0) return false;
  }
  return true;
}

// Per-spatial-dim (before, after) pads of the `explicit_paddings` attribute,
// which lists a pair for every dim in TF layout order.
absl::StatusOr<std::vector<std::pair<int64_t, int64_t>>> ExplicitPads(const NodeContext& ctx,
                                                                      const Layout& layout) {
  const std::vector<int64_t> flat = ctx.attr_ints("explicit_paddings");
  if (static_cast<int>(flat.size()) != 2 * layout.rank) {
    return ctx.Error(absl::StrCat("explicit_paddings has ", flat.size(), " entries, expected ",
                                  2 * layout.rank));
  }
  const int c = layout.channel_axis();
  if (flat[0] != 0 || flat[1] != 0 || flat[2 * c] != 0 || flat[2 * c + 1] != 0) {
    return ctx.Unsupported("explicit padding of the batch or channel dimension");
  }
  std::vector<std::pair<int64_t, int64_t>> pads;
  for (int s = 0; s < layout.num_spatial(); ++s) {
    const int a = layout.spatial_axis(s);
    if (flat[2 * a] < 0 || flat[2 * a + 1] < 0) return ctx.Error("negative explicit padding");
    pads.emplace_back(flat[2 * a], flat[2 * a + 1]);
  }
  return pads;
}

// ONNX padding attributes for Conv and the pools (emit/padding.h).
absl::StatusOr<std::vector<Attribute>> PaddingAttrs(const NodeContext& ctx, const Layout& layout,
                                                     const Window& window) {
  const std::string padding = ctx.attr_string("padding", "");
  WindowPadding::Mode mode;
  std::vector<std::pair<int64_t, int64_t>> pads;
  if (padding == "VALID") {
    mode = WindowPadding::Mode::kValid;
  } else if (padding == "SAME") {
    mode = WindowPadding::Mode::kSame;
  } else if (padding == "EXPLICIT") {
    mode = WindowPadding::Mode::kExplicit;
    ASSIGN_OR_RETURN(pads, ExplicitPads(ctx, layout));
  } else {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  return WindowPaddingAttrs({mode, std::move(pads)}, window);
}

// HWIO (DHWIO) filter order to ONNX's OIHW (OIDHW).
std::vector<int64_t> FilterToOnnxPerm(int rank) {
  std::vector<int64_t> perm = {rank - 1, rank - 2};
  for (int i = 0; i < rank - 2; ++i) perm.push_back(i);
  return perm;
}

// The filter as an ONNX weight: transposed at conversion when constant.
absl::StatusOr<std::string> OnnxFilter(NodeContext& ctx, int input, int rank) {
  const std::vector<int64_t> perm = FilterToOnnxPerm(rank);
  if (const ir::Tensor* filter = ctx.const_input(input)) {
    if (filter->rank() != rank) {
      return ctx.Error(absl::StrCat("filter has rank ", filter->rank(), ", expected ", rank));
    }
    auto transposed = filter->Transposed(perm);
    if (!transposed.ok()) return transposed.status();
    // A filter viewing a mapped checkpoint is rarely read again: hold one
    // copy of it in memory, the transposed one.
    ReleaseMappedPages(filter->raw());
    return ctx.AddConst(*std::move(transposed), "weight");
  }
  return ctx.Transpose(ctx.input(input), perm);
}

std::string ToChannelsFirst(NodeContext& ctx, const Layout& layout, const std::string& x) {
  return layout.channels_last ? ctx.ToChannelsFirst(x, layout.rank) : x;
}

std::string FromChannelsFirst(NodeContext& ctx, const Layout& layout, const std::string& y) {
  return layout.channels_last ? ctx.ToChannelsLast(y, layout.rank) : y;
}

std::string DefaultFormat(const NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool is_3d = op.find("3D") != std::string::npos;
  return is_3d ? "NDHWC" : "NHWC";
}

// A convolution's layout, strides and dilations (spatial entries).
struct ConvAttrs {
  Layout layout;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
};

absl::StatusOr<ConvAttrs> ParseConvAttrs(const NodeContext& ctx) {
  ConvAttrs a;
  ASSIGN_OR_RETURN(a.layout, ParseLayout(ctx, DefaultFormat(ctx)));
  ASSIGN_OR_RETURN(a.strides, SpatialValues(ctx, "strides", ctx.attr_ints("strides"), a.layout));
  ASSIGN_OR_RETURN(a.dilations,
                   SpatialValues(ctx, "dilations", ctx.attr_ints("dilations"), a.layout));
  return a;
}

// Conv2D, Conv3D and DepthwiseConv2dNative.
absl::Status ConvertConv(NodeContext& ctx) {
  const bool depthwise = ctx.op_type() == "DepthwiseConv2dNative";
  ASSIGN_OR_RETURN(const ConvAttrs conv, ParseConvAttrs(ctx));

  const int rank = conv.layout.rank;
  const int n = conv.layout.num_spatial();
  std::vector<int64_t> kernel(n, -1);
  int64_t filter_in_channels = -1;
  int64_t filter_multiplier = -1;
  if (auto fdims = StaticDims(ctx, 1)) {
    if (static_cast<int>(fdims->size()) != rank) {
      return ctx.Error(absl::StrCat("filter has rank ", fdims->size(), ", expected ", rank));
    }
    for (int s = 0; s < n; ++s) kernel[s] = (*fdims)[s];
    filter_in_channels = (*fdims)[rank - 2];
    filter_multiplier = (*fdims)[rank - 1];
  }
  int64_t in_channels = -1;
  if (auto xdims = ctx.input_dims(0); xdims && static_cast<int>(xdims->size()) == rank) {
    in_channels = (*xdims)[conv.layout.channel_axis()];
  }

  int64_t group = 1;
  std::string weight;
  if (depthwise) {
    // [H, W, Cin, mult] -> [H, W, 1, Cin*mult] keeps TF's output channel order
    // (c*mult + m); the usual HWIO->OIHW perm then gives [Cin*mult, 1, H, W].
    group = filter_in_channels >= 0 ? filter_in_channels : in_channels;
    if (group < 0) {
      // ONNX's group is an attribute: it must be known when converting.
      return ctx.Unsupported(
          "depthwise conv whose input channels and filter in-channels are both unknown (ONNX's "
          "group is static; give the input's shape with --inputs)");
    }
    std::vector<int64_t> perm = FilterToOnnxPerm(rank);
    if (const ir::Tensor* filter = ctx.const_input(1)) {
      auto reshaped = filter->Reshaped({kernel[0], kernel[1], 1, group * filter_multiplier});
      if (!reshaped.ok()) return reshaped.status();
      auto transposed = reshaped->Transposed(perm);
      if (!transposed.ok()) return transposed.status();
      ReleaseMappedPages(filter->raw());  // as in OnnxFilter
      weight = ctx.AddConst(*std::move(transposed), "weight");
    } else {
      const std::string shape = ctx.ConstInt64s({0, 0, 1, -1}, "filter_shape");
      weight = ctx.Transpose(ctx.AddNode("Reshape", {ctx.input(1), shape}), perm);
    }
  } else {
    if (in_channels > 0 && filter_in_channels > 0 && in_channels != filter_in_channels) {
      // TF runs a grouped conv when the input has a multiple of the filter's channels.
      if (in_channels % filter_in_channels != 0) {
        return ctx.Error(absl::StrCat("input depth ", in_channels,
                                      " is not a multiple of the filter depth ",
                                      filter_in_channels));
      }
      group = in_channels / filter_in_channels;
    }
    auto w = OnnxFilter(ctx, 1, rank);
    if (!w.ok()) return w.status();
    weight = *w;
  }

  auto padding =
      PaddingAttrs(ctx, conv.layout,
                   {SpatialDims(ctx, 0, conv.layout), kernel, conv.strides, conv.dilations});
  if (!padding.ok()) return padding.status();
  std::vector<Attribute> attrs = *std::move(padding);
  attrs.push_back(Attribute::Ints("strides", conv.strides));
  attrs.push_back(Attribute::Ints("dilations", conv.dilations));
  if (AllKnown(kernel)) attrs.push_back(Attribute::Ints("kernel_shape", kernel));
  if (group != 1) attrs.push_back(Attribute::Int("group", group));

  const std::string x = ToChannelsFirst(ctx, conv.layout, ctx.input(0));
  const std::string y = ctx.AddNode("Conv", {x, weight}, std::move(attrs));
  // ONNX inference gives up on a filter of unknown dims; the rank is the input's.
  EnsureType(ctx, y, InputDType(ctx, 0), std::vector<int64_t>(rank, -1));
  ctx.SetOutput(0, FromChannelsFirst(ctx, conv.layout, y));
  return absl::OkStatus();
}

// ConvBackpropInput with input_sizes computed at run time: the full
// ConvTranspose (no pads) of length stride*(out-1) + k, zero-extended at the
// end where TF's result is longer (rows no window reaches), then sliced to
// [before, before + size) with TF's leading pad `before` computed at run time.
absl::Status ConvBackpropInputRuntimeSizes(NodeContext& ctx, const ConvAttrs& conv) {
  const int rank = conv.layout.rank;
  const int n = conv.layout.num_spatial();
  auto fdims = StaticDims(ctx, 1);
  if (!fdims || static_cast<int>(fdims->size()) != rank) {
    return ctx.Unsupported("a filter of unknown shape");
  }
  std::vector<int64_t> kernel(fdims->begin(), fdims->begin() + n);
  if (!AllKnown(kernel)) return ctx.Unsupported("a filter of unknown spatial size");
  auto sizes_dims = ctx.input_dims(0);
  if (!sizes_dims || sizes_dims->size() != 1 || ((*sizes_dims)[0] != rank && (*sizes_dims)[0] != n)) {
    return ctx.Unsupported("input_sizes computed at run time, of unknown length");
  }
  std::vector<int64_t> tf_spatial, eff_kernel, onnx_spatial;
  for (int s = 0; s < n; ++s) {
    tf_spatial.push_back(conv.layout.spatial_axis(s));
    eff_kernel.push_back((kernel[s] - 1) * conv.dilations[s] + 1);
    onnx_spatial.push_back(2 + s);
  }
  std::string sizes = ctx.Cast(ctx.input(0), ir::DataType::kInt64);
  if ((*sizes_dims)[0] == rank) {
    sizes = ctx.AddNode("Gather", {sizes, ctx.ConstInt64s(tf_spatial, "spatial")},
                        {Attribute::Int("axis", 0)});
  }
  const std::string padding = ctx.attr_string("padding", "");
  std::string before;
  if (padding == "SAME") {  // total = max((out-1)*stride + k - size, 0), before = total/2
    const std::string out = ctx.AddNode(
        "Gather", {ctx.AddNode("Shape", {ctx.input(2)}), ctx.ConstInt64s(tf_spatial, "spatial")},
        {Attribute::Int("axis", 0)});
    std::string span = ctx.AddNode(
        "Mul", {ctx.AddNode("Sub", {out, ctx.ConstInt64s({1}, "one")}),
                ctx.ConstInt64s(conv.strides, "strides")});
    span = ctx.AddNode("Add", {span, ctx.ConstInt64s(eff_kernel, "kernel")});
    const std::string total = ctx.AddNode(
        "Max", {ctx.AddNode("Sub", {span, sizes}), ctx.ConstInt64s({0}, "zero")});
    before = ctx.AddNode("Div", {total, ctx.ConstInt64s({2}, "two")});
  } else if (padding == "VALID") {
    before = ctx.ConstInt64s(std::vector<int64_t>(n, 0), "before");
  } else if (padding == "EXPLICIT") {
    ASSIGN_OR_RETURN(const auto pairs, ExplicitPads(ctx, conv.layout));
    std::vector<int64_t> firsts;
    for (const auto& p : pairs) firsts.push_back(p.first);
    before = ctx.ConstInt64s(firsts, "before");
  } else {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  ASSIGN_OR_RETURN(const std::string weight, OnnxFilter(ctx, 1, rank));
  const std::string x = ToChannelsFirst(ctx, conv.layout, ctx.input(2));
  std::string y = ctx.AddNode(
      "ConvTranspose", {x, weight},
      {Attribute::Ints("kernel_shape", kernel), Attribute::Ints("strides", conv.strides),
       Attribute::Ints("dilations", conv.dilations),
       Attribute::Ints("pads", std::vector<int64_t>(2 * n, 0))});
  const std::string end = ctx.AddNode("Add", {before, sizes});
  const std::string full = ctx.AddNode(
      "Gather", {ctx.AddNode("Shape", {y}), ctx.ConstInt64s(onnx_spatial, "spatial")},
      {Attribute::Int("axis", 0)});
  const std::string extra =
      ctx.AddNode("Max", {ctx.AddNode("Sub", {end, full}), ctx.ConstInt64s({0}, "zero")});
  const std::string pads = ctx.AddNode(
      "Concat", {ctx.ConstInt64s(std::vector<int64_t>(rank + 2, 0), "pads_head"), extra},
      {Attribute::Int("axis", 0)});
  y = ctx.AddNode("Pad", {y, pads});
  y = ctx.AddNode("Slice", {y, before, end, ctx.ConstInt64s(onnx_spatial, "axes")});
  EnsureType(ctx, y, ctx.input_dtype(2), std::vector<int64_t>(rank, -1));
  ctx.SetOutput(0, FromChannelsFirst(ctx, conv.layout, y));
  return absl::OkStatus();
}

// Conv2DBackpropInput / Conv3DBackpropInputV2: the gradient of a conv wrt its
// input is a ConvTranspose. The result size comes from the constant
// input_sizes; ONNX's pads and output_padding are chosen to produce exactly it.
absl::Status ConvertConvBackpropInput(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const ConvAttrs conv, ParseConvAttrs(ctx));
  const int rank = conv.layout.rank;
  const int n = conv.layout.num_spatial();

  if (ctx.const_input(0) == nullptr) return ConvBackpropInputRuntimeSizes(ctx, conv);
  auto sizes = ctx.const_ints(0);
  if (!sizes.ok()) return sizes.status();
  // input_sizes is the full result shape, or (TF >= 2.3) its spatial dims only.
  std::vector<int64_t> in;
  if (static_cast<int>(sizes->size()) == rank) {
    for (int s = 0; s < n; ++s) in.push_back((*sizes)[conv.layout.spatial_axis(s)]);
  } else if (static_cast<int>(sizes->size()) == n) {
    in = *sizes;
  } else {
    return ctx.Error(absl::StrCat("input_sizes has ", sizes->size(), " entries"));
  }

  auto fdims = StaticDims(ctx, 1);
  if (!fdims || static_cast<int>(fdims->size()) != rank) {
    return ctx.Unsupported("a filter of unknown shape");
  }
  std::vector<int64_t> kernel(fdims->begin(), fdims->begin() + n);
  if (!AllKnown(kernel)) return ctx.Unsupported("a filter of unknown spatial size");

  const std::string padding = ctx.attr_string("padding", "");
  std::vector<std::pair<int64_t, int64_t>> explicit_pads;
  if (padding == "EXPLICIT") {
    auto p = ExplicitPads(ctx, conv.layout);
    if (!p.ok()) return p.status();
    explicit_pads = *std::move(p);
  } else if (padding != "SAME" && padding != "VALID") {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }

  const std::vector<int64_t> grad_dims = SpatialDims(ctx, 2, conv.layout);
  std::vector<int64_t> pads(2 * n, 0);
  std::vector<int64_t> output_padding(n, 0);
  bool any_output_padding = false;
  for (int s = 0; s < n; ++s) {
    const int64_t k = (kernel[s] - 1) * conv.dilations[s] + 1;  // effective kernel
    const int64_t stride = conv.strides[s];
    // The forward conv's output size and leading pad, as TF computes them.
    int64_t out = 0;
    int64_t before = 0;
    if (padding == "SAME") {
      out = (in[s] + stride - 1) / stride;
      before = SamePadTotal(in[s], kernel[s], stride, conv.dilations[s]) / 2;
    } else if (padding == "VALID") {
      out = in[s] >= k ? (in[s] - k) / stride + 1 : 0;
    } else {
      before = explicit_pads[s].first;
      const int64_t padded = in[s] + explicit_pads[s].first + explicit_pads[s].second;
      out = padded >= k ? (padded - k) / stride + 1 : 0;
    }
    if (out < 1) return ctx.Error("input_sizes are smaller than the filter");
    if (grad_dims[s] >= 0 && grad_dims[s] != out) {
      return ctx.Error(absl::StrCat("out_backprop spatial dim ", s, " is ", grad_dims[s],
                                    " but input_sizes imply ", out));
    }
    // ConvTranspose yields stride*(out-1) + k - pad_begin - pad_end + output_padding.
    int64_t end = stride * (out - 1) + k - before - in[s];
    if (end < 0) {
      output_padding[s] = -end;
      any_output_padding = true;
      end = 0;
    }
    pads[s] = before;
    pads[n + s] = end;
  }

  // TF's filter is [spatial..., in_channels, out_channels] of the forward conv;
  // ConvTranspose wants [C of its input (= out_channels), M, spatial...]: the
  // same permutation as Conv's.
  auto weight = OnnxFilter(ctx, 1, rank);
  if (!weight.ok()) return weight.status();
  std::vector<Attribute> attrs = {
      Attribute::Ints("kernel_shape", kernel), Attribute::Ints("strides", conv.strides),
      Attribute::Ints("dilations", conv.dilations), Attribute::Ints("pads", pads)};
  if (any_output_padding) attrs.push_back(Attribute::Ints("output_padding", output_padding));

  const std::string x = ToChannelsFirst(ctx, conv.layout, ctx.input(2));
  const std::string y = ctx.AddNode("ConvTranspose", {x, *weight}, std::move(attrs));
  ctx.SetOutput(0, FromChannelsFirst(ctx, conv.layout, y));
  return absl::OkStatus();
}

// The type a pool computes in: ONNX's pools (before opset 22) take float16,
// float and double, MaxPool also 8-bit integers. TF's other types go through a
// type that holds them exactly and back; kUndefined means no cast.
absl::StatusOr<ir::DataType> PoolComputeType(const NodeContext& ctx, bool is_max) {
  using ir::DataType;
  switch (ctx.input_dtype(0)) {
    case DataType::kBfloat16:
      return DataType::kFloat;
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kInt32:
    case DataType::kUint32:
      if (is_max) return DataType::kDouble;
      break;
    case DataType::kInt64:
    case DataType::kUint64:
      return ctx.Unsupported("pooling of 64-bit integers");
    default:
      break;
  }
  return DataType::kUndefined;
}

// MaxPool, AvgPool and their 3-D forms; MaxPoolV2 takes ksize and strides as
// inputs 1 and 2.
absl::Status ConvertPool(NodeContext& ctx) {
  const std::string& op = ctx.op_type();
  const bool is_max = op.rfind("MaxPool", 0) == 0;
  auto layout = ParseLayout(ctx, DefaultFormat(ctx));
  if (!layout.ok()) return layout.status();

  std::vector<int64_t> ksize_values;
  std::vector<int64_t> stride_values;
  if (op == "MaxPoolV2") {
    auto k = ctx.const_ints(1);
    if (!k.ok()) return k.status();
    auto s = ctx.const_ints(2);
    if (!s.ok()) return s.status();
    ksize_values = *std::move(k);
    stride_values = *std::move(s);
  } else {
    ksize_values = ctx.attr_ints("ksize");
    stride_values = ctx.attr_ints("strides");
  }
  if (ksize_values.empty()) return ctx.Error("missing ksize");
  auto kernel = SpatialValues(ctx, "ksize", ksize_values, *layout);
  if (!kernel.ok()) return kernel.status();
  auto strides = SpatialValues(ctx, "strides", stride_values, *layout);
  if (!strides.ok()) return strides.status();
  const std::vector<int64_t> dilations(layout->num_spatial(), 1);

  auto padding =
      PaddingAttrs(ctx, *layout, {SpatialDims(ctx, 0, *layout), *kernel, *strides, dilations});
  if (!padding.ok()) return padding.status();
  std::vector<Attribute> attrs = *std::move(padding);
  attrs.push_back(Attribute::Ints("kernel_shape", *kernel));
  attrs.push_back(Attribute::Ints("strides", *strides));
  // TF averages over the window's in-bounds elements only.
  if (!is_max) attrs.push_back(Attribute::Int("count_include_pad", 0));

  auto compute_type = PoolComputeType(ctx, is_max);
  if (!compute_type.ok()) return compute_type.status();
  const bool cast = *compute_type != ir::DataType::kUndefined;
  std::string x = ToChannelsFirst(ctx, *layout, ctx.input(0));
  if (cast) x = ctx.Cast(x, *compute_type);
  std::string y = ctx.AddNode(is_max ? "MaxPool" : "AveragePool", {x}, std::move(attrs));
  if (cast) y = ctx.Cast(y, ctx.input_dtype(0));
  ctx.SetOutput(0, FromChannelsFirst(ctx, *layout, y));
  return absl::OkStatus();
}

}  // namespace

// Conv-11, ConvTranspose-11, MaxPool-12 and AveragePool-11/19 cover opsets
// 13..21 with the attributes used here (AveragePool-19 only adds dilations).
void RegisterConvOps(HandlerRegistry& r) {
  r.Register({"Conv2D", "Conv3D", "DepthwiseConv2dNative"}, kMinOpset, Inputs(2), ConvertConv);
  r.Register({"Conv2DBackpropInput", "Conv3DBackpropInputV2"}, kMinOpset, Inputs(3),
             ConvertConvBackpropInput);  // input_sizes, filter, out_backprop
  r.Register({"MaxPool", "AvgPool", "MaxPool3D", "AvgPool3D"}, kMinOpset, Inputs(1), ConvertPool);
  r.Register({"MaxPoolV2"}, kMinOpset, Inputs(3), ConvertPool);  // input, ksize, strides
}

}  // namespace onnxsmith::converter

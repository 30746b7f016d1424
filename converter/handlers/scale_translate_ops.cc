// ScaleAndTranslate (tf.image.resize with lanczos3/5, gaussian, mitchellcubic,
// and antialiased bilinear/bicubic) at static image and output sizes: the op
// is separable, so each axis becomes one weight matrix computed here as TF's
// kernel computes its spans (support widened by 1/scale when antialiasing
// a downscale, samples outside the image left empty, each span normalized),
// applied as two MatMuls (EmitSeparable, image_resample_ops.cc).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/tf/proto/graph.pb.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

absl::Status EmitSeparable(NodeContext& ctx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                           const std::vector<float>& rows, const std::vector<float>& cols);

namespace {

// TF's sampling kernels (in float, as TF evaluates them) and their radii.
struct SamplingKernel {
  std::function<float(float)> fn;
  float radius;
};

std::optional<SamplingKernel> KernelByName(const std::string& name) {
  constexpr float kPi = 3.14159265359f;
  auto lanczos = [kPi](float radius) {
    return SamplingKernel{[radius, kPi](float x) {
                            x = std::abs(x);
                            if (x > radius) return 0.0f;
                            if (x <= 1e-3f) return 1.0f;
                            return radius * std::sin(kPi * x) * std::sin(kPi * x / radius) /
                                   (kPi * kPi * x * x);
                          },
                          radius};
  };
  if (name == "lanczos1") return lanczos(1.0f);
  if (name == "lanczos3") return lanczos(3.0f);
  if (name == "lanczos5") return lanczos(5.0f);
  if (name == "gaussian") {
    constexpr float kRadius = 1.5f, kSigma = kRadius / 3.0f;
    return SamplingKernel{[](float x) {
                            x = std::abs(x);
                            if (x >= kRadius) return 0.0f;
                            return static_cast<float>(std::exp(-x * x / (2.0 * kSigma * kSigma)));
                          },
                          kRadius};
  }
  if (name == "box") {
    return SamplingKernel{[](float x) {
                            x = std::abs(x);
                            return x < 0.5f ? 1.0f : x == 0.5f ? 0.5f : 0.0f;
                          },
                          1.0f};
  }
  if (name == "triangle") {
    return SamplingKernel{[](float x) {
                            x = std::abs(x);
                            return x < 1.0f ? 1.0f - x : 0.0f;
                          },
                          1.0f};
  }
  if (name == "keyscubic") {
    return SamplingKernel{[](float x) {
                            x = std::abs(x);
                            if (x >= 2.0f) return 0.0f;
                            if (x >= 1.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
                            return ((1.5f * x - 2.5f) * x) * x + 1.0f;
                          },
                          2.0f};
  }
  if (name == "mitchellcubic") {
    return SamplingKernel{[](float x) {
                            x = std::abs(x);
                            if (x >= 2.0f) return 0.0f;
                            if (x >= 1.0f) {
                              return (((-7.0f / 18.0f) * x + 2.0f) * x - 10.0f / 3.0f) * x +
                                     16.0f / 9.0f;
                            }
                            return (((7.0f / 6.0f) * x - 2.0f) * x) * x + 8.0f / 9.0f;
                          },
                          2.0f};
  }
  return std::nullopt;
}

// w[o][i] of one axis: output pixel o samples the input at
// (o + 1/2) / scale - translate / scale, from the inputs within the kernel's
// (widened) radius, weights normalized to sum 1.
std::vector<float> SpanWeights(const SamplingKernel& kernel, int64_t in, int64_t out, float scale,
                               float translate, bool antialias) {
  const float inv_scale = 1.0f / scale;
  const float inv_translate = -inv_scale * translate;
  const float kernel_scale = antialias ? std::max(inv_scale, 1.0f) : 1.0f;
  const float one_over_kernel_scale = 1.0f / kernel_scale;
  std::vector<float> w(static_cast<size_t>(out * in), 0.0f);
  std::vector<float> span;
  for (int64_t o = 0; o < out; ++o) {
    const float sample = (static_cast<float>(o) + 0.5f) * inv_scale + inv_translate;
    if (sample < 0 || sample > static_cast<float>(in)) continue;  // an empty span
    const float reach = kernel.radius * kernel_scale;
    int64_t start = static_cast<int64_t>(std::ceil(sample - reach - 0.5f));
    int64_t end = static_cast<int64_t>(std::floor(sample + reach - 0.5f));
    start = std::clamp<int64_t>(start, 0, in - 1);
    end = std::clamp<int64_t>(end, 0, in - 1) + 1;
    float sum = 0.0f;
    span.clear();
    for (int64_t i = start; i < end; ++i) {
      const float pos = static_cast<float>(i) + 0.5f - sample;
      span.push_back(kernel.fn(std::abs(pos * one_over_kernel_scale)));
      sum += span.back();
    }
    if (std::abs(sum) < 1000.0f * std::numeric_limits<float>::min()) continue;
    const float inv_sum = 1.0f / sum;
    for (int64_t i = start; i < end; ++i) {
      w[static_cast<size_t>(o * in + i)] = span[static_cast<size_t>(i - start)] * inv_sum;
    }
  }
  return w;
}

absl::StatusOr<std::vector<float>> ConstFloatPair(const NodeContext& ctx, int i,
                                                  const char* what) {
  const ir::Tensor* t = ctx.const_input(i);
  if (t == nullptr) {
    return ctx.Unsupported(absl::StrCat("a run-time ", what,
                                        " (the conversion builds its weight tables from it)"));
  }
  auto values = t->ToDoubles();
  if (!values.ok()) return ctx.Error(absl::StrCat(what, ": ", values.status().message()));
  std::vector<float> v(values->begin(), values->end());
  if (v.size() != 2) return ctx.Error(absl::StrCat(what, " must hold two values"));
  return v;
}

// The TF node producing tensor `name` ("node" or "node:k"), or nullptr.
const tf::NodeDef* Producer(const NodeContext& ctx, std::string name) {
  const tf::GraphDef* g = ctx.graph_def();
  if (g == nullptr) return nullptr;
  if (const size_t colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  for (const tf::NodeDef& n : g->node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

// tf.image.resize computes the scale in the graph as
// Cast(size) / Cast(StridedSlice(Shape(images))): with a static image size
// that is size / [h, w] in float, as TF's RealDiv gives it.
bool IsResizeScale(const NodeContext& ctx) {
  const tf::NodeDef* div = Producer(ctx, ctx.node().input(2));
  if (div == nullptr || (div->op() != "RealDiv" && div->op() != "Div") || div->input_size() != 2) {
    return false;
  }
  const tf::NodeDef* num = Producer(ctx, div->input(0));
  const tf::NodeDef* den = Producer(ctx, div->input(1));
  if (num == nullptr || den == nullptr || num->op() != "Cast" || den->op() != "Cast") return false;
  const tf::NodeDef* slice = Producer(ctx, den->input(0));
  return Producer(ctx, num->input(0)) == Producer(ctx, ctx.node().input(1)) &&
         slice != nullptr && slice->op() == "StridedSlice";
}

absl::Status ConvertScaleAndTranslate(NodeContext& ctx) {
  const std::string kernel_name = ctx.attr_string("kernel_type", "lanczos3");
  const std::optional<SamplingKernel> kernel = KernelByName(kernel_name);
  if (!kernel) return ctx.Unsupported(absl::StrCat("kernel_type '", kernel_name, "'"));
  const bool antialias = ctx.attr_bool("antialias", true);
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(0);
  if (!dims || dims->size() != 4) return ctx.Error("images must be 4-D (NHWC)");
  const int64_t h = (*dims)[1], w = (*dims)[2];
  if (h < 0 || w < 0) {
    return ctx.Unsupported("images with a dynamic height or width (the conversion builds its "
                           "weight tables from them)");
  }
  auto size = ctx.const_ints(1);
  if (!size.ok()) return size.status();
  if (size->size() != 2 || (*size)[0] < 1 || (*size)[1] < 1) {
    return ctx.Error("size must hold two positive values");
  }
  auto scale = ctx.const_input(2) == nullptr && IsResizeScale(ctx)
                   ? absl::StatusOr<std::vector<float>>(std::vector<float>{
                         static_cast<float>((*size)[0]) / static_cast<float>(h),
                         static_cast<float>((*size)[1]) / static_cast<float>(w)})
                   : ConstFloatPair(ctx, 2, "scale");
  if (!scale.ok()) return scale.status();
  auto translate = ConstFloatPair(ctx, 3, "translation");
  if (!translate.ok()) return translate.status();
  if ((*scale)[0] <= 0 || (*scale)[1] <= 0) return ctx.Error("scale must be positive");
  if (h == 0 || w == 0) return ctx.Unsupported("empty images");
  const int64_t oh = (*size)[0], ow = (*size)[1];
  return EmitSeparable(ctx, h, w, oh, ow,
                       SpanWeights(*kernel, h, oh, (*scale)[0], (*translate)[0], antialias),
                       SpanWeights(*kernel, w, ow, (*scale)[1], (*translate)[1], antialias));
}

}  // namespace

void RegisterScaleTranslateOps(HandlerRegistry& r) {
  r.Register({"ScaleAndTranslate"}, kMinOpset, Inputs(4), ConvertScaleAndTranslate);
}

}  // namespace onnxsmith::converter

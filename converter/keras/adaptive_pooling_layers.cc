// Keras 3 adaptive pooling: AdaptiveAveragePooling1D-3D and
// AdaptiveMaxPooling1D-3D. Output bin i of an axis of size n pools
// [floor(i n / out), ceil((i + 1) n / out)) (float32 arithmetic, as Keras).
// Both are separable: averages are one constant [n, out] matrix per axis
// (Einsum), maxima one Slice + ReduceMax per bin, concatenated.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;

std::vector<std::pair<int64_t, int64_t>> Bins(int64_t n, int64_t out) {
  std::vector<std::pair<int64_t, int64_t>> bins;
  for (int64_t i = 0; i < out; ++i) {
    const float nf = static_cast<float>(n), of = static_cast<float>(out);
    int64_t start = static_cast<int64_t>(std::floor(static_cast<float>(i) * nf / of));
    int64_t end = static_cast<int64_t>(std::ceil(static_cast<float>(i + 1) * nf / of));
    start = std::min(start, n - 1);
    end = std::min(end, n);
    bins.emplace_back(start, end);
  }
  return bins;
}

// Averages bins of `axis`: x contracted with a [n, out] matrix.
std::string AverageAxis(LayerContext& ctx, const std::string& x, int rank, int axis, int64_t n,
                        int64_t out) {
  std::vector<float> m(n * out, 0.0f);
  const auto bins = Bins(n, out);
  for (int64_t i = 0; i < out; ++i) {
    for (int64_t k = bins[i].first; k < bins[i].second; ++k) {
      m[k * out + i] = 1.0f / static_cast<float>(bins[i].second - bins[i].first);
    }
  }
  const std::string in = std::string("abcde").substr(0, rank);
  std::string res = in;
  res[axis] = 'z';
  const std::string eq = absl::StrCat(in, ",", std::string(1, in[axis]), "z->", res);
  return ctx.AddNode("Einsum", {x, ctx.ConstFloats({n, out}, m, "bins")},
                     {Attribute::String("equation", eq)});
}

std::string MaxAxis(LayerContext& ctx, const std::string& x, int axis, int64_t n, int64_t out) {
  std::vector<std::string> parts;
  for (const auto& [start, end] : Bins(n, out)) {
    const std::string s = ctx.AddNode(
        "Slice", {x, ctx.ConstInt64s({start}, "start"), ctx.ConstInt64s({end}, "end"),
                  ctx.ConstInt64s({axis}, "axis")});
    parts.push_back(ctx.Reduce("ReduceMax", s, {axis}, true));
  }
  if (parts.size() == 1) return parts[0];
  return ctx.AddNode("Concat", parts, {Attribute::Int("axis", axis)});
}

absl::Status ConvertAdaptivePool(LayerContext& ctx) {
  ASSIGN_OR_RETURN(bool channels_first, ctx.ChannelsFirst());
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  const int n = rank - 2;
  if (n < 1 || n > 3) return ctx.Error(absl::StrCat("expects an input of rank 3 to 5, got ", rank));
  ASSIGN_OR_RETURN(std::vector<int64_t> out, ctx.Ints("output_size", n));
  auto dims = ctx.input_dims(0);
  const bool average = ctx.class_name().find("Average") != std::string::npos;
  std::string y = ctx.input(0);
  for (int s = 0; s < n; ++s) {
    const int axis = channels_first ? 2 + s : 1 + s;
    const int64_t size = dims ? (*dims)[axis] : -1;
    if (size < 0) return ctx.Unsupported("a spatial size unknown before run time (Keras needs it too)");
    if (out[s] <= 0) return ctx.Error(absl::StrCat("output_size ", out[s], " is not positive"));
    y = average ? AverageAxis(ctx, y, rank, axis, size, out[s]) : MaxAxis(ctx, y, axis, size, out[s]);
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterAdaptivePoolingLayers(LayerRegistry& r) {
  r.Register({"AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
              "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"},
             Inputs(1), ConvertAdaptivePool, "static spatial sizes; channels_first too");
}

}  // namespace onnxsmith::converter::keras

// Resize (opset 10, 11-12, 13-17, 18+; nearest / linear / cubic with every
// coordinate_transformation_mode), Upsample (7-9), DepthToSpace,
// SpaceToDepth.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/copy.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

struct Tap {
  int64_t index;
  double weight;
};

struct AxisPlan {
  bool active = false;           // this axis is resampled
  int64_t in = 0, out = 0;
  std::vector<std::vector<Tap>> taps;  // per output index
  std::vector<bool> outside;     // tf_crop_and_resize: extrapolate
};

struct ResizeAttrs {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
  bool legacy = false;  // opset 10 Resize / Upsample: asymmetric + "simple" nearest
};

float OriginalCoordinate(const ResizeAttrs& at, float x, float scale, int64_t in, int64_t out,
                         float roi_start, float roi_end) {
  const std::string& m = at.coord;
  if (m == "asymmetric") return x / scale;
  if (m == "align_corners") {
    return out == 1 ? 0.0f : x * static_cast<float>(in - 1) / static_cast<float>(out - 1);
  }
  if (m == "pytorch_half_pixel") return out > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5f) / scale;
  if (m == "tf_crop_and_resize") {
    return out > 1 ? roi_start * (in - 1) + x * (roi_end - roi_start) * (in - 1) / (out - 1)
                   : 0.5f * (roi_start + roi_end) * (in - 1);
  }
  if (m == "half_pixel_symmetric") {
    const float adjustment = static_cast<float>(out) / (scale * static_cast<float>(in));
    const float center = static_cast<float>(in) / 2;
    const float offset = center * (1 - adjustment);
    return offset + (x + 0.5f) / scale - 0.5f;
  }
  return (x + 0.5f) / scale - 0.5f;  // half_pixel
}

int64_t NearestIndex(const ResizeAttrs& at, float x, bool downsampling) {
  if (at.legacy) {
    return downsampling ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(x);
  }
  const std::string& m = at.nearest;
  if (m == "round_prefer_ceil") return static_cast<int64_t>(std::round(x));
  if (m == "floor") return static_cast<int64_t>(std::floor(x));
  if (m == "ceil") return static_cast<int64_t>(std::ceil(x));
  // round_prefer_floor
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) {
    return static_cast<int64_t>(std::floor(x));
  }
  return static_cast<int64_t>(std::round(x));
}

void CubicCoefficients(double s, double a, double c[4]) {
  const double s1 = s + 1, s2 = 1 - s, s3 = 2 - s;
  c[0] = ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a;
  c[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
  c[2] = ((a + 2) * s2 - (a + 3)) * s2 * s2 + 1;
  c[3] = ((a * s3 - 5 * a) * s3 + 8 * a) * s3 - 4 * a;
}

AxisPlan PlanAxis(const ResizeAttrs& at, int64_t in, int64_t out, float scale, float roi_start,
                  float roi_end) {
  AxisPlan p;
  p.in = in;
  p.out = out;
  p.active = true;
  p.taps.resize(out);
  p.outside.assign(out, false);
  const bool crop = at.coord == "tf_crop_and_resize";
  for (int64_t o = 0; o < out; ++o) {
    const float x = OriginalCoordinate(at, static_cast<float>(o), scale, in, out, roi_start, roi_end);
    if (crop && (x < 0 || x > static_cast<float>(in - 1))) {
      p.outside[o] = true;
      p.taps[o] = {{0, 0.0}};
      continue;
    }
    if (at.mode == "nearest") {
      int64_t i = NearestIndex(at, x, scale < 1.0f);
      i = std::clamp<int64_t>(i, 0, in - 1);
      p.taps[o] = {{i, 1.0}};
    } else if (at.mode == "linear") {
      const float xc = std::clamp(x, 0.0f, static_cast<float>(in - 1));
      const int64_t x0 = std::min<int64_t>(static_cast<int64_t>(xc), in - 1);
      const int64_t x1 = std::min<int64_t>(x0 + 1, in - 1);
      const float d1 = xc - static_cast<float>(x0);
      const float d0 = 1.0f - d1;
      if (x0 == x1) {
        p.taps[o] = {{x0, 1.0}};
      } else {
        p.taps[o] = {{x0, d0}, {x1, d1}};
      }
    } else {  // cubic
      const double fl = std::floor(static_cast<double>(x));
      double c[4];
      CubicCoefficients(static_cast<double>(x) - fl, at.cubic_a, c);
      std::vector<Tap> taps;
      double wsum = 0;
      for (int k = 0; k < 4; ++k) {
        int64_t i = static_cast<int64_t>(fl) - 1 + k;
        if (at.exclude_outside && (i < 0 || i >= in)) continue;
        i = std::clamp<int64_t>(i, 0, in - 1);
        taps.push_back({i, c[k]});
        wsum += c[k];
      }
      if (at.exclude_outside && wsum != 0) {
        for (Tap& t : taps) t.weight /= wsum;
      }
      p.taps[o] = std::move(taps);
    }
  }
  return p;
}

// Resamples one axis of `in` (dims `dims`) into `out`.
template <typename T>
void ApplyAxis(const AxisPlan& p, const T* in, const Dims& dims, int axis, T* out) {
  const int64_t outer = NumElements(Dims(dims.begin(), dims.begin() + axis));
  const int64_t inner = NumElements(Dims(dims.begin() + axis + 1, dims.end()));
  for (int64_t o = 0; o < outer; ++o) {
    const T* src = in + o * p.in * inner;
    T* dst = out + o * p.out * inner;
    for (int64_t j = 0; j < p.out; ++j) {
      T* d = dst + j * inner;
      const auto& taps = p.taps[j];
      if (taps.size() == 1 && taps[0].weight == 1.0) {
        std::memcpy(d, src + taps[0].index * inner, sizeof(T) * inner);
        continue;
      }
      for (int64_t i = 0; i < inner; ++i) {
        double acc = 0;
        for (const Tap& t : taps) acc += t.weight * static_cast<double>(src[t.index * inner + i]);
        d[i] = static_cast<T>(acc);
      }
    }
  }
}

// Output dims from `sizes` (scales then default to sizes / input dims) or
// from `scales` (floor(input * scale)).
absl::Status OutputDims(KernelContext& ctx, const Array& x, std::vector<float>* scales,
                        const std::vector<int64_t>& sizes, Dims* out_dims) {
  const int r = x.rank();
  out_dims->resize(r);
  if (!sizes.empty()) {
    if (static_cast<int>(sizes.size()) != r) return ctx.Error("sizes must have ", r, " entries");
    const bool given = !scales->empty();
    if (!given) scales->resize(r);
    for (int i = 0; i < r; ++i) {
      if (sizes[i] < 0) return ctx.Error("negative size");
      (*out_dims)[i] = sizes[i];
      if (!given) {
        (*scales)[i] = x.dims()[i] == 0
                           ? 1.0f
                           : static_cast<float>(sizes[i]) / static_cast<float>(x.dims()[i]);
      }
    }
    return absl::OkStatus();
  }
  if (static_cast<int>(scales->size()) != r) return ctx.Error("scales must have ", r, " entries");
  for (int i = 0; i < r; ++i) {
    if ((*scales)[i] <= 0) return ctx.Error("scales must be positive");
    (*out_dims)[i] =
        static_cast<int64_t>(std::floor(static_cast<double>(x.dims()[i]) * (*scales)[i]));
  }
  return absl::OkStatus();
}

absl::Status ResizeImpl(KernelContext& ctx, const ResizeAttrs& at, std::vector<float> scales,
                        std::vector<int64_t> sizes, std::vector<float> roi) {
  const Array& x = ctx.input(0);
  const int r = x.rank();
  if (at.mode != "nearest" && at.mode != "linear" && at.mode != "cubic") {
    return ctx.Error("unknown mode '", at.mode, "'");
  }
  Dims out_dims;
  RETURN_IF_ERROR(OutputDims(ctx, x, &scales, sizes, &out_dims));
  if (roi.empty()) {
    roi.assign(2 * r, 0.0f);
    for (int i = 0; i < r; ++i) roi[r + i] = 1.0f;
  }
  if (static_cast<int>(roi.size()) != 2 * r) return ctx.Error("roi must have ", 2 * r, " entries");
  const bool crop = at.coord == "tf_crop_and_resize";
  std::vector<AxisPlan> plans(r);
  for (int i = 0; i < r; ++i) {
    const bool identity = out_dims[i] == x.dims()[i] && scales[i] == 1.0f && !crop;
    if (identity || out_dims[i] == 0 || x.dims()[i] == 0) continue;
    plans[i] = PlanAxis(at, x.dims()[i], out_dims[i], scales[i], roi[i], roi[r + i]);
  }
  if (at.mode != "nearest") {
    for (int i = 0; i < r; ++i) {
      if (!plans[i].active) continue;
      if (ctx.GetInt("antialias", 0) != 0 && scales[i] < 1.0f) {
        return ctx.Unsupported("Resize with antialias when downscaling");
      }
    }
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  if (out->size() == 0) return absl::OkStatus();
  bool any_active = false;
  for (const AxisPlan& p : plans) any_active |= p.active;
  if (!any_active) {
    CopyElements(out->mutable_raw(), x.raw(), x.size(), x.element_size());
    return absl::OkStatus();
  }
  if (at.mode == "nearest") {
    // Direct gather with per-axis index maps; any element type.
    const int es = x.element_size();
    std::vector<std::vector<int64_t>> map(r);
    for (int i = 0; i < r; ++i) {
      map[i].resize(out_dims[i]);
      for (int64_t o = 0; o < out_dims[i]; ++o) {
        map[i][o] = plans[i].active ? plans[i].taps[o][0].index : o;
      }
    }
    GatherByAxisMaps(out->mutable_raw(), x.raw(), x.dims(), out_dims, map, es);
  } else {
    RETURN_IF_ERROR(Dispatch<kFloatTypes>(x.dtype(), "Resize", [&](auto tag) -> absl::Status {
      using T = typename decltype(tag)::type;
      Array cur = x;
      Dims cur_dims = x.dims();
      for (int i = 0; i < r; ++i) {
        if (!plans[i].active) continue;
        Dims next_dims = cur_dims;
        next_dims[i] = out_dims[i];
        bool last = true;
        for (int j = i + 1; j < r; ++j) last &= !plans[j].active;
        Array next;
        if (last) {
          next = *out;
        } else {
          ASSIGN_OR_RETURN(next, ctx.Scratch(x.dtype(), next_dims));
        }
        ApplyAxis<T>(plans[i], cur.data<T>(), cur_dims, i, next.mutable_data<T>());
        cur = next;
        cur_dims = next_dims;
      }
      return absl::OkStatus();
    }));
  }
  if (crop) {
    // Elements whose source lies outside the crop box get extrapolation_value.
    RETURN_IF_ERROR(Dispatch<kNumericTypes>(x.dtype(), "Resize", [&](auto tag) -> absl::Status {
      using T = typename decltype(tag)::type;
      T* y = out->mutable_data<T>();
      std::vector<int64_t> pos(r, 0);
      for (int64_t e = 0; e < out->size(); ++e) {
        bool outside = false;
        for (int i = 0; i < r && !outside; ++i) outside = plans[i].active && plans[i].outside[pos[i]];
        if (outside) y[e] = static_cast<T>(at.extrapolation);
        for (int i = r - 1; i >= 0; --i) {
          if (++pos[i] < out_dims[i]) break;
          pos[i] = 0;
        }
      }
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> FloatInput(KernelContext& ctx, int i) {
  ASSIGN_OR_RETURN(std::vector<double> v, ToDoubleVector(ctx.input(i)));
  return std::vector<float>(v.begin(), v.end());
}

absl::Status ResizeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  ResizeAttrs at;
  at.mode = ctx.GetString("mode", "nearest");
  std::vector<float> scales, roi;
  std::vector<int64_t> sizes;
  if (ctx.opset() < 11) {
    at.legacy = true;
    at.coord = "asymmetric";
    RETURN_IF_ERROR(ctx.RequireInputs(2));
    ASSIGN_OR_RETURN(scales, FloatInput(ctx, 1));
    return ResizeImpl(ctx, at, scales, sizes, roi);
  }
  at.coord = ctx.GetString("coordinate_transformation_mode", "half_pixel");
  at.nearest = ctx.GetString("nearest_mode", "round_prefer_floor");
  at.cubic_a = ctx.GetFloat("cubic_coeff_a", -0.75f);
  at.exclude_outside = ctx.GetInt("exclude_outside", 0) != 0;
  at.extrapolation = ctx.GetFloat("extrapolation_value", 0.0f);
  if (ctx.has_input(1) && ctx.input(1).size() > 0) {
    ASSIGN_OR_RETURN(roi, FloatInput(ctx, 1));
  }
  if (ctx.has_input(2) && ctx.input(2).size() > 0) {
    ASSIGN_OR_RETURN(scales, FloatInput(ctx, 2));
  }
  if (ctx.has_input(3) && ctx.input(3).size() > 0) {
    ASSIGN_OR_RETURN(sizes, ctx.InputInts(3));
  }
  if (scales.empty() == sizes.empty()) {
    return ctx.Error("exactly one of scales and sizes is required");
  }
  const int r = x.rank();
  // Opset 18: axes and keep_aspect_ratio_policy.
  std::vector<int64_t> axes = ctx.opset() >= 18 ? ctx.GetInts("axes") : std::vector<int64_t>{};
  if (!axes.empty()) {
    std::vector<float> full_scales(r, 1.0f), full_roi;
    std::vector<int64_t> full_sizes(x.dims().begin(), x.dims().end());
    if (!roi.empty()) {
      full_roi.assign(2 * r, 0.0f);
      for (int i = 0; i < r; ++i) full_roi[r + i] = 1.0f;
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      ASSIGN_OR_RETURN(int ax, NormalizeAxis(axes[k], r));
      if (!scales.empty()) {
        if (scales.size() != axes.size()) return ctx.Error("scales must match axes");
        full_scales[ax] = scales[k];
      }
      if (!sizes.empty()) {
        if (sizes.size() != axes.size()) return ctx.Error("sizes must match axes");
        full_sizes[ax] = sizes[k];
      }
      if (!roi.empty()) {
        if (roi.size() != 2 * axes.size()) return ctx.Error("roi must match axes");
        full_roi[ax] = roi[k];
        full_roi[r + ax] = roi[axes.size() + k];
      }
    }
    if (!scales.empty()) scales = full_scales;
    if (!sizes.empty()) sizes = full_sizes;
    roi = full_roi;
    axes.clear();
    for (int i = 0; i < r; ++i) axes.push_back(i);
  }
  const std::string policy = ctx.GetString("keep_aspect_ratio_policy", "stretch");
  if (!sizes.empty() && policy != "stretch" && ctx.opset() >= 18) {
    if (policy != "not_larger" && policy != "not_smaller") {
      return ctx.Error("unknown keep_aspect_ratio_policy '", policy, "'");
    }
    std::vector<int64_t> which = ctx.GetInts("axes");
    std::vector<bool> sel(r, which.empty());
    for (int64_t a : which) sel[a < 0 ? a + r : a] = true;
    float s = policy == "not_larger" ? std::numeric_limits<float>::max() : 0.0f;
    for (int i = 0; i < r; ++i) {
      if (!sel[i]) continue;
      const float si = static_cast<float>(sizes[i]) / static_cast<float>(x.dims()[i]);
      s = policy == "not_larger" ? std::min(s, si) : std::max(s, si);
    }
    scales.assign(r, 1.0f);
    for (int i = 0; i < r; ++i) {
      if (!sel[i]) continue;
      scales[i] = s;
      sizes[i] = static_cast<int64_t>(std::round(s * static_cast<float>(x.dims()[i])));
    }
    // The policy's scale drives the coordinates; sizes are final.
    return ResizeImpl(ctx, at, scales, sizes, roi);
  }
  return ResizeImpl(ctx, at, scales, sizes, roi);
}

absl::Status UpsampleKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  ResizeAttrs at;
  at.legacy = true;
  at.coord = "asymmetric";
  at.mode = ctx.GetString("mode", "nearest");
  std::vector<float> scales;
  if (ctx.opset() >= 9) {
    RETURN_IF_ERROR(ctx.RequireInputs(2));
    ASSIGN_OR_RETURN(scales, FloatInput(ctx, 1));
  } else {
    scales = ctx.GetFloats("scales");
  }
  return ResizeImpl(ctx, at, scales, {}, {});
}

absl::Status DepthSpaceKernel(KernelContext& ctx, bool to_space) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() != 4) return ctx.Error("input must be 4-D");
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (b <= 0) return ctx.Error("blocksize must be positive");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  Dims view, perm, out_dims;
  if (to_space) {
    if (C % (b * b) != 0) return ctx.Error("channels ", C, " are not divisible by blocksize^2");
    const int64_t c = C / (b * b);
    if (ctx.GetString("mode", "DCR") == "CRD") {
      view = {N, c, b, b, H, W};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      view = {N, b, b, c, H, W};
      perm = {0, 3, 4, 1, 5, 2};
    }
    out_dims = {N, c, H * b, W * b};
  } else {
    if (H % b != 0 || W % b != 0) return ctx.Error("spatial dims are not divisible by blocksize");
    view = {N, C, H / b, b, W / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out_dims = {N, C * b * b, H / b, W / b};
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  TransposeCopy(out->mutable_raw(), x.raw(), view, perm, x.element_size(), ctx.parallel());
  return absl::OkStatus();
}

}  // namespace

void RegisterResizeKernels(KernelRegistry& r) {
  r.Register("Resize", ResizeKernel);
  r.Register("Upsample", 7, 9, UpsampleKernel);
  r.Register("DepthToSpace", [](KernelContext& ctx) { return DepthSpaceKernel(ctx, true); });
  r.Register("SpaceToDepth", [](KernelContext& ctx) { return DepthSpaceKernel(ctx, false); });
}

}  // namespace onnxsmith::evaluator

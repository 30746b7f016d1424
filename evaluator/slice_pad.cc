// Slicing kernels: Slice (negative steps, clamping as ONNX) and Pad
// (constant, edge, reflect, wrap; pads as attribute or input).
#include <algorithm>
#include <cstring>

#include "common/status_macros.h"
#include "evaluator/copy.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

// Slice parameters for one axis after ONNX's clamping.
struct SliceAxis {
  int64_t start = 0, step = 1, count = 0;
};

SliceAxis ClampSlice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  SliceAxis s;
  s.step = step;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  s.start = start;
  return s;
}

absl::Status SliceKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() < 10) {
    starts = ctx.GetInts("starts");
    ends = ctx.GetInts("ends");
    axes = ctx.GetInts("axes");
  } else {
    RETURN_IF_ERROR(ctx.RequireInputs(3));
    ASSIGN_OR_RETURN(starts, ctx.InputInts(1));
    ASSIGN_OR_RETURN(ends, ctx.InputInts(2));
    if (ctx.has_input(3)) {
    ASSIGN_OR_RETURN(axes, ctx.InputInts(3));
  }
    if (ctx.has_input(4)) {
    ASSIGN_OR_RETURN(steps, ctx.InputInts(4));
  }
  }
  if (starts.size() != ends.size()) return ctx.Error("starts and ends differ in length");
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    return ctx.Error("starts, ends, axes and steps differ in length");
  }
  std::vector<SliceAxis> sl(r);
  for (int i = 0; i < r; ++i) sl[i].count = x.dims()[i];
  std::vector<bool> seen(r, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(axes[k], r));
    if (seen[ax]) return ctx.Error("axis ", axes[k], " is repeated");
    seen[ax] = true;
    if (steps[k] == 0) return ctx.Error("step cannot be 0");
    sl[ax] = ClampSlice(starts[k], ends[k], steps[k], x.dims()[ax]);
  }
  Dims out_dims(r), src_strides(r);
  const Dims istr = Strides(x.dims());
  int64_t base = 0;
  for (int i = 0; i < r; ++i) {
    out_dims[i] = sl[i].count;
    src_strides[i] = istr[i] * sl[i].step;
    if (sl[i].count > 0) base += sl[i].start * istr[i];
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  if (out->size() == 0) return absl::OkStatus();
  StridedCopy(out->mutable_raw(), Strides(out_dims), x.data<char>() + base * x.element_size(),
              src_strides, out_dims, x.element_size(), ctx.parallel());
  return absl::OkStatus();
}


absl::Status PadKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  const int r = x.rank();
  std::string mode = ctx.GetString("mode", "constant");
  std::vector<int64_t> pads;
  double value = 0;
  bool have_value_array = false;
  if (ctx.opset() < 11) {
    pads = ctx.GetInts(ctx.opset() < 2 ? "paddings" : "pads");
    value = ctx.GetFloat("value", 0.0f);
  } else {
    ASSIGN_OR_RETURN(pads, ctx.InputInts(1));
    if (ctx.has_input(2)) {
      if (ctx.input(2).size() != 1) return ctx.Error("constant_value must be a scalar");
      if (ctx.input(2).dtype() != x.dtype()) return ctx.Error("constant_value type differs");
      have_value_array = true;
    }
  }
  // Opset 18: axes.
  std::vector<int64_t> axes;
  if (ctx.opset() >= 18 && ctx.has_input(3)) {
    ASSIGN_OR_RETURN(axes, ctx.InputInts(3));
  }
  std::vector<int64_t> full(2 * r, 0);
  if (!axes.empty()) {
    if (pads.size() != 2 * axes.size()) return ctx.Error("pads must have 2 entries per axis");
    for (size_t k = 0; k < axes.size(); ++k) {
      ASSIGN_OR_RETURN(int ax, NormalizeAxis(axes[k], r));
      full[ax] = pads[k];
      full[ax + r] = pads[k + axes.size()];
    }
  } else {
    if (static_cast<int>(pads.size()) != 2 * r) {
      return ctx.Error("pads has ", pads.size(), " entries for rank ", r);
    }
    full = pads;
  }
  Dims out_dims(r);
  for (int i = 0; i < r; ++i) {
    out_dims[i] = x.dims()[i] + full[i] + full[i + r];
    if (out_dims[i] < 0) return ctx.Error("pads make axis ", i, " negative");
    if (mode != "constant" && x.dims()[i] == 0 && out_dims[i] > 0) {
      return ctx.Error(mode, " padding of an empty axis");
    }
  }
  ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
  const int es = x.element_size();
  if (out->size() == 0) return absl::OkStatus();
  if (mode == "constant") {
    // Fill, then copy the (cropped) input into the interior.
    std::vector<char> v(es, 0);
    if (have_value_array) {
      std::memcpy(v.data(), ctx.input(2).raw(), es);
    } else if (value != 0) {
      RETURN_IF_ERROR(Dispatch<kNumericTypes>(x.dtype(), "Pad", [&](auto tag) -> absl::Status {
        using T = typename decltype(tag)::type;
        const T t = static_cast<T>(value);
        std::memcpy(v.data(), &t, es);
        return absl::OkStatus();
      }));
    }
    FillElements(out->mutable_raw(), v.data(), out->size(), es);
    Dims copy_dims(r);
    const Dims xs = Strides(x.dims());
    const Dims os = Strides(out_dims);
    int64_t src_off = 0, dst_off = 0;
    for (int i = 0; i < r; ++i) {
      const int64_t lo = full[i], hi = full[i + r];
      const int64_t skip_lo = lo < 0 ? -lo : 0;
      const int64_t skip_hi = hi < 0 ? -hi : 0;
      copy_dims[i] = std::max<int64_t>(0, x.dims()[i] - skip_lo - skip_hi);
      src_off += skip_lo * xs[i];
      dst_off += std::max<int64_t>(lo, 0) * os[i];
    }
    if (NumElements(copy_dims) > 0) {
      StridedCopy(out->mutable_data<char>() + dst_off * es, os, x.data<char>() + src_off * es,
                  xs, copy_dims, es, ctx.parallel());
    }
    return absl::OkStatus();
  }
  if (mode != "reflect" && mode != "edge" && mode != "wrap") {
    return ctx.Error("unknown pad mode '", mode, "'");
  }
  // Per-axis source index of every output index.
  std::vector<std::vector<int64_t>> map(r);
  for (int i = 0; i < r; ++i) {
    const int64_t d = x.dims()[i];
    map[i].resize(out_dims[i]);
    for (int64_t o = 0; o < out_dims[i]; ++o) {
      int64_t s = o - full[i];
      if (mode == "edge") {
        s = std::clamp<int64_t>(s, 0, d - 1);
      } else if (mode == "wrap") {
        s = ((s % d) + d) % d;
      } else if (d == 1) {
        s = 0;
      } else {
        const int64_t period = 2 * (d - 1);
        s = ((s % period) + period) % period;
        if (s >= d) s = period - s;
      }
      map[i][o] = s;
    }
  }
  GatherByAxisMaps(out->mutable_raw(), x.raw(), x.dims(), out_dims, map, es);
  return absl::OkStatus();
}

}  // namespace

void RegisterSlicePadKernels(KernelRegistry& r) {
  r.Register("Slice", SliceKernel);
  r.Register("Pad", PadKernel);
}

}  // namespace onnxsmith::evaluator

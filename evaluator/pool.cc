// Pooling: MaxPool (with Indices), AveragePool (count_include_pad), both
// with pads, strides, dilations, ceil_mode and auto_pad, N-D;
// GlobalAveragePool and GlobalMaxPool.
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

using ir::DataType;

struct PoolGeom {
  int rank = 0;
  Dims in, kernel, out, stride, dil, pad_begin, pad_end;
};

absl::Status PoolGeometry(KernelContext& ctx, const Array& x, PoolGeom* g) {
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3 (N, C, spatial...)");
  const int r = x.rank() - 2;
  g->rank = r;
  g->in.assign(x.dims().begin() + 2, x.dims().end());
  g->kernel = ctx.GetInts("kernel_shape");
  if (static_cast<int>(g->kernel.size()) != r) {
    return ctx.Error("kernel_shape must have ", r, " entries");
  }
  g->stride = ctx.GetInts("strides");
  if (g->stride.empty()) g->stride.assign(r, 1);
  g->dil = ctx.GetInts("dilations");
  if (g->dil.empty()) g->dil.assign(r, 1);
  std::vector<int64_t> pads = ctx.GetInts("pads");
  if (pads.empty()) pads.assign(2 * r, 0);
  if (static_cast<int>(g->stride.size()) != r || static_cast<int>(g->dil.size()) != r ||
      static_cast<int>(pads.size()) != 2 * r) {
    return ctx.Error("strides, dilations and pads must match the spatial rank ", r);
  }
  g->pad_begin.assign(pads.begin(), pads.begin() + r);
  g->pad_end.assign(pads.begin() + r, pads.end());
  const bool ceil_mode = ctx.GetInt("ceil_mode", 0) != 0;
  const std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  g->out.resize(r);
  for (int i = 0; i < r; ++i) {
    if (g->kernel[i] <= 0 || g->stride[i] <= 0 || g->dil[i] <= 0) {
      return ctx.Error("kernel_shape, strides and dilations must be positive");
    }
    if (g->pad_begin[i] < 0 || g->pad_end[i] < 0) return ctx.Error("negative pads");
    int64_t pad_total = g->pad_begin[i] + g->pad_end[i];
    if (auto_pad == "VALID") {
      g->pad_begin[i] = g->pad_end[i] = 0;
      pad_total = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // As ONNX Runtime: the undilated kernel decides the padding.
      const int64_t target = (g->in[i] + g->stride[i] - 1) / g->stride[i];
      pad_total = std::max<int64_t>(0, (target - 1) * g->stride[i] + g->kernel[i] - g->in[i]);
      g->pad_begin[i] = auto_pad == "SAME_LOWER" ? (pad_total + 1) / 2 : pad_total / 2;
      g->pad_end[i] = pad_total - g->pad_begin[i];
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return ctx.Error("unknown auto_pad '", auto_pad, "'");
    }
    const int64_t span = g->in[i] + pad_total - g->dil[i] * (g->kernel[i] - 1) - 1;
    if (span < 0) return ctx.Error("kernel is larger than the padded input on spatial axis ", i);
    const float q = static_cast<float>(span) / static_cast<float>(g->stride[i]) + 1;
    g->out[i] = static_cast<int64_t>(ceil_mode ? std::ceil(q) : q);
    // The last window must start inside the input or the leading pad.
    if (ceil_mode && (g->out[i] - 1) * g->stride[i] >= g->in[i] + g->pad_begin[i]) --g->out[i];
  }
  return absl::OkStatus();
}

// Per-axis window: positions start + j*dil for j in [0, k), valid ones only.
struct Window {
  int64_t first;  // first valid position
  int64_t count;  // number of valid positions
  int64_t padded; // window length counted with pads (for count_include_pad)
};

Window AxisWindow(const PoolGeom& g, int d, int64_t o) {
  const int64_t start = o * g.stride[d] - g.pad_begin[d];
  const int64_t dl = g.dil[d];
  int64_t end = start + g.kernel[d] * dl;  // exclusive
  // Count including pads stops at the end of the trailing pad.
  const int64_t pend = std::min(end, g.in[d] + g.pad_end[d]);
  Window w;
  // count_include_pad divisor, as ONNX Runtime: the whole kernel without
  // dilation (MLAS); with dilation, the taps up to the end of the trailing pad.
  w.padded = dl == 1 ? g.kernel[d] : (pend > start ? 1 + (pend - start - 1) / dl : 0);
  int64_t j0 = start < 0 ? (-start + dl - 1) / dl : 0;
  int64_t j1 = std::min<int64_t>(g.kernel[d], (g.in[d] - start + dl - 1) / dl);  // exclusive
  if (g.in[d] - start <= 0) j1 = 0;
  w.first = start + j0 * dl;
  w.count = std::max<int64_t>(0, j1 - j0);
  return w;
}

template <typename T>
void PoolChannel(const PoolGeom& g, const std::vector<std::vector<Window>>& windows, const T* x,
                 T* y, int64_t* ind, int64_t ind_base, bool is_max, bool include_pad,
                 bool col_major) {
  const int r = g.rank;
  const Dims in_strides = Strides(g.in);
  const int64_t out_size = NumElements(g.out);
  std::vector<int64_t> oidx(r, 0);
  std::vector<Window> win(r);
  std::vector<int64_t> widx(r);
  for (int64_t o = 0; o < out_size; ++o) {
    int64_t total = 1, padded = 1;
    for (int d = 0; d < r; ++d) {
      win[d] = windows[d][oidx[d]];
      total *= win[d].count;
      padded *= win[d].padded;
    }
    if (is_max) {
      T best = std::numeric_limits<T>::lowest();
      int64_t best_off = -1;
      std::vector<int64_t> best_pos(r, 0);
      std::fill(widx.begin(), widx.end(), 0);
      for (int64_t t = 0; t < total; ++t) {
        int64_t off = 0;
        for (int d = 0; d < r; ++d) off += (win[d].first + widx[d] * g.dil[d]) * in_strides[d];
        if (best_off < 0 || x[off] > best) {
          best = x[off];
          best_off = off;
          for (int d = 0; d < r; ++d) best_pos[d] = win[d].first + widx[d] * g.dil[d];
        }
        for (int d = r - 1; d >= 0; --d) {
          if (++widx[d] < win[d].count) break;
          widx[d] = 0;
        }
      }
      y[o] = best;
      if (ind) {
        int64_t flat = best_off;
        if (col_major) {
          flat = 0;
          int64_t s = 1;
          for (int d = 0; d < r; ++d) {
            flat += best_pos[d] * s;
            s *= g.in[d];
          }
        }
        ind[o] = ind_base + flat;
      }
    } else {
      double sum = 0;
      std::fill(widx.begin(), widx.end(), 0);
      for (int64_t t = 0; t < total; ++t) {
        int64_t off = 0;
        for (int d = 0; d < r; ++d) off += (win[d].first + widx[d] * g.dil[d]) * in_strides[d];
        sum += static_cast<double>(x[off]);
        for (int d = r - 1; d >= 0; --d) {
          if (++widx[d] < win[d].count) break;
          widx[d] = 0;
        }
      }
      const int64_t div = include_pad ? padded : total;
      y[o] = div > 0 ? static_cast<T>(sum / static_cast<double>(div)) : T(0);
    }
    for (int d = r - 1; d >= 0; --d) {
      if (++oidx[d] < g.out[d]) break;
      oidx[d] = 0;
    }
  }
}

// The common case: 2-D, no dilation, float max/average without indices.
template <typename T>
void Pool2DFast(const PoolGeom& g, const std::vector<Window>& wh_all,
                const std::vector<Window>& ww_all, const T* x, T* y, bool is_max,
                bool include_pad) {
  const int64_t W = g.in[1], OH = g.out[0], OW = g.out[1];
  for (int64_t oh = 0; oh < OH; ++oh) {
    const Window& wh = wh_all[oh];
    for (int64_t ow = 0; ow < OW; ++ow) {
      const Window& ww = ww_all[ow];
      const T* base = x + wh.first * W + ww.first;
      if (is_max) {
        T best = std::numeric_limits<T>::lowest();
        for (int64_t h = 0; h < wh.count; ++h) {
          const T* row = base + h * W;
          for (int64_t w = 0; w < ww.count; ++w) best = std::max(best, row[w]);
        }
        y[oh * OW + ow] = best;
      } else {
        T sum = 0;
        for (int64_t h = 0; h < wh.count; ++h) {
          const T* row = base + h * W;
          for (int64_t w = 0; w < ww.count; ++w) sum += row[w];
        }
        const int64_t div = include_pad ? wh.padded * ww.padded : wh.count * ww.count;
        y[oh * OW + ow] = div > 0 ? sum / static_cast<T>(div) : T(0);
      }
    }
  }
}

absl::Status PoolKernel(KernelContext& ctx, bool is_max) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  PoolGeom g;
  RETURN_IF_ERROR(PoolGeometry(ctx, x, &g));
  const bool include_pad = ctx.GetInt("count_include_pad", 0) != 0;
  const bool col_major = ctx.GetInt("storage_order", 0) != 0;
  Dims out_dims{x.dim(0), x.dim(1)};
  out_dims.insert(out_dims.end(), g.out.begin(), g.out.end());
  const int64_t channels = x.dim(0) * x.dim(1);
  const int64_t in_size = NumElements(g.in), out_size = NumElements(g.out);
  const int64_t ksize = NumElements(g.kernel);
  const bool want_ind = is_max && ctx.has_output(1);
  const unsigned types = is_max ? kNumericTypes : kFloatTypes;
  (void)types;
  return Dispatch<kNumericTypes>(x.dtype(), is_max ? "MaxPool" : "AveragePool",
                                 [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if (!is_max && !std::is_floating_point_v<T>) {
      return ctx.Unsupported("AveragePool on ", ir::DataTypeName(x.dtype()));
    }
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
    int64_t* ind = nullptr;
    if (want_ind) {
      ASSIGN_OR_RETURN(Array * i, ctx.Allocate(1, DataType::kInt64, out_dims));
      ind = i->mutable_data<int64_t>();
    }
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    bool fast = g.rank == 2 && !ind && std::is_floating_point_v<T>;
    for (int d = 0; d < g.rank; ++d) fast &= g.dil[d] == 1;
    std::vector<std::vector<Window>> windows(g.rank);
    for (int d = 0; d < g.rank; ++d) {
      for (int64_t o = 0; o < g.out[d]; ++o) windows[d].push_back(AxisWindow(g, d, o));
    }
    ParallelFor(channels, static_cast<double>(out_size * ksize), ctx.parallel(),
                [&](int64_t b, int64_t e) {
                  for (int64_t c = b; c < e; ++c) {
                    if (fast) {
                      Pool2DFast<T>(g, windows[0], windows[1], xp + c * in_size, yp + c * out_size, is_max,
                                    include_pad);
                    } else {
                      PoolChannel<T>(g, windows, xp + c * in_size, yp + c * out_size,
                                     ind ? ind + c * out_size : nullptr, c * in_size, is_max,
                                     include_pad, col_major);
                    }
                  }
                });
    return absl::OkStatus();
  });
}

absl::Status GlobalPoolKernel(KernelContext& ctx, bool is_max) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  const Array& x = ctx.input(0);
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3");
  Dims out_dims(x.rank(), 1);
  out_dims[0] = x.dim(0);
  out_dims[1] = x.dim(1);
  const int64_t channels = x.dim(0) * x.dim(1);
  const int64_t n = channels == 0 ? 0 : x.size() / channels;
  return Dispatch<kFloatTypes>(x.dtype(), "GlobalPool", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
    const T* xp = x.data<T>();
    T* yp = out->mutable_data<T>();
    ParallelFor(channels, static_cast<double>(n), ctx.parallel(), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const T* p = xp + c * n;
        if (is_max) {
          T m = std::numeric_limits<T>::lowest();
          for (int64_t i = 0; i < n; ++i) m = std::max(m, p[i]);
          yp[c] = m;
        } else {
          double s = 0;
          for (int64_t i = 0; i < n; ++i) s += p[i];
          yp[c] = static_cast<T>(s / static_cast<double>(n));
        }
      }
    });
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  r.Register("MaxPool", [](KernelContext& ctx) { return PoolKernel(ctx, true); });
  r.Register("AveragePool", [](KernelContext& ctx) { return PoolKernel(ctx, false); });
  r.Register("GlobalMaxPool", [](KernelContext& ctx) { return GlobalPoolKernel(ctx, true); });
  r.Register("GlobalAveragePool", [](KernelContext& ctx) { return GlobalPoolKernel(ctx, false); });
}

}  // namespace onnxsmith::evaluator

// Conv: N-D, groups, dilations, pads, auto_pad; im2col + GEMM, with direct
// paths for 1x1 and depthwise.
#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/status_macros.h"
#include "evaluator/conv_geom.h"
#include "evaluator/gemm.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

absl::Status ReadConvAttrs(KernelContext& ctx, int rank, const Dims& kernel, ConvGeom* g) {
  g->rank = rank;
  g->kernel = kernel;
  g->stride = ctx.GetInts("strides");
  g->dil = ctx.GetInts("dilations");
  if (g->stride.empty()) g->stride.assign(rank, 1);
  if (g->dil.empty()) g->dil.assign(rank, 1);
  if (static_cast<int>(g->stride.size()) != rank || static_cast<int>(g->dil.size()) != rank) {
    return ctx.Error("strides/dilations must have ", rank, " entries");
  }
  for (int i = 0; i < rank; ++i) {
    if (g->stride[i] <= 0 || g->dil[i] <= 0) return ctx.Error("strides and dilations must be positive");
    if (g->kernel[i] <= 0) return ctx.Error("kernel sizes must be positive");
  }
  std::vector<int64_t> pads = ctx.GetInts("pads");
  if (pads.empty()) pads.assign(2 * rank, 0);
  if (static_cast<int>(pads.size()) != 2 * rank) return ctx.Error("pads must have ", 2 * rank, " entries");
  g->pad_begin.assign(pads.begin(), pads.begin() + rank);
  g->pad_end.assign(pads.begin() + rank, pads.end());
  for (int64_t p : pads) {
    if (p < 0) return ctx.Error("negative pads are not supported");
  }
  return absl::OkStatus();
}

namespace {

absl::Status ConvOutputShape(KernelContext& ctx, ConvGeom* g) {
  const std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  g->out.resize(g->rank);
  for (int i = 0; i < g->rank; ++i) {
    const int64_t dk = (g->kernel[i] - 1) * g->dil[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t target = (g->in[i] + g->stride[i] - 1) / g->stride[i];
      const int64_t total = std::max<int64_t>(0, (target - 1) * g->stride[i] + dk - g->in[i]);
      g->pad_begin[i] = auto_pad == "SAME_LOWER" ? (total + 1) / 2 : total / 2;
      g->pad_end[i] = total - g->pad_begin[i];
    } else if (auto_pad == "VALID") {
      g->pad_begin[i] = g->pad_end[i] = 0;
    } else if (auto_pad != "NOTSET" && !auto_pad.empty()) {
      return ctx.Error("unknown auto_pad '", auto_pad, "'");
    }
    const int64_t span = g->in[i] + g->pad_begin[i] + g->pad_end[i] - dk;
    if (span < 0) {
      return ctx.Error("kernel (dilated size ", dk, ") is larger than the padded input (",
                       g->in[i] + g->pad_begin[i] + g->pad_end[i], ") on spatial axis ", i);
    }
    g->out[i] = span / g->stride[i] + 1;
  }
  return absl::OkStatus();
}

// col[(c * K + kidx) * OUT + o] = x[c, in position of (o, kidx)] or 0.
template <typename T>
void Im2Col(const ConvGeom& g, const T* x, int64_t channels, T* col) {
  const int64_t out_size = g.out_size();
  if (g.rank == 2) {
    const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
    const int64_t OH = g.out[0], OW = g.out[1];
    const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dil[0], dw = g.dil[1];
    const int64_t ph = g.pad_begin[0], pw = g.pad_begin[1];
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t kh = 0; kh < KH; ++kh) {
        for (int64_t kw = 0; kw < KW; ++kw) {
          T* row = col + ((c * KH + kh) * KW + kw) * out_size;
          const int64_t woff = kw * dw - pw;
          int64_t ow0 = woff >= 0 ? 0 : (-woff + sw - 1) / sw;
          int64_t ow1 = W - woff <= 0 ? 0 : std::min<int64_t>(OW, (W - woff + sw - 1) / sw);
          ow0 = std::min(ow0, ow1);
          for (int64_t oh = 0; oh < OH; ++oh) {
            T* r = row + oh * OW;
            const int64_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) {
              std::fill(r, r + OW, T(0));
              continue;
            }
            const T* xrow = x + (c * H + ih) * W;
            std::fill(r, r + ow0, T(0));
            std::fill(r + ow1, r + OW, T(0));
            if (sw == 1) {
              std::memcpy(r + ow0, xrow + ow0 + woff, sizeof(T) * (ow1 - ow0));
            } else {
              for (int64_t ow = ow0; ow < ow1; ++ow) r[ow] = xrow[ow * sw + woff];
            }
          }
        }
      }
    }
    return;
  }
  // Generic N-D.
  ForEachConvTap(g, channels, [&](int64_t row, int64_t o, bool valid, int64_t src) {
    col[row * out_size + o] = valid ? x[src] : T(0);
  });
}

// Depthwise 2-D: one input channel per group, `mult` output channels each.
// Row-wise: every (kh, kw) tap adds w * (a shifted input row) to the output
// row over the range of output columns whose input column is inside.
template <typename T>
void DepthwiseConv2D(const ConvGeom& g, const T* x, const T* w, const T* bias, int64_t mult,
                     int64_t channel, T* y) {
  const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
  const int64_t OH = g.out[0], OW = g.out[1];
  const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dil[0], dw = g.dil[1];
  const int64_t ph = g.pad_begin[0], pw = g.pad_begin[1];
  // Valid output columns per kernel column.
  int64_t woff[64], ow0[64], ow1[64];
  std::vector<int64_t> big;
  int64_t* wo = woff;
  int64_t* o0 = ow0;
  int64_t* o1 = ow1;
  if (KW > 64) {
    big.resize(3 * KW);
    wo = big.data();
    o0 = wo + KW;
    o1 = o0 + KW;
  }
  for (int64_t kw = 0; kw < KW; ++kw) {
    wo[kw] = kw * dw - pw;
    o0[kw] = wo[kw] >= 0 ? 0 : (-wo[kw] + sw - 1) / sw;
    o1[kw] = W - wo[kw] <= 0 ? 0 : std::min<int64_t>(OW, (W - wo[kw] + sw - 1) / sw);
    o0[kw] = std::min(o0[kw], o1[kw]);
  }
  for (int64_t mm = 0; mm < mult; ++mm) {
    const int64_t oc = channel * mult + mm;
    const T* wk = w + oc * KH * KW;
    T* yc = y + mm * OH * OW;
    const T b0 = bias ? bias[oc] : T(0);
    for (int64_t oh = 0; oh < OH; ++oh) {
      T* __restrict yrow = yc + oh * OW;
      for (int64_t i = 0; i < OW; ++i) yrow[i] = b0;
      for (int64_t kh = 0; kh < KH; ++kh) {
        const int64_t ih = oh * sh - ph + kh * dh;
        if (ih < 0 || ih >= H) continue;
        const T* xrow = x + ih * W;
        for (int64_t kw = 0; kw < KW; ++kw) {
          const T wv = wk[kh * KW + kw];
          const int64_t a = o0[kw], e = o1[kw];
          if (sw == 1) {
            const T* __restrict xs = xrow + wo[kw];
            for (int64_t ow = a; ow < e; ++ow) yrow[ow] += wv * xs[ow];
          } else {
            const T* __restrict xs = xrow + wo[kw];
            for (int64_t ow = a; ow < e; ++ow) yrow[ow] += wv * xs[ow * sw];
          }
        }
      }
    }
  }
}

// Depthwise 2-D with unit strides: the input is copied into a zero-padded
// plane, and every tap is one long multiply-add over the whole output plane
// (kept with the padded row stride, then compacted), which vectorizes far
// better than short rows. `xpad` holds (Hp + 1) * Wp, `yfull` OH * Wp values.
template <typename T>
void DepthwiseConv2DUnitStride(const ConvGeom& g, const T* x, const T* w, const T* bias,
                               int64_t mult, int64_t channel, T* xpad, T* yfull, T* y) {
  const int64_t H = g.in[0], W = g.in[1], KH = g.kernel[0], KW = g.kernel[1];
  const int64_t OH = g.out[0], OW = g.out[1];
  const int64_t dh = g.dil[0], dw = g.dil[1];
  const int64_t Hp = H + g.pad_begin[0] + g.pad_end[0], Wp = W + g.pad_begin[1] + g.pad_end[1];
  std::fill(xpad, xpad + (Hp + 1) * Wp, T(0));
  for (int64_t h = 0; h < H; ++h) {
    std::memcpy(xpad + (h + g.pad_begin[0]) * Wp + g.pad_begin[1], x + h * W, sizeof(T) * W);
  }
  const int64_t n = OH * Wp;
  for (int64_t mm = 0; mm < mult; ++mm) {
    const int64_t oc = channel * mult + mm;
    const T* wk = w + oc * KH * KW;
    const T b0 = bias ? bias[oc] : T(0);
    T* __restrict yf = yfull;
    for (int64_t i = 0; i < n; ++i) yf[i] = b0;
    for (int64_t kh = 0; kh < KH; ++kh) {
      for (int64_t kw = 0; kw < KW; ++kw) {
        const T wv = wk[kh * KW + kw];
        const T* __restrict xs = xpad + kh * dh * Wp + kw * dw;
        // Last row: only the OW valid columns (stay inside xpad).
        const int64_t len = n - Wp + OW;
        for (int64_t i = 0; i < len; ++i) yf[i] += wv * xs[i];
      }
    }
    T* yc = y + mm * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) std::memcpy(yc + oh * OW, yf + oh * Wp, sizeof(T) * OW);
  }
}

absl::Status ConvKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& w = ctx.input(1);
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3 (N, C, spatial...), has shape ", DimsToString(x.dims()));
  if (w.rank() != x.rank()) return ctx.Error("W rank ", w.rank(), " differs from X rank ", x.rank());
  if (w.dtype() != x.dtype()) return ctx.Error("X and W types differ");
  const int rank = x.rank() - 2;
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0);
  const int64_t G = ctx.GetInt("group", 1);
  if (G <= 0 || C % G != 0 || M % G != 0) {
    return ctx.Error("group ", G, " does not divide channels (in ", C, ", out ", M, ")");
  }
  const int64_t Cg = C / G, Mg = M / G;
  if (w.dim(1) != Cg) {
    return ctx.Error("W has ", w.dim(1), " input channels per group, X gives ", Cg);
  }
  Dims kernel(w.dims().begin() + 2, w.dims().end());
  std::vector<int64_t> ks = ctx.GetInts("kernel_shape");
  if (!ks.empty() && ks != kernel) {
    return ctx.Error("kernel_shape ", DimsToString(ks), " differs from W's ", DimsToString(kernel));
  }
  ConvGeom g;
  RETURN_IF_ERROR(ReadConvAttrs(ctx, rank, kernel, &g));
  g.in.assign(x.dims().begin() + 2, x.dims().end());
  RETURN_IF_ERROR(ConvOutputShape(ctx, &g));
  Dims out_dims{N, M};
  out_dims.insert(out_dims.end(), g.out.begin(), g.out.end());
  const Array* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (bias && (bias->size() != M || bias->dtype() != x.dtype())) {
    return ctx.Error("B must be a 1-D tensor of ", M, " values of X's type");
  }
  return Dispatch<kFloatTypes>(x.dtype(), "Conv", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
    const T* xp = x.data<T>();
    const T* wp = w.data<T>();
    const T* bp = bias ? bias->data<T>() : nullptr;
    T* yp = out->mutable_data<T>();
    if (out->size() == 0) return absl::OkStatus();
    // 1-D runs as 2-D with a unit height.
    if (rank == 1) {
      g = ConvGeom{2,
                   {1, g.in[0]},
                   {1, g.kernel[0]},
                   {1, g.out[0]},
                   {1, g.stride[0]},
                   {1, g.dil[0]},
                   {0, g.pad_begin[0]},
                   {0, g.pad_end[0]}};
    }
    const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
    // Depthwise 2-D.
    if (g.rank == 2 && Cg == 1 && G > 1) {
      const bool unit = g.stride[0] == 1 && g.stride[1] == 1;
      const int64_t Hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
      const int64_t Wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
      absl::Status status;
      std::mutex mu;
      ParallelFor(N * C, static_cast<double>(Mg * out_size * ksize), ctx.parallel(),
                  [&](int64_t b0, int64_t b1) {
                    Array xpad, yfull;
                    if (unit) {
                      auto a = ctx.Scratch(x.dtype(), {(Hp + 1) * Wp});
                      auto b = ctx.Scratch(x.dtype(), {g.out[0] * Wp});
                      if (!a.ok() || !b.ok()) {
                        std::lock_guard<std::mutex> lock(mu);
                        status = a.ok() ? b.status() : a.status();
                        return;
                      }
                      xpad = *std::move(a);
                      yfull = *std::move(b);
                    }
                    for (int64_t t = b0; t < b1; ++t) {
                      const int64_t n = t / C, c = t % C;
                      if (unit) {
                        DepthwiseConv2DUnitStride<T>(g, xp + (n * C + c) * in_size, wp, bp, Mg, c,
                                                     xpad.mutable_data<T>(), yfull.mutable_data<T>(),
                                                     yp + (n * M + c * Mg) * out_size);
                      } else {
                        DepthwiseConv2D<T>(g, xp + (n * C + c) * in_size, wp, bp, Mg, c,
                                           yp + (n * M + c * Mg) * out_size);
                      }
                    }
                  });
      return status;
    }
    bool pointwise = true;
    for (int i = 0; i < g.rank; ++i) {
      pointwise &= g.kernel[i] == 1 && g.stride[i] == 1 && g.pad_begin[i] == 0 &&
                   g.pad_end[i] == 0;
    }
    const int64_t tasks = N * G;
    const bool inner_parallel = ctx.parallel() && tasks < 2;
    const int64_t col_rows = Cg * ksize;
    absl::Status status;
    std::mutex mu;
    ParallelFor(tasks, 2.0 * Mg * col_rows * out_size, ctx.parallel() && !inner_parallel,
                [&](int64_t b0, int64_t b1) {
                  Array col;
                  if (!pointwise) {
                    auto c = ctx.Scratch(x.dtype(), {col_rows, out_size});
                    if (!c.ok()) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = c.status();
                      return;
                    }
                    col = *std::move(c);
                  }
                  for (int64_t t = b0; t < b1; ++t) {
                    const int64_t n = t / G, gi = t % G;
                    const T* xg = xp + (n * C + gi * Cg) * in_size;
                    T* yg = yp + (n * M + gi * Mg) * out_size;
                    const T* src = xg;
                    if (!pointwise) {
                      Im2Col<T>(g, xg, Cg, col.mutable_data<T>());
                      src = col.data<T>();
                    }
                    Gemm<T>(false, false, Mg, out_size, col_rows, T(1), wp + gi * Mg * col_rows,
                            col_rows, src, out_size, T(0), yg, out_size, inner_parallel);
                    if (bp) {
                      for (int64_t m = 0; m < Mg; ++m) {
                        const T bv = bp[gi * Mg + m];
                        T* row = yg + m * out_size;
                        for (int64_t i = 0; i < out_size; ++i) row[i] += bv;
                      }
                    }
                  }
                });
    return status;
  });
}

}  // namespace

void RegisterConvKernels(KernelRegistry& r) {
  r.Register("Conv", ConvKernel);
}

}  // namespace onnxsmith::evaluator

// ConvTranspose: N-D, groups, dilations, output_padding, output_shape and
// auto_pad; GEMM + col2im.
#include <algorithm>
#include <mutex>

#include "common/status_macros.h"
#include "evaluator/conv_geom.h"
#include "evaluator/gemm.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

// The adjoint of Im2Col (conv.cc): y[c, position] += col[...] (y must be
// initialized).
template <typename T>
void Col2Im(const ConvGeom& g, const T* col, int64_t channels, T* y) {
  const int64_t out_size = g.out_size();
  ForEachConvTap(g, channels, [&](int64_t row, int64_t o, bool valid, int64_t dst) {
    if (valid) y[dst] += col[row * out_size + o];
  });
}

absl::Status ConvTransposeKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(2));
  const Array& x = ctx.input(0);
  const Array& w = ctx.input(1);
  if (x.rank() < 3) return ctx.Error("X must have rank >= 3");
  if (w.rank() != x.rank()) return ctx.Error("W rank differs from X rank");
  if (w.dtype() != x.dtype()) return ctx.Error("X and W types differ");
  const int rank = x.rank() - 2;
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t G = ctx.GetInt("group", 1);
  if (G <= 0 || C % G != 0) return ctx.Error("group ", G, " does not divide ", C, " channels");
  if (w.dim(0) != C) return ctx.Error("W has ", w.dim(0), " input channels, X has ", C);
  const int64_t Cg = C / G, Mg = w.dim(1), M = Mg * G;
  Dims kernel(w.dims().begin() + 2, w.dims().end());
  ConvGeom g;  // "in" = the output image, "out" = X's spatial dims
  RETURN_IF_ERROR(ReadConvAttrs(ctx, rank, kernel, &g));
  g.out.assign(x.dims().begin() + 2, x.dims().end());
  std::vector<int64_t> out_pad = ctx.GetInts("output_padding");
  if (out_pad.empty()) out_pad.assign(rank, 0);
  std::vector<int64_t> out_shape = ctx.GetInts("output_shape");
  if (!out_shape.empty() && static_cast<int>(out_shape.size()) != rank) {
    if (static_cast<int>(out_shape.size()) == rank + 2) {
      out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    } else {
      return ctx.Error("output_shape must have ", rank, " entries");
    }
  }
  if (static_cast<int>(out_pad.size()) != rank) return ctx.Error("output_padding must have ", rank, " entries");
  const std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  g.in.resize(rank);
  for (int i = 0; i < rank; ++i) {
    const int64_t dk = (g.kernel[i] - 1) * g.dil[i] + 1;
    const int64_t full = (g.out[i] - 1) * g.stride[i] + out_pad[i] + dk;
    auto distribute = [&](int64_t total) {
      // As the ONNX spec (and ONNX Runtime since 1.20): SAME_UPPER puts the
      // odd pixel at the end, everything else at the start.
      if (auto_pad == "SAME_UPPER") {
        g.pad_begin[i] = total / 2;
        g.pad_end[i] = total - total / 2;
      } else {
        g.pad_begin[i] = total - total / 2;
        g.pad_end[i] = total / 2;
      }
    };
    if (!out_shape.empty()) {
      distribute(std::max<int64_t>(0, full - out_shape[i]));
      g.in[i] = out_shape[i];
    } else {
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        distribute(std::max<int64_t>(0, full - g.out[i] * g.stride[i]));
      } else if (auto_pad == "VALID") {
        g.pad_begin[i] = g.pad_end[i] = 0;
      }
      g.in[i] = full - g.pad_begin[i] - g.pad_end[i];
    }
    if (g.in[i] <= 0) return ctx.Error("non-positive output size on spatial axis ", i);
  }
  Dims out_dims{N, M};
  out_dims.insert(out_dims.end(), g.in.begin(), g.in.end());
  const Array* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (bias && (bias->size() != M || bias->dtype() != x.dtype())) {
    return ctx.Error("B must be a 1-D tensor of ", M, " values of X's type");
  }
  return Dispatch<kFloatTypes>(x.dtype(), "ConvTranspose", [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    ASSIGN_OR_RETURN(Array * out, ctx.Allocate(0, x.dtype(), out_dims));
    const T* xp = x.data<T>();
    const T* wp = w.data<T>();
    T* yp = out->mutable_data<T>();
    const int64_t img = g.in_size(), xsz = g.out_size(), ksize = g.kernel_size();
    const int64_t col_rows = Mg * ksize;
    std::fill(yp, yp + out->size(), T(0));
    absl::Status status;
    std::mutex mu;
    const int64_t tasks = N * G;
    const bool inner_parallel = ctx.parallel() && tasks < 2;
    ParallelFor(tasks, 2.0 * col_rows * Cg * xsz, ctx.parallel() && !inner_parallel,
                [&](int64_t b0, int64_t b1) {
                  auto c = ctx.Scratch(x.dtype(), {col_rows, xsz});
                  if (!c.ok()) {
                    std::lock_guard<std::mutex> lock(mu);
                    status = c.status();
                    return;
                  }
                  T* col = c->mutable_data<T>();
                  for (int64_t t = b0; t < b1; ++t) {
                    const int64_t n = t / G, gi = t % G;
                    // col[Mg*K, X] = W_g^T [Mg*K, Cg] * X_g [Cg, X]
                    Gemm<T>(true, false, col_rows, xsz, Cg, T(1), wp + gi * Cg * col_rows,
                            col_rows, xp + (n * C + gi * Cg) * xsz, xsz, T(0), col, xsz,
                            inner_parallel);
                    Col2Im<T>(g, col, Mg, yp + (n * M + gi * Mg) * img);
                  }
                });
    RETURN_IF_ERROR(status);
    if (bias) {
      const T* bp = bias->data<T>();
      for (int64_t n = 0; n < N; ++n) {
        for (int64_t m = 0; m < M; ++m) {
          T* row = yp + (n * M + m) * img;
          for (int64_t i = 0; i < img; ++i) row[i] += bp[m];
        }
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterConvTransposeKernels(KernelRegistry& r) {
  r.Register("ConvTranspose", ConvTransposeKernel);
}

}  // namespace onnxsmith::evaluator

// Convolution geometry shared by Conv (conv.cc) and ConvTranspose
// (conv_transpose.cc): attributes, and the N-D window walk under
// im2col / col2im. Private to //evaluator.
#ifndef ONNXSMITH_EVALUATOR_CONV_GEOM_H_
#define ONNXSMITH_EVALUATOR_CONV_GEOM_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

// Spatial geometry of one convolution (for ConvTranspose, `in` is its output
// image and `out` its input X).
struct ConvGeom {
  int rank = 0;  // spatial rank
  Dims in, kernel, out, stride, dil, pad_begin, pad_end;
  int64_t in_size() const { return NumElements(in); }
  int64_t out_size() const { return NumElements(out); }
  int64_t kernel_size() const { return NumElements(kernel); }
};

// strides, dilations and pads (defaults 1, 1, 0) for `rank` spatial axes,
// checked; `kernel` is the spatial kernel size.
absl::Status ReadConvAttrs(KernelContext& ctx, int rank, const Dims& kernel, ConvGeom* g);

// The N-D walk shared by Im2Col and Col2Im: f(row, o, valid, pos) for every
// channel c, kernel tap kidx (row = c * K + kidx) and output position o;
// `valid` says the tap reads inside the image (not the padding), and then
// `pos` is its element index in the [channels, in...] image.
template <typename F>
void ForEachConvTap(const ConvGeom& g, int64_t channels, F&& f) {
  const int64_t out_size = g.out_size();
  const int r = g.rank;
  const int64_t ksize = g.kernel_size();
  const Dims in_strides = Strides(g.in);
  std::vector<int64_t> kidx(r, 0), oidx(r, 0);
  for (int64_t c = 0; c < channels; ++c) {
    std::fill(kidx.begin(), kidx.end(), 0);
    for (int64_t kk = 0; kk < ksize; ++kk) {
      const int64_t row = c * ksize + kk;
      std::fill(oidx.begin(), oidx.end(), 0);
      for (int64_t o = 0; o < out_size; ++o) {
        int64_t off = 0;
        bool valid = true;
        for (int d = 0; d < r; ++d) {
          const int64_t p = oidx[d] * g.stride[d] - g.pad_begin[d] + kidx[d] * g.dil[d];
          if (p < 0 || p >= g.in[d]) {
            valid = false;
            break;
          }
          off += p * in_strides[d];
        }
        f(row, o, valid, c * g.in_size() + off);
        for (int d = r - 1; d >= 0; --d) {
          if (++oidx[d] < g.out[d]) break;
          oidx[d] = 0;
        }
      }
      for (int d = r - 1; d >= 0; --d) {
        if (++kidx[d] < g.kernel[d]) break;
        kidx[d] = 0;
      }
    }
  }
}

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_CONV_GEOM_H_

// Numpy-style (multidirectional) broadcasting: the output shape of several
// operands and an iteration plan over it with adjacent dimensions coalesced,
// so that the inner loops run over long contiguous spans.
#ifndef ONNXSMITH_EVALUATOR_BROADCAST_H_
#define ONNXSMITH_EVALUATOR_BROADCAST_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "evaluator/array.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

// The broadcast of `shapes`; an error naming both shapes when they clash.
absl::StatusOr<Dims> BroadcastDims(const std::vector<Dims>& shapes);

struct BroadcastPlan {
  Dims out_dims;               // the broadcast shape (not coalesced)
  int64_t size = 0;            // elements of the output
  Dims dims;                   // coalesced dims, at least one
  std::vector<Dims> strides;   // per operand, per coalesced dim (0: broadcast)
};

absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const std::vector<Dims>& shapes);

// Calls f(out_offset, in_offsets, len, in_inner_strides) for the spans that
// make up output elements [begin, end); inner strides are 0 or 1.
template <size_t N, typename F>
void ForEachSpan(const BroadcastPlan& p, int64_t begin, int64_t end, F&& f) {
  if (begin >= end) return;
  const int r = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[r - 1];
  std::array<int64_t, N> inner_stride;
  for (size_t k = 0; k < N; ++k) inner_stride[k] = p.strides[k][r - 1];
  int64_t row = begin / inner;
  int64_t col = begin % inner;
  // Odometer over the outer dims.
  std::vector<int64_t> idx(r > 1 ? r - 1 : 0, 0);
  {
    int64_t rem = row;
    for (int d = r - 2; d >= 0; --d) {
      idx[d] = rem % p.dims[d];
      rem /= p.dims[d];
    }
  }
  std::array<int64_t, N> base{};
  for (size_t k = 0; k < N; ++k) {
    int64_t o = 0;
    for (int d = 0; d < r - 1; ++d) o += idx[d] * p.strides[k][d];
    base[k] = o;
  }
  int64_t pos = begin;
  while (pos < end) {
    const int64_t len = std::min(inner - col, end - pos);
    std::array<int64_t, N> off;
    for (size_t k = 0; k < N; ++k) off[k] = base[k] + col * inner_stride[k];
    f(pos, off, len, inner_stride);
    pos += len;
    col = 0;
    if (pos >= end) break;
    for (int d = r - 2; d >= 0; --d) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) base[k] += p.strides[k][d];
      if (idx[d] < p.dims[d]) break;
      for (size_t k = 0; k < N; ++k) base[k] -= idx[d] * p.strides[k][d];
      idx[d] = 0;
    }
  }
}

// out[i] = f(a[i'], b[i'']) with broadcasting, parallel over rows/spans.
template <typename A, typename B, typename O, typename F>
void BinaryLoop(const BroadcastPlan& p, const A* a, const B* b, O* out, bool parallel, F f) {
  auto inner = [&f](O* __restrict y, const A* x0, const B* x1, int64_t len, int64_t s0,
                    int64_t s1) {
    if (s0 && s1) {
      for (int64_t i = 0; i < len; ++i) y[i] = f(x0[i], x1[i]);
    } else if (s0) {
      const B v = *x1;
      for (int64_t i = 0; i < len; ++i) y[i] = f(x0[i], v);
    } else if (s1) {
      const A v = *x0;
      for (int64_t i = 0; i < len; ++i) y[i] = f(v, x1[i]);
    } else {
      const O v = f(*x0, *x1);
      for (int64_t i = 0; i < len; ++i) y[i] = v;
    }
  };
  const int r = static_cast<int>(p.dims.size());
  const auto& sa = p.strides[0];
  const auto& sb = p.strides[1];
  if (r == 1) {
    ParallelFor(p.size, 1.0, parallel, [&](int64_t b0, int64_t b1) {
      inner(out + b0, a + b0 * sa[0], b + b0 * sb[0], b1 - b0, sa[0], sb[0]);
    });
    return;
  }
  if (r <= 3) {
    // Rows of the last dim, indexed by the (at most two) outer dims.
    const int64_t d1 = p.dims[r - 2], d2 = p.dims[r - 1];
    const int64_t a0 = r == 3 ? sa[0] : 0, b0s = r == 3 ? sb[0] : 0;
    const int64_t a1 = sa[r - 2], b1s = sb[r - 2];
    const int64_t rows = p.size / std::max<int64_t>(d2, 1);
    ParallelFor(rows, static_cast<double>(d2), parallel, [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t) {
        const int64_t i0 = t / d1, i1 = t % d1;
        inner(out + t * d2, a + i0 * a0 + i1 * a1, b + i0 * b0s + i1 * b1s, d2, sa[r - 1],
              sb[r - 1]);
      }
    });
    return;
  }
  ParallelFor(p.size, 1.0, parallel, [&](int64_t begin, int64_t end) {
    ForEachSpan<2>(p, begin, end,
                   [&](int64_t o, const std::array<int64_t, 2>& in, int64_t len,
                       const std::array<int64_t, 2>& st) {
                     inner(out + o, a + in[0], b + in[1], len, st[0], st[1]);
                   });
  });
}

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_BROADCAST_H_

#include "ir/transpose_copy.h"

#include <algorithm>
#include <cstring>

#include "tbb/parallel_for.h"

namespace onnxsmith::ir {
namespace {

constexpr int64_t kTile = 32;
constexpr int64_t kParallelBytes = 256 << 10;

// The transpose as: dims `a` (innermost of the input) and `b` (innermost of
// the output) copied in kTile x kTile tiles, so that both the strided reads
// and the strided writes stay in cache; every other dim is an outer loop.
// When a == b both sides are contiguous along it and tiles are rows.
struct Plan {
  int64_t a_size = 1, b_size = 1;
  int64_t a_in = 1, a_out = 1, b_in = 1, b_out = 1;  // element strides
  std::vector<int64_t> outer_dims, outer_in, outer_out;
  int64_t outer = 1, a_tiles = 1;
};

template <int kSize>
void CopyUnits(const char* src, char* dst, const Plan& p, int64_t begin, int64_t end) {
  for (int64_t u = begin; u < end; ++u) {
    int64_t rest = u / p.a_tiles;
    const int64_t a0 = (u % p.a_tiles) * kTile;
    const int64_t a1 = std::min(p.a_size, a0 + kTile);
    int64_t in_base = 0, out_base = 0;
    for (int64_t i = static_cast<int64_t>(p.outer_dims.size()) - 1; i >= 0; --i) {
      const int64_t idx = rest % p.outer_dims[i];
      rest /= p.outer_dims[i];
      in_base += idx * p.outer_in[i];
      out_base += idx * p.outer_out[i];
    }
    for (int64_t b0 = 0; b0 < p.b_size; b0 += kTile) {
      const int64_t b1 = std::min(p.b_size, b0 + kTile);
      for (int64_t a = a0; a < a1; ++a) {
        const char* s = src + (in_base + a * p.a_in + b0 * p.b_in) * kSize;
        char* d = dst + (out_base + a * p.a_out + b0 * p.b_out) * kSize;
        for (int64_t b = b0; b < b1; ++b, s += p.b_in * kSize, d += p.b_out * kSize) {
          std::memcpy(d, s, kSize);
        }
      }
    }
  }
}

void CopyUnitsAnySize(const char* src, char* dst, int esize, const Plan& p, int64_t begin,
                      int64_t end) {
  switch (esize) {
    case 1: return CopyUnits<1>(src, dst, p, begin, end);
    case 2: return CopyUnits<2>(src, dst, p, begin, end);
    case 4: return CopyUnits<4>(src, dst, p, begin, end);
    case 8: return CopyUnits<8>(src, dst, p, begin, end);
    default: return CopyUnits<16>(src, dst, p, begin, end);
  }
}

}  // namespace

void TransposeCopy(const char* src, char* dst, int esize, const std::vector<int64_t>& in_dims,
                   const std::vector<int64_t>& perm) {
  const int r = static_cast<int>(in_dims.size());
  int64_t n = 1;
  for (int64_t d : in_dims) n *= d;
  if (n == 0) return;
  std::vector<int64_t> in_strides(r, 1), out_strides(r, 1), out_stride_of(r, 1);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * in_dims[i + 1];
  for (int i = r - 2; i >= 0; --i) out_strides[i] = out_strides[i + 1] * in_dims[perm[i + 1]];
  for (int i = 0; i < r; ++i) out_stride_of[perm[i]] = out_strides[i];
  // Size-1 dims move nothing: leave them out, then pick a and b among the
  // rest (the last remaining input dim, and the last remaining output one).
  int a = -1, b = -1;
  for (int d = r - 1; d >= 0 && a < 0; --d) {
    if (in_dims[d] > 1) a = d;
  }
  for (int i = r - 1; i >= 0 && b < 0; --i) {
    if (in_dims[perm[i]] > 1) b = static_cast<int>(perm[i]);
  }
  if (a < 0) {  // a single element
    std::memcpy(dst, src, static_cast<size_t>(esize));
    return;
  }
  Plan p;
  p.a_size = in_dims[a];
  p.a_in = in_strides[a];
  p.a_out = out_stride_of[a];
  if (b != a) {
    p.b_size = in_dims[b];
    p.b_in = in_strides[b];
    p.b_out = out_stride_of[b];
  }
  for (int d = 0; d < r; ++d) {
    if (d == a || d == b || in_dims[d] == 1) continue;
    p.outer_dims.push_back(in_dims[d]);
    p.outer_in.push_back(in_strides[d]);
    p.outer_out.push_back(out_stride_of[d]);
    p.outer *= in_dims[d];
  }
  p.a_tiles = (p.a_size + kTile - 1) / kTile;
  const int64_t units = p.outer * p.a_tiles;
  if (n * esize < kParallelBytes || units < 2) {
    CopyUnitsAnySize(src, dst, esize, p, 0, units);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, units), [&](const tbb::blocked_range<int64_t>& br) {
    CopyUnitsAnySize(src, dst, esize, p, br.begin(), br.end());
  });
}

}  // namespace onnxsmith::ir

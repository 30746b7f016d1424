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

// The same transpose on fewer dims: size-1 dims dropped, and input dims that
// stay next to each other and in order in the output merged into one (a 3x3
// HWIO filter's H and W). The tiles of CopyUnits then span the merged dims:
// 9 elements wide instead of 3.
void Simplify(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& perm,
              std::vector<int64_t>* dims, std::vector<int64_t>* new_perm) {
  // Output-order runs of consecutive input dims (size-1 dims left out).
  // Dims with only size-1 dims between them count as adjacent: those move
  // nothing.
  auto adjacent = [&](int64_t prev, int64_t d) {
    if (prev >= d) return false;
    for (int64_t k = prev + 1; k < d; ++k) {
      if (in_dims[k] != 1) return false;
    }
    return true;
  };
  std::vector<std::vector<int64_t>> runs;
  for (int64_t d : perm) {
    if (in_dims[d] == 1) continue;
    if (!runs.empty() && adjacent(runs.back().back(), d)) {
      runs.back().push_back(d);
    } else {
      runs.push_back({d});
    }
  }
  std::vector<int64_t> order(runs.size());  // runs by their first input dim
  for (size_t i = 0; i < runs.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::sort(order.begin(), order.end(),
            [&](int64_t x, int64_t y) { return runs[x][0] < runs[y][0]; });
  std::vector<int64_t> new_index(runs.size());
  dims->clear();
  for (size_t j = 0; j < order.size(); ++j) {
    int64_t size = 1;
    for (int64_t d : runs[order[j]]) size *= in_dims[d];
    dims->push_back(size);
    new_index[order[j]] = static_cast<int64_t>(j);
  }
  new_perm->assign(new_index.begin(), new_index.end());
}

}  // namespace

void TransposeCopy(const char* src, char* dst, int esize, const std::vector<int64_t>& dims_given,
                   const std::vector<int64_t>& perm_given) {
  int64_t n = 1;
  for (int64_t d : dims_given) n *= d;
  if (n == 0) return;
  std::vector<int64_t> in_dims, perm;
  Simplify(dims_given, perm_given, &in_dims, &perm);
  const int r = static_cast<int>(in_dims.size());
  if (r <= 1) {  // one element, or nothing moves
    std::memcpy(dst, src, static_cast<size_t>(n * esize));
    return;
  }
  std::vector<int64_t> in_strides(r, 1), out_strides(r, 1), out_stride_of(r, 1);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * in_dims[i + 1];
  for (int i = r - 2; i >= 0; --i) out_strides[i] = out_strides[i + 1] * in_dims[perm[i + 1]];
  for (int i = 0; i < r; ++i) out_stride_of[perm[i]] = out_strides[i];
  // a: the innermost input dim, b: the innermost output one.
  const int a = r - 1;
  const int b = static_cast<int>(perm[r - 1]);
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
    if (d == a || d == b) continue;
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

#include "evaluator/copy.h"

#include <algorithm>
#include <cstring>

#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {

namespace {

template <typename U>
void StridedInner(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n) {
  U* d = reinterpret_cast<U*>(dst);
  const U* s = reinterpret_cast<const U*>(src);
  if (ss == 0) {
    const U v = *s;
    for (int64_t i = 0; i < n; ++i) d[i * ds] = v;
    return;
  }
  for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
}

void InnerCopy(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n, int es) {
  if (ds == 1 && ss == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n * es));
    return;
  }
  switch (es) {
    case 1: StridedInner<uint8_t>(dst, ds, src, ss, n); break;
    case 2: StridedInner<uint16_t>(dst, ds, src, ss, n); break;
    case 4: StridedInner<uint32_t>(dst, ds, src, ss, n); break;
    case 8: StridedInner<uint64_t>(dst, ds, src, ss, n); break;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ds * es, src + i * ss * es, es);
  }
}

}  // namespace

void StridedCopy(void* dst, const Dims& dst_strides, const void* src, const Dims& src_strides,
                 const Dims& dims, int element_size, bool parallel) {
  // Drop unit dims, merge contiguous neighbours.
  Dims d, dst_s, src_s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (!d.empty() && dst_s.back() == dst_strides[i] * dims[i] &&
        src_s.back() == src_strides[i] * dims[i]) {
      d.back() *= dims[i];
      dst_s.back() = dst_strides[i];
      src_s.back() = src_strides[i];
      continue;
    }
    d.push_back(dims[i]);
    dst_s.push_back(dst_strides[i]);
    src_s.push_back(src_strides[i]);
  }
  char* out = static_cast<char*>(dst);
  const char* in = static_cast<const char*>(src);
  const int es = element_size;
  if (d.empty()) {
    std::memcpy(out, in, es);
    return;
  }
  const int r = static_cast<int>(d.size());
  const int64_t inner = d[r - 1];
  const int64_t outer = NumElements(Dims(d.begin(), d.end() - 1));
  ParallelFor(outer, static_cast<double>(inner), parallel, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(r, 0);
    int64_t rem = begin;
    int64_t doff = 0, soff = 0;
    for (int k = r - 2; k >= 0; --k) {
      idx[k] = rem % d[k];
      rem /= d[k];
      doff += idx[k] * dst_s[k];
      soff += idx[k] * src_s[k];
    }
    for (int64_t o = begin; o < end; ++o) {
      InnerCopy(out + doff * es, dst_s[r - 1], in + soff * es, src_s[r - 1], inner, es);
      for (int k = r - 2; k >= 0; --k) {
        doff += dst_s[k];
        soff += src_s[k];
        if (++idx[k] < d[k]) break;
        doff -= idx[k] * dst_s[k];
        soff -= idx[k] * src_s[k];
        idx[k] = 0;
      }
    }
  });
}

namespace {

template <typename U>
void TransposePlane(char* dst, int64_t dst_stride_a, const char* src, int64_t src_stride_b,
                    int64_t a0, int64_t a1, int64_t nb) {
  constexpr int64_t kBlock = 32;
  U* d = reinterpret_cast<U*>(dst);
  const U* s = reinterpret_cast<const U*>(src);
  for (int64_t ab = a0; ab < a1; ab += kBlock) {
    const int64_t ae = std::min(ab + kBlock, a1);
    for (int64_t bb = 0; bb < nb; bb += kBlock) {
      const int64_t be = std::min(bb + kBlock, nb);
      for (int64_t a = ab; a < ae; ++a) {
        U* drow = d + a * dst_stride_a;
        const U* scol = s + a;
        for (int64_t b = bb; b < be; ++b) drow[b] = scol[b * src_stride_b];
      }
    }
  }
}

}  // namespace

void TransposeCopy(void* dst, const void* src, const Dims& in_dims, const Dims& perm,
                   int element_size, bool parallel) {
  const int rank = static_cast<int>(in_dims.size());
  // Keep the non-unit axes, in output order.
  std::vector<int> kept_perm;
  for (int i = 0; i < rank; ++i) {
    if (in_dims[perm[i]] != 1) kept_perm.push_back(static_cast<int>(perm[i]));
  }
  // Renumber kept input axes 0..k-1 in input order, then merge axes that stay
  // adjacent.
  std::vector<int> input_order = kept_perm;
  std::sort(input_order.begin(), input_order.end());
  std::vector<int> rank_of(rank, -1);
  for (size_t i = 0; i < input_order.size(); ++i) rank_of[input_order[i]] = static_cast<int>(i);
  // Groups: runs in kept_perm of consecutive input ranks.
  std::vector<std::vector<int>> groups;  // each: input axes, in order
  for (int ax : kept_perm) {
    if (!groups.empty() && rank_of[groups.back().back()] + 1 == rank_of[ax]) {
      groups.back().push_back(ax);
    } else {
      groups.push_back({ax});
    }
  }
  const int64_t total = NumElements(in_dims);
  if (total == 0) return;
  const int r = static_cast<int>(groups.size());
  if (r <= 1) {
    std::memcpy(dst, src, static_cast<size_t>(total * element_size));
    return;
  }
  // Input dims of the groups in input order.
  std::vector<int> group_order(r);
  for (int i = 0; i < r; ++i) group_order[i] = i;
  std::sort(group_order.begin(), group_order.end(),
            [&](int a, int b) { return groups[a][0] < groups[b][0]; });
  Dims gdim(r);
  for (int g = 0; g < r; ++g) {
    int64_t n = 1;
    for (int ax : groups[g]) n *= in_dims[ax];
    gdim[g] = n;
  }
  // Input strides per group (groups in input order are contiguous).
  Dims gstride(r);
  {
    int64_t s = 1;
    for (int i = r - 1; i >= 0; --i) {
      gstride[group_order[i]] = s;
      s *= gdim[group_order[i]];
    }
  }
  // Output: groups in output order (g = 0..r-1) with dims gdim[g].
  Dims out_strides = Strides(gdim);
  const int last = r - 1;
  if (gstride[last] == 1) {
    StridedCopy(dst, out_strides, src, gstride, gdim, element_size, parallel);
    return;
  }
  // The output axis whose input stride is 1.
  int j = 0;
  for (int g = 0; g < r; ++g) {
    if (gstride[g] == 1) j = g;
  }
  // Outer axes: all but j and last.
  Dims odims, ostr_dst, ostr_src;
  for (int g = 0; g < r; ++g) {
    if (g == j || g == last) continue;
    odims.push_back(gdim[g]);
    ostr_dst.push_back(out_strides[g]);
    ostr_src.push_back(gstride[g]);
  }
  const int64_t outer = NumElements(odims);
  const int64_t na = gdim[j];
  const int64_t nb = gdim[last];
  constexpr int64_t kRows = 64;  // rows of a per task
  const int64_t a_chunks = (na + kRows - 1) / kRows;
  const int es = element_size;
  char* out = static_cast<char*>(dst);
  const char* in = static_cast<const char*>(src);
  ParallelFor(outer * a_chunks, static_cast<double>(kRows * nb), parallel,
              [&](int64_t begin, int64_t end) {
                for (int64_t t = begin; t < end; ++t) {
                  int64_t o = t / a_chunks;
                  const int64_t chunk = t % a_chunks;
                  int64_t doff = 0, soff = 0;
                  for (int k = static_cast<int>(odims.size()) - 1; k >= 0; --k) {
                    const int64_t i = o % odims[k];
                    o /= odims[k];
                    doff += i * ostr_dst[k];
                    soff += i * ostr_src[k];
                  }
                  const int64_t a0 = chunk * kRows;
                  const int64_t a1 = std::min(na, a0 + kRows);
                  char* d = out + doff * es;
                  const char* s = in + soff * es;
                  switch (es) {
                    case 1: TransposePlane<uint8_t>(d, out_strides[j], s, gstride[last], a0, a1, nb); break;
                    case 2: TransposePlane<uint16_t>(d, out_strides[j], s, gstride[last], a0, a1, nb); break;
                    case 4: TransposePlane<uint32_t>(d, out_strides[j], s, gstride[last], a0, a1, nb); break;
                    case 8: TransposePlane<uint64_t>(d, out_strides[j], s, gstride[last], a0, a1, nb); break;
                    default:
                      for (int64_t a = a0; a < a1; ++a) {
                        for (int64_t b = 0; b < nb; ++b) {
                          std::memcpy(d + (a * out_strides[j] + b) * es,
                                      s + (a + b * gstride[last]) * es, es);
                        }
                      }
                  }
                }
              });
}

void GatherByAxisMaps(void* dst_raw, const void* src_raw, const Dims& src_dims,
                      const Dims& out_dims, const std::vector<std::vector<int64_t>>& map,
                      int es) {
  const int r = static_cast<int>(out_dims.size());
  const char* src = static_cast<const char*>(src_raw);
  char* dst = static_cast<char*>(dst_raw);
  // A scalar has no axis to map (and nothing to pad); empty outputs copy nothing.
  if (r == 0) {
    std::memcpy(dst, src, es);
    return;
  }
  if (NumElements(out_dims) == 0) return;
  const Dims xs = Strides(src_dims);
  std::vector<int64_t> pos(r, 0);
  const int64_t inner = out_dims[r - 1];
  const int64_t rows = NumElements(out_dims) / inner;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t base = 0;
    for (int i = 0; i < r - 1; ++i) base += map[i][pos[i]] * xs[i];
    for (int64_t o = 0; o < inner; ++o) {
      std::memcpy(dst + (row * inner + o) * es, src + (base + map[r - 1][o] * xs[r - 1]) * es, es);
    }
    for (int i = r - 2; i >= 0; --i) {
      if (++pos[i] < out_dims[i]) break;
      pos[i] = 0;
    }
  }
}

void FillElements(void* dst, const void* value, int64_t count, int element_size) {
  char* d = static_cast<char*>(dst);
  auto fill = [&](auto tag) {
    using U = decltype(tag);
    U v;
    std::memcpy(&v, value, sizeof(U));
    std::fill(reinterpret_cast<U*>(d), reinterpret_cast<U*>(d) + count, v);
  };
  switch (element_size) {
    case 1: fill(uint8_t{}); break;
    case 2: fill(uint16_t{}); break;
    case 4: fill(uint32_t{}); break;
    case 8: fill(uint64_t{}); break;
    default:
      for (int64_t i = 0; i < count; ++i) std::memcpy(d + i * element_size, value, element_size);
  }
}

}  // namespace onnxsmith::evaluator

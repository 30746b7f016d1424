#include "evaluator/broadcast.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace onnxsmith::evaluator {

absl::StatusOr<Dims> BroadcastDims(const std::vector<Dims>& shapes) {
  size_t rank = 0;
  for (const Dims& s : shapes) rank = std::max(rank, s.size());
  Dims out(rank, 1);
  for (const Dims& s : shapes) {
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      const int64_t d = s[i];
      int64_t& o = out[off + i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string all;
      for (const Dims& t : shapes) absl::StrAppend(&all, all.empty() ? "" : " and ", DimsToString(t));
      return absl::InvalidArgumentError(absl::StrCat("shapes ", all, " cannot be broadcast"));
    }
  }
  return out;
}

absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const std::vector<Dims>& shapes) {
  auto out = BroadcastDims(shapes);
  if (!out.ok()) return out.status();
  BroadcastPlan p;
  p.out_dims = *out;
  p.size = NumElements(p.out_dims);
  const size_t rank = p.out_dims.size();
  const size_t n = shapes.size();
  // Padded input dims.
  std::vector<Dims> in(n, Dims(rank, 1));
  for (size_t k = 0; k < n; ++k) {
    const size_t off = rank - shapes[k].size();
    for (size_t i = 0; i < shapes[k].size(); ++i) in[k][off + i] = shapes[k][i];
  }
  // Coalesce: drop size-1 output dims, merge neighbours with the same
  // broadcast pattern.
  Dims cd;
  std::vector<Dims> cin(n);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t od = p.out_dims[i];
    if (od == 1) continue;
    bool merge = !cd.empty();
    if (merge) {
      for (size_t k = 0; k < n; ++k) {
        const bool prev_bcast = cin[k].back() == 1 && cd.back() != 1;
        const bool this_bcast = in[k][i] == 1;
        if (prev_bcast != this_bcast) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      cd.back() *= od;
      for (size_t k = 0; k < n; ++k) cin[k].back() *= in[k][i];
    } else {
      cd.push_back(od);
      for (size_t k = 0; k < n; ++k) cin[k].push_back(in[k][i]);
    }
  }
  if (cd.empty()) {
    cd.push_back(1);
    for (size_t k = 0; k < n; ++k) cin[k].push_back(1);
  }
  p.dims = cd;
  p.strides.assign(n, Dims(cd.size(), 0));
  for (size_t k = 0; k < n; ++k) {
    int64_t s = 1;
    for (int i = static_cast<int>(cd.size()) - 1; i >= 0; --i) {
      if (cin[k][i] == 1 && cd[i] != 1) {
        p.strides[k][i] = 0;
      } else {
        p.strides[k][i] = s;
        s *= cin[k][i];
      }
    }
  }
  return p;
}

}  // namespace onnxsmith::evaluator

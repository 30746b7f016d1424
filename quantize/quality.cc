#include "quantize/quality.h"

#include <algorithm>
#include <cmath>

namespace onnxsmith::quantize {

void QualityAccumulator::Add(const std::vector<ir::Tensor>& ref, const std::vector<ir::Tensor>& got) {
  std::vector<Sums> local(ref.size());
  for (size_t k = 0; k < ref.size() && k < got.size(); ++k) {
    auto r = ref[k].ToDoubles();
    auto q = got[k].ToDoubles();
    if (!r.ok() || !q.ok() || r->size() != q->size()) continue;
    Sums& s = local[k];
    s.samples = 1;
    for (size_t i = 0; i < r->size(); ++i) {
      const double e = (*r)[i] - (*q)[i];
      s.signal += (*r)[i] * (*r)[i];
      s.noise += e * e;
      s.max_err = std::max(s.max_err, std::fabs(e));
    }
    const int64_t last = ref[k].rank() > 0 ? ref[k].dims().back() : 1;
    if (last > 1) {
      s.classify = true;
      for (size_t row = 0; row + last <= r->size(); row += last) {
        auto rb = r->begin() + row, qb = q->begin() + row;
        s.agree += std::max_element(rb, rb + last) - rb == std::max_element(qb, qb + last) - qb;
        ++s.rows;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (sums_.size() < local.size()) sums_.resize(local.size());
  for (size_t k = 0; k < local.size(); ++k) {
    Sums& s = sums_[k];
    s.signal += local[k].signal;
    s.noise += local[k].noise;
    s.max_err = std::max(s.max_err, local[k].max_err);
    s.rows += local[k].rows;
    s.agree += local[k].agree;
    s.samples += local[k].samples;
    s.classify |= local[k].classify;
  }
}

std::vector<OutputQuality> QualityAccumulator::Result(const std::vector<std::string>& names) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OutputQuality> out;
  for (size_t k = 0; k < sums_.size(); ++k) {
    const Sums& s = sums_[k];
    OutputQuality o;
    o.name = k < names.size() ? names[k] : "";
    o.sqnr_db = s.noise > 0 ? 10.0 * std::log10(s.signal / s.noise) : 999.0;
    o.max_abs_error = s.max_err;
    o.top1_agreement = s.classify && s.rows > 0 ? static_cast<double>(s.agree) / s.rows : -1;
    o.samples = s.samples;
    out.push_back(o);
  }
  return out;
}

}  // namespace onnxsmith::quantize

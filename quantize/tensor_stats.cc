#include "quantize/tensor_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxsmith::quantize {

namespace {
constexpr int B = TensorStats::kBinsPerSide;
}  // namespace

float TensorStats::bin_width() const { return std::ldexp(1.0f, log2_range_) / B; }

void TensorStats::Grow(float absmax) {
  if (!std::isfinite(absmax)) return;
  if (bins_.empty()) {
    bins_.assign(2 * B, 0);
    int e = 0;
    std::frexp(std::max(absmax, 1e-30f), &e);  // absmax < 2^e
    log2_range_ = e;
    return;
  }
  while (absmax >= std::ldexp(1.0f, log2_range_)) {
    std::vector<int64_t> merged(2 * B, 0);
    for (int b = 0; b < 2 * B; ++b) merged[B + ((b - B) >> 1)] += bins_[b];
    bins_.swap(merged);
    ++log2_range_;
  }
}

void TensorStats::Add(const float* x, int64_t n, bool histogram) {
  if (n <= 0) return;
  // Four independent accumulators: the loop is not a single dependency
  // chain (calibration reduces every activation of every sample here).
  float lo4[4] = {x[0], x[0], x[0], x[0]}, hi4[4] = {x[0], x[0], x[0], x[0]};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      lo4[k] = std::min(lo4[k], x[i + k]);
      hi4[k] = std::max(hi4[k], x[i + k]);
    }
  }
  for (; i < n; ++i) {
    lo4[0] = std::min(lo4[0], x[i]);
    hi4[0] = std::max(hi4[0], x[i]);
  }
  const float lo = std::min(std::min(lo4[0], lo4[1]), std::min(lo4[2], lo4[3]));
  const float hi = std::max(std::max(hi4[0], hi4[1]), std::max(hi4[2], hi4[3]));
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += n;
  if (!histogram) return;
  Grow(std::max(std::fabs(lo), std::fabs(hi)));
  const float inv = 1.0f / bin_width();
  int64_t* bins = bins_.data();
  // Shifted by B bins the index is >= 0 once clamped, where truncation is
  // floor (no libm call per value).
  const float top = static_cast<float>(2 * B - 1);
  for (int64_t k = 0; k < n; ++k) {
    const float y = std::clamp(x[k] * inv + static_cast<float>(B), 0.0f, top);
    ++bins[static_cast<int>(y)];
  }
}

void TensorStats::Merge(const TensorStats& o) {
  if (o.count_ == 0) return;
  if (count_ == 0) {
    *this = o;
    return;
  }
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
  count_ += o.count_;
  if (o.bins_.empty()) return;
  if (bins_.empty()) {
    bins_ = o.bins_;
    log2_range_ = o.log2_range_;
    return;
  }
  TensorStats other = o;
  if (other.log2_range_ < log2_range_) other.Grow(std::ldexp(1.0f, log2_range_ - 1) * 1.5f);
  if (log2_range_ < other.log2_range_) Grow(std::ldexp(1.0f, other.log2_range_ - 1) * 1.5f);
  for (int b = 0; b < 2 * B; ++b) bins_[b] += other.bins_[b];
}

std::pair<float, float> TensorStats::PercentileRange(double percentile) const {
  if (bins_.empty() || count_ == 0) return {min_, max_};
  const double tail = std::clamp(1.0 - percentile / 100.0, 0.0, 0.5) * static_cast<double>(count_);
  const float w = bin_width();
  double acc = 0;
  float lo = min_, hi = max_;
  for (int b = 0; b < 2 * B; ++b) {
    acc += static_cast<double>(bins_[b]);
    if (acc > tail) {
      lo = static_cast<float>(b - B) * w;
      break;
    }
  }
  acc = 0;
  for (int b = 2 * B - 1; b >= 0; --b) {
    acc += static_cast<double>(bins_[b]);
    if (acc > tail) {
      hi = static_cast<float>(b - B + 1) * w;
      break;
    }
  }
  return {std::max(lo, min_), std::min(hi, max_)};
}

std::pair<float, float> TensorStats::EntropyRange() const {
  if (bins_.empty() || count_ == 0) return {min_, max_};
  std::vector<double> h(B);
  for (int j = 0; j < B; ++j) h[j] = static_cast<double>(bins_[B + j] + bins_[B - 1 - j]);
  // The bin at 0 is left out of the search: after a Relu it holds a spike of
  // exact zeros (exact at any scale) that, spread over its first level by
  // the merge, would pull the threshold far down.
  h[0] = 0;
  int last = B;
  while (last > 0 && h[last - 1] == 0) --last;
  constexpr int kLevels = 128;
  if (last <= kLevels) return {min_, max_};
  double best_kl = std::numeric_limits<double>::infinity();
  int best = last;
  std::vector<double> p, q;
  for (int i = kLevels; i <= last; ++i) {
    // P: the first i bins, with the clipped tail folded into the last one.
    p.assign(h.begin(), h.begin() + i);
    double outliers = 0;
    for (int j = i; j < last; ++j) outliers += h[j];
    p[i - 1] += outliers;
    // Q: the first i bins merged into kLevels levels, each level's mass
    // spread evenly over its non-empty bins.
    q.assign(i, 0.0);
    const double per = static_cast<double>(i) / kLevels;
    for (int k = 0; k < kLevels; ++k) {
      const int start = static_cast<int>(std::floor(k * per));
      const int end = k == kLevels - 1 ? i : static_cast<int>(std::floor((k + 1) * per));
      double sum = 0;
      int nonzero = 0;
      for (int j = start; j < end; ++j) {
        sum += h[j];
        nonzero += h[j] != 0;
      }
      if (nonzero == 0) continue;
      for (int j = start; j < end; ++j) {
        if (h[j] != 0) q[j] = sum / nonzero;
      }
    }
    double ps = 0, qs = 0;
    for (int j = 0; j < i; ++j) {
      ps += p[j];
      qs += q[j];
    }
    if (ps == 0 || qs == 0) continue;
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      if (p[j] == 0) continue;
      const double pj = p[j] / ps;
      const double qj = q[j] == 0 ? 1e-12 : q[j] / qs;  // smoothing for empty levels
      kl += pj * std::log(pj / qj);
    }
    if (kl < best_kl) {
      best_kl = kl;
      best = i;
    }
  }
  const float t = static_cast<float>(best) * bin_width();
  const std::pair<float, float> kl_range{std::max(min_, -t), std::min(max_, t)};
  // KL matches the shape of the distribution, not the error: on long-tailed
  // tensors whose tail carries the signal (swish inputs, squeeze-excite
  // vectors with a few values per sample) it clips what matters. Keep the
  // threshold only where it lowers the expected squared error.
  if (ExpectedSquaredError(kl_range.first, kl_range.second) >
      ExpectedSquaredError(std::min(min_, 0.0f), std::max(max_, 0.0f))) {
    return {min_, max_};
  }
  return kl_range;
}

double TensorStats::ExpectedSquaredError(float lo, float hi) const {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  const double step = (static_cast<double>(hi) - lo) / 255;
  const double w = bin_width();
  double err = 0;
  for (int b = 0; b < 2 * B; ++b) {
    if (bins_[b] == 0) continue;
    const double c = (b - B + 0.5) * w;  // the bin's center
    const double clip = c < lo ? lo - c : c > hi ? c - hi : 0;
    err += static_cast<double>(bins_[b]) * (clip > 0 ? clip * clip : step * step / 12);
  }
  return err;
}

}  // namespace onnxsmith::quantize

// Streaming statistics of one tensor's values over calibration samples: the
// range, and (for percentile and entropy calibration) a histogram.
//
// The histogram covers a symmetric range [-R, R] with R a power of two and
// kBinsPerSide bins on each side. When a larger value arrives R doubles and
// neighbouring bins merge pairwise, so one pass over the data suffices, the
// memory is fixed, and two histograms merge exactly (the smaller range
// doubles up to the larger).
#ifndef ONNXSMITH_QUANTIZE_TENSOR_STATS_H_
#define ONNXSMITH_QUANTIZE_TENSOR_STATS_H_

#include <cstdint>
#include <utility>
#include <vector>

namespace onnxsmith::quantize {

class TensorStats {
 public:
  static constexpr int kBinsPerSide = 2048;

  // Adds n values; `histogram` also bins them.
  void Add(const float* x, int64_t n, bool histogram);
  void Merge(const TensorStats& other);

  int64_t count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }
  bool has_histogram() const { return !bins_.empty(); }

  // [lo, hi] cutting (100 - percentile)% of the values off each tail,
  // within [min, max]. The range when there is no histogram.
  std::pair<float, float> PercentileRange(double percentile) const;
  // The |x| threshold T minimizing the KL divergence between the histogram
  // of |x| clipped at T and its 128-level quantization (TensorRT's method);
  // the range [max(min, -T), min(max, T)], or [min, max] when that has the
  // smaller ExpectedSquaredError.
  std::pair<float, float> EntropyRange() const;
  // Squared error (summed over the histogram) of 8-bit rounding over
  // [lo, hi]: clipping outside, step^2/12 inside.
  double ExpectedSquaredError(float lo, float hi) const;

 private:
  void Grow(float absmax);
  float bin_width() const;

  int64_t count_ = 0;
  float min_ = 0, max_ = 0;
  int log2_range_ = 0;           // R = 2^log2_range_
  std::vector<int64_t> bins_;    // 2 * kBinsPerSide, bin b covers [(b-B)w, (b-B+1)w)
};

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_TENSOR_STATS_H_

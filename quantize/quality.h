// How close a quantized model's outputs are to the fp32 model's: SQNR, max
// abs error and top-1 agreement per output, accumulated over samples from
// several threads (the report's numeric check and the accuracy fallback).
#ifndef ONNXSMITH_QUANTIZE_QUALITY_H_
#define ONNXSMITH_QUANTIZE_QUALITY_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "quantize/quantize.h"

namespace onnxsmith::quantize {

class QualityAccumulator {
 public:
  // One sample: the fp32 outputs and the quantized ones, in the same order.
  void Add(const std::vector<ir::Tensor>& ref, const std::vector<ir::Tensor>& got);
  // Per output; `names` name them in order.
  std::vector<OutputQuality> Result(const std::vector<std::string>& names) const;

 private:
  struct Sums {
    double signal = 0, noise = 0, max_err = 0;
    int64_t rows = 0, agree = 0, samples = 0;
    bool classify = false;
  };
  mutable std::mutex mu_;
  std::vector<Sums> sums_;
};

}  // namespace onnxsmith::quantize

#endif  // ONNXSMITH_QUANTIZE_QUALITY_H_

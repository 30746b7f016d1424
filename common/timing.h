// Wall-clock timing for the per-stage times the converters and the CLI report.
#ifndef ONNXSMITH_COMMON_TIMING_H_
#define ONNXSMITH_COMMON_TIMING_H_

#include <chrono>

namespace onnxsmith {

// Milliseconds elapsed since `start` (a steady_clock reading).
inline double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace onnxsmith

#endif  // ONNXSMITH_COMMON_TIMING_H_

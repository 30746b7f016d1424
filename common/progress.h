// Progress of long work on the terminal: one line on stderr, redrawn in place
// ("\r"), e.g. "onnxsmith: reading variables 412/960 (42%), 3.1 s".
//
//   progress::Phase phase("calibration", batches);
//   for (...) { ...; phase.Advance(1); }   // any thread
//
// Nothing is drawn unless stderr is a terminal and SetQuiet(false) (the
// default), nor for a phase that ends within kDefaultDelayMs: short runs,
// pipes, logs and tests see nothing. Phases may nest (the line shows
// "outer 2/5 > inner 40/100"); one background thread draws at most ~10
// times a second while a phase is open, and the line is cleared when the
// outermost phase ends.
//
// Environment, read when a phase starts:
//   ONNXSMITH_PROGRESS=never|force     never draw / draw even when stderr is
//                                      not a terminal (quiet still wins)
//   ONNXSMITH_PROGRESS_DELAY_MS=N      show phases after N ms instead of 2000
#ifndef ONNXSMITH_COMMON_PROGRESS_H_
#define ONNXSMITH_COMMON_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace onnxsmith::progress {

inline constexpr int kDefaultDelayMs = 2000;

// Process-wide: --quiet turns every phase off.
void SetQuiet(bool quiet);
bool Quiet();

class Phase {
 public:
  enum class Unit { kItems, kBytes };

  // `total` 0 means unknown: the line then shows the count done, or only the
  // name while nothing is counted (a single long step such as a file write).
  explicit Phase(std::string name, int64_t total = 0, Unit unit = Unit::kItems);
  ~Phase();
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

  // Thread-safe; cheap (one atomic add) whether or not anything is drawn.
  void Advance(int64_t n = 1) { done_.fetch_add(n, std::memory_order_relaxed); }
  void Set(int64_t done) { done_.store(done, std::memory_order_relaxed); }
  void SetTotal(int64_t total) { total_.store(total, std::memory_order_relaxed); }
  // A short note after the counts (the pass running, the file written).
  void SetDetail(std::string detail);

  int64_t done() const { return done_.load(std::memory_order_relaxed); }
  // The text of this phase's part of the line ("optimizing 3/14 fuse_bn").
  std::string Describe() const;
  double seconds() const;
  // True when this phase takes part in drawing (terminal, not quiet).
  bool active() const { return active_; }

 private:
  const std::string name_;
  const Unit unit_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> total_{0};
  mutable std::mutex mu_;
  std::string detail_;  // guarded by mu_
  bool active_ = false;
};

}  // namespace onnxsmith::progress

#endif  // ONNXSMITH_COMMON_PROGRESS_H_

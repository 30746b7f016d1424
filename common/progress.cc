#include "common/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::progress {
namespace {

std::atomic<bool> g_quiet{false};

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);  // at most ~10 draws a second

struct Settings {
  bool enabled = false;
  int delay_ms = kDefaultDelayMs;
};

Settings ReadSettings() {
  Settings s;
  const char* mode_env = std::getenv("ONNXSMITH_PROGRESS");
  const std::string mode = mode_env == nullptr ? "" : mode_env;
  s.enabled = !Quiet() && mode != "never" && (mode == "force" || isatty(STDERR_FILENO) == 1);
  int delay = 0;
  if (const char* d = std::getenv("ONNXSMITH_PROGRESS_DELAY_MS");
      d != nullptr && absl::SimpleAtoi(d, &delay) && delay >= 0) {
    s.delay_ms = delay;
  }
  return s;
}

size_t TerminalWidth() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
  return 80;
}

std::string Amount(int64_t v, Phase::Unit unit) {
  if (unit == Phase::Unit::kItems) return absl::StrCat(v);
  return absl::StrFormat("%.1f", static_cast<double>(v) / (1 << 20));
}

// The open phases (outermost first) and the thread that draws their line.
// Open/Close run on the threads that create and end phases; life_mu_ keeps
// them in order, mu_ guards what the drawing thread reads.
class Display {
 public:
  static Display& Get() {
    static Display* const display = new Display();  // never destroyed: phases may end at exit
    return *display;
  }

  void Open(const Phase* phase, int delay_ms) {
    std::lock_guard<std::mutex> life(life_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    open_.push_back({phase, delay_ms});
    if (!thread_.joinable()) {
      stop_ = false;
      thread_ = std::thread([this] { Loop(); });
    }
  }

  void Close(const Phase* phase) {
    std::lock_guard<std::mutex> life(life_mu_);
    std::thread finished;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // The phase's last state, so that a phase shown at all is seen ending.
      DrawLocked();
      open_.erase(std::remove_if(open_.begin(), open_.end(),
                                 [&](const auto& o) { return o.first == phase; }),
                  open_.end());
      if (!open_.empty()) return;
      stop_ = true;
      finished = std::move(thread_);
    }
    cv_.notify_all();
    if (finished.joinable()) finished.join();
    std::lock_guard<std::mutex> lock(mu_);
    if (drawn_) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
      drawn_ = false;
    }
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      DrawLocked();
      cv_.wait_for(lock, kRedrawInterval, [this] { return stop_; });
    }
  }

  // Phases past their delay, outermost first, on one line cut to the
  // terminal's width (a wrapped line could not be redrawn with "\r").
  void DrawLocked() {
    std::vector<std::string> parts;
    double seconds = 0;
    for (const auto& [phase, delay_ms] : open_) {
      if (phase->seconds() * 1000 < delay_ms) continue;
      if (parts.empty()) seconds = phase->seconds();
      parts.push_back(phase->Describe());
    }
    if (parts.empty()) return;
    std::string line = absl::StrFormat("onnxsmith: %s, %.1f s", absl::StrJoin(parts, " > "), seconds);
    const size_t width = TerminalWidth() - 1;
    if (line.size() > width) line.resize(width);
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  std::mutex life_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<const Phase*, int>> open_;
  std::thread thread_;
  bool stop_ = false;
  bool drawn_ = false;
};

}  // namespace

void SetQuiet(bool quiet) { g_quiet.store(quiet); }
bool Quiet() { return g_quiet.load(); }

Phase::Phase(std::string name, int64_t total, Unit unit)
    : name_(std::move(name)), unit_(unit), start_(std::chrono::steady_clock::now()) {
  total_.store(total);
  const Settings settings = ReadSettings();
  active_ = settings.enabled;
  if (active_) Display::Get().Open(this, settings.delay_ms);
}

Phase::~Phase() {
  if (active_) Display::Get().Close(this);
}

void Phase::SetDetail(std::string detail) {
  std::lock_guard<std::mutex> lock(mu_);
  detail_ = std::move(detail);
}

double Phase::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Phase::Describe() const {
  const int64_t done = done_.load(std::memory_order_relaxed);
  const int64_t total = total_.load(std::memory_order_relaxed);
  // A phase without counts (one long step) shows its name and time only.
  std::string text = total == 0 && done == 0 ? name_ : absl::StrCat(name_, " ", Amount(done, unit_));
  if (total > 0) {
    absl::StrAppend(&text, "/", Amount(total, unit_), unit_ == Unit::kBytes ? " MiB" : "",
                    absl::StrFormat(" (%d%%)", std::min<int64_t>(100, done * 100 / total)));
  } else if (unit_ == Unit::kBytes && done > 0) {
    absl::StrAppend(&text, " MiB");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!detail_.empty()) absl::StrAppend(&text, " ", detail_);
  return text;
}

}  // namespace onnxsmith::progress

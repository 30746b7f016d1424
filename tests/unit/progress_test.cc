// progress::Phase: what reaches stderr when drawing is forced (a test's
// stderr is no terminal; tests/oracle/test_progress.py checks the real tty),
// that quiet and "never" silence it, and that counts add up across threads.
#include "common/progress.h"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace onnxsmith::progress {
namespace {

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("ONNXSMITH_PROGRESS", "force", 1);
    setenv("ONNXSMITH_PROGRESS_DELAY_MS", "0", 1);
    SetQuiet(false);
  }
  void TearDown() override {
    unsetenv("ONNXSMITH_PROGRESS");
    unsetenv("ONNXSMITH_PROGRESS_DELAY_MS");
    SetQuiet(false);
  }
};

std::string RunPhase() {
  testing::internal::CaptureStderr();
  {
    Phase phase("calibration", 10);
    phase.Advance(3);
    phase.SetDetail("batch 3");
  }
  return testing::internal::GetCapturedStderr();
}

TEST_F(ProgressTest, ForcedPhaseDrawsItsLineAndClearsIt) {
  const std::string err = RunPhase();
  EXPECT_NE(err.find("onnxsmith: calibration 3/10 (30%) batch 3"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << "the line is redrawn with \\r, never ended";
  EXPECT_NE(err.rfind("\r\033[K"), std::string::npos) << "cleared at the end";
}

TEST_F(ProgressTest, QuietDrawsNothing) {
  SetQuiet(true);
  EXPECT_EQ(RunPhase(), "");
}

TEST_F(ProgressTest, NeverDrawsNothing) {
  setenv("ONNXSMITH_PROGRESS", "never", 1);
  EXPECT_EQ(RunPhase(), "");
}

TEST_F(ProgressTest, ShortPhaseUnderTheDelayDrawsNothing) {
  setenv("ONNXSMITH_PROGRESS_DELAY_MS", "60000", 1);
  EXPECT_EQ(RunPhase(), "");
}

TEST_F(ProgressTest, NestedPhasesShareOneLine) {
  testing::internal::CaptureStderr();
  {
    Phase outer("converting", 2);
    outer.Advance();
    Phase inner("writing", int64_t{3} << 20, Phase::Unit::kBytes);
    inner.Advance(int64_t{1} << 20);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("converting 1/2 (50%) > writing 1.0/3.0 MiB (33%)"), std::string::npos) << err;
}

TEST_F(ProgressTest, AdvanceFromManyThreadsAddsUp) {
  setenv("ONNXSMITH_PROGRESS", "never", 1);
  Phase phase("reading variables", 8000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) phase.Advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(phase.done(), 8000);
}

}  // namespace
}  // namespace onnxsmith::progress

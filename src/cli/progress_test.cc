#include "cli/progress.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/terminal.h"

namespace tresor::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint64_t kMiB = 1024 * 1024;

// What a reporter wrote, cut into the lines a terminal would show: every
// "\r ESC[K" starts a redraw of the same line.
std::vector<std::string> ProgressDraws(const std::string& written) {
  std::vector<std::string> draws;
  const std::string rewrite = "\r\x1b[K";
  for (std::size_t at = written.find(rewrite); at != std::string::npos;) {
    const std::size_t next = written.find(rewrite, at + rewrite.size());
    draws.push_back(written.substr(at + rewrite.size(), next == std::string::npos
                                                            ? std::string::npos
                                                            : next - at - rewrite.size()));
    at = next;
  }
  return draws;
}

// Sets TRESOR_PROGRESS for one test and puts back what was there.
class ProgressEnvForTest {
 public:
  explicit ProgressEnvForTest(const char* value) {
    if (const char* old = getenv("TRESOR_PROGRESS")) saved_ = old;
    if (value == nullptr) {
      unsetenv("TRESOR_PROGRESS");
    } else {
      setenv("TRESOR_PROGRESS", value, 1);
    }
  }
  ~ProgressEnvForTest() {
    if (saved_) {
      setenv("TRESOR_PROGRESS", saved_->c_str(), 1);
    } else {
      unsetenv("TRESOR_PROGRESS");
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(ProgressTest, KnownTotalShowsBytesOfTotalRateAndEta) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("uploaded", 40 * kMiB, out, true, clock);
  clock.Advance(seconds(2));
  progress.Update(16 * kMiB);  // 8 MiB/s, 24 MiB left: 3s
  EXPECT_EQ(ProgressDraws(out.str()),
            std::vector<std::string>{"uploaded 16.0 MiB of 40.0 MiB, 8.0 MiB/s, ETA 3s"});
  // Not a whole second left: the ETA rounds up.
  clock.Advance(milliseconds(2900));
  progress.Update(39 * kMiB);
  EXPECT_EQ(ProgressDraws(out.str()).back(), "uploaded 39.0 MiB of 40.0 MiB, 8.0 MiB/s, ETA 1s");
}

TEST(ProgressTest, UnknownTotalHasNoOfAndNoEta) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", std::nullopt, out, true, clock);
  clock.Advance(milliseconds(500));
  progress.Update(600);
  EXPECT_EQ(ProgressDraws(out.str()), std::vector<std::string>{"saved 600 B, 1.2 KiB/s"});
}

TEST(ProgressTest, ATotalLearnedLaterIsShown) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", std::nullopt, out, true, clock);
  clock.Advance(seconds(1));
  progress.Update(kMiB, 4 * kMiB);
  EXPECT_EQ(ProgressDraws(out.str()).back(), "saved 1.0 MiB of 4.0 MiB, 1.0 MiB/s, ETA 3s");
}

TEST(ProgressTest, RedrawsAtMostFourTimesASecond) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", std::nullopt, out, true, clock);
  // Pieces every 10 ms for two seconds: 200 updates, 8 redraws.
  for (int i = 1; i <= 200; ++i) {
    clock.Advance(milliseconds(10));
    progress.Update(static_cast<std::uint64_t>(i) * 1024);
  }
  EXPECT_EQ(ProgressDraws(out.str()).size(), 8u);
  // Nothing within the first interval: a quick transfer shows only its summary.
  std::ostringstream quick_out;
  ProgressReporter quick("saved", std::nullopt, quick_out, true, clock);
  clock.Advance(ProgressReporter::kRedrawInterval - milliseconds(1));
  quick.Update(100);
  EXPECT_EQ(quick_out.str(), "");
}

TEST(ProgressTest, SummaryEndsTheLineWithTheTransferTimeAndRate) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", std::nullopt, out, true, clock);
  clock.Advance(seconds(5));
  progress.Update(40 * kMiB);
  // What follows the last byte (verifying, installing) is not counted.
  clock.Advance(seconds(3));
  progress.Finish(true);
  EXPECT_EQ(ProgressDraws(out.str()).back(), "saved 40.0 MiB in 5.0s (8.0 MiB/s)\n");
  // Later calls change nothing.
  const std::string written = out.str();
  progress.Update(50 * kMiB);
  progress.Finish(true);
  EXPECT_EQ(out.str(), written);
}

TEST(ProgressTest, SummaryOfALongTransferAndOfAnEmptyOne) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("uploaded", 3 * kMiB * 1024, out, true, clock);
  clock.Advance(seconds(125));
  progress.Update(3 * kMiB * 1024);
  progress.Finish(true);
  EXPECT_EQ(ProgressDraws(out.str()).back(), "uploaded 3.0 GiB in 2m5s (24.6 MiB/s)\n");

  std::ostringstream empty_out;
  ProgressReporter empty("saved", std::nullopt, empty_out, true, clock);
  empty.Finish(true);
  EXPECT_EQ(ProgressDraws(empty_out.str()), std::vector<std::string>{"saved 0 B in 0.0s\n"});
}

TEST(ProgressTest, AFailureClearsTheLineForTheErrorMessage) {
  FakeClock clock;
  std::ostringstream out;
  {
    ProgressReporter progress("saved", std::nullopt, out, true, clock);
    clock.Advance(seconds(1));
    progress.Update(kMiB);
    progress.Finish(false);
  }
  EXPECT_EQ(out.str(), "\r\x1b[Ksaved 1.0 MiB, 1.0 MiB/s\r\x1b[K");
  // A reporter dropped without Finish clears its line too.
  std::ostringstream dropped_out;
  {
    ProgressReporter dropped("saved", std::nullopt, dropped_out, true, clock);
    clock.Advance(seconds(1));
    dropped.Update(kMiB);
  }
  EXPECT_EQ(dropped_out.str(), "\r\x1b[Ksaved 1.0 MiB, 1.0 MiB/s\r\x1b[K");
  // A failure before anything was drawn prints nothing.
  std::ostringstream silent_out;
  ProgressReporter silent("saved", std::nullopt, silent_out, true, clock);
  silent.Finish(false);
  EXPECT_EQ(silent_out.str(), "");
}

TEST(ProgressTest, DisabledPrintsNothingAtAll) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", 10 * kMiB, out, false, clock);
  auto callback = progress.Callback();
  for (int i = 1; i <= 10; ++i) {
    clock.Advance(seconds(1));
    callback(static_cast<std::uint64_t>(i) * kMiB, std::nullopt);
  }
  progress.Finish(true);
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressTest, UnitsStepUpAtTheirSize) {
  FakeClock clock;
  std::ostringstream out;
  ProgressReporter progress("saved", std::nullopt, out, true, clock);
  const std::vector<std::pair<std::uint64_t, std::string>> cases = {
      {1023, "1023 B"},
      {1024, "1.0 KiB"},
      {kMiB - 1, "1.0 MiB"},  // not "1024.0 KiB"
      {5 * kMiB * 1024 * 1024, "5.0 TiB"},
  };
  for (const auto& [bytes, text] : cases) {
    clock.Advance(seconds(1000));
    progress.Update(bytes);
    const std::string line = ProgressDraws(out.str()).back();
    EXPECT_EQ(line.substr(0, line.find(',')), "saved " + text);
  }
}

TEST(ProgressTest, TresorProgressForcesItOnOrOffOtherwiseStderrDecides) {
  {
    ProgressEnvForTest env("1");
    EXPECT_TRUE(ProgressWanted());
  }
  {
    ProgressEnvForTest env("0");
    EXPECT_FALSE(ProgressWanted());
  }
  {
    ProgressEnvForTest env(nullptr);
    EXPECT_EQ(ProgressWanted(), IsTerminal(STDERR_FILENO));
  }
  {
    ProgressEnvForTest env("");  // empty counts as unset
    EXPECT_EQ(ProgressWanted(), IsTerminal(STDERR_FILENO));
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(IsTerminal(fds[0]));
  EXPECT_FALSE(IsTerminal(fds[1]));
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace tresor::cli

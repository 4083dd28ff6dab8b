#include "common/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tresor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClock, AdvanceMovesWallAndMonotonicTime) {
  FakeClock clock;
  const Clock::TimePoint wall = clock.Now();
  const Clock::MonotonicTimePoint mono = clock.MonotonicNow();
  clock.Advance(seconds(90));
  EXPECT_EQ(clock.Now() - wall, seconds(90));
  EXPECT_EQ(clock.MonotonicNow() - mono, seconds(90));
}

TEST(FakeClock, SettingTheWallClockLeavesMonotonicTimeAlone) {
  FakeClock clock;
  const Clock::MonotonicTimePoint mono = clock.MonotonicNow();
  clock.Set(clock.Now() - std::chrono::hours(24 * 365));
  EXPECT_EQ(clock.MonotonicNow(), mono);
}

TEST(FakeClock, SleepForReturnsAtOnceAndMovesTime) {
  FakeClock clock;
  const Clock::MonotonicTimePoint mono = clock.MonotonicNow();
  const auto real_start = std::chrono::steady_clock::now();
  clock.SleepFor(std::chrono::hours(1));
  // A real sleep of an hour would have ended the test run long before.
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, seconds(60));
  EXPECT_EQ(clock.MonotonicNow() - mono, std::chrono::hours(1));
  EXPECT_EQ(clock.SleepCountForTest(), 1);
}

TEST(FakeClock, ConcurrentAdvancesAreNotLost) {
  FakeClock clock;
  const Clock::MonotonicTimePoint mono = clock.MonotonicNow();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < 1000; ++i) clock.Advance(milliseconds(1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.MonotonicNow() - mono, seconds(4));
}

TEST(SystemClock, MonotonicTimeDoesNotGoBack) {
  Clock& clock = SystemClock::Get();
  const Clock::MonotonicTimePoint before = clock.MonotonicNow();
  clock.SleepFor(milliseconds(1));
  EXPECT_GE(clock.MonotonicNow() - before, milliseconds(1));
}

TEST(PollUntil, GivesUpAtTheDeadlineWithoutWaiting) {
  FakeClock clock;
  const Clock::MonotonicTimePoint start = clock.MonotonicNow();
  int calls = 0;
  EXPECT_FALSE(PollUntil(clock, seconds(60), milliseconds(20), [&] {
    ++calls;
    return false;
  }));
  // One call at the start and one after each of the 3000 pauses.
  EXPECT_EQ(calls, 3001);
  EXPECT_EQ(clock.SleepCountForTest(), 3000);
  EXPECT_EQ(clock.MonotonicNow() - start, seconds(60));
}

TEST(PollUntil, StopsAsSoonAsDone) {
  FakeClock clock;
  const Clock::MonotonicTimePoint start = clock.MonotonicNow();
  int calls = 0;
  EXPECT_TRUE(PollUntil(clock, seconds(60), milliseconds(20), [&] { return ++calls == 3; }));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(clock.MonotonicNow() - start, milliseconds(40));
}

TEST(PollUntil, DoneAtOnceNeverSleeps) {
  FakeClock clock;
  EXPECT_TRUE(PollUntil(clock, seconds(0), milliseconds(20), [] { return true; }));
  EXPECT_EQ(clock.SleepCountForTest(), 0);
}

TEST(Rfc3339Test, ParsesWhatFormatPrintsAndOffsetsAndRefusesTheRest) {
  const Clock::TimePoint t{std::chrono::nanoseconds(1'767'225'600'123'456'789)};
  EXPECT_EQ(ParseRfc3339Ns(FormatRfc3339(t)), 1'767'225'600'123'456'789);
  EXPECT_EQ(ParseRfc3339Ns("2026-01-01T00:00:00Z"), 1'767'225'600'000'000'000);
  EXPECT_EQ(ParseRfc3339Ns("2026-01-01T01:00:00.5+01:00"), 1'767'225'600'500'000'000);
  EXPECT_EQ(ParseRfc3339Ns("2025-12-31T23:00:00-01:00"), 1'767'225'600'000'000'000);
  for (const char* bad : {"", "2026-01-01", "2026-01-01 00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zx",
                          "1767225600"}) {
    EXPECT_FALSE(ParseRfc3339Ns(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tresor

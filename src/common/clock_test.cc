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

}  // namespace
}  // namespace tresor

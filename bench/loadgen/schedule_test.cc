#include "loadgen/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace tresor::bench {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using Clock = std::chrono::steady_clock;

const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1000));

TEST(ScheduleTest, SpreadsTheTotalRateOverConnections) {
  // 1000 req/s over 4 connections: each sends every 4 ms, staggered by 1 ms.
  for (int c = 0; c < 4; ++c) {
    OpenLoopSchedule schedule = MakeOpenLoopSchedule(kStart, 1000.0, 4, c);
    EXPECT_EQ(schedule.interval, milliseconds(4));
    EXPECT_EQ(schedule.offset, milliseconds(c));
    EXPECT_EQ(ScheduledSendTime(schedule, 0), kStart + milliseconds(c));
    EXPECT_EQ(ScheduledSendTime(schedule, 10), kStart + milliseconds(c + 40));
  }
}

TEST(ScheduleTest, ConnectionsInterleaveEvenly) {
  // Over all connections, the k-th request in time order is due at k / R.
  constexpr int kConnections = 3;
  constexpr double kRate = 300.0;
  std::vector<Clock::time_point> due;
  for (int c = 0; c < kConnections; ++c) {
    OpenLoopSchedule schedule = MakeOpenLoopSchedule(kStart, kRate, kConnections, c);
    for (int64_t k = 0; k < 100; ++k) due.push_back(ScheduledSendTime(schedule, k));
  }
  std::sort(due.begin(), due.end());
  for (size_t i = 0; i < due.size(); ++i) {
    auto expected = kStart + nanoseconds(static_cast<int64_t>(i) * 1'000'000'000 / 300);
    EXPECT_LE(std::abs((due[i] - expected).count()), 2) << "request " << i;
  }
}

TEST(ScheduleTest, UnevenRateRoundsTheIntervalNotTruncates) {
  // 3 req/s on one connection: 333,333,333.3 ns rounds to ...333.
  OpenLoopSchedule third = MakeOpenLoopSchedule(kStart, 3.0, 1, 0);
  EXPECT_EQ(third.interval, nanoseconds(333'333'333));
  // 1.5 req/s... 666,666,666.7 ns rounds up.
  OpenLoopSchedule two_thirds = MakeOpenLoopSchedule(kStart, 1.5, 1, 0);
  EXPECT_EQ(two_thirds.interval, nanoseconds(666'666'667));
}

TEST(ScheduleTest, LateRequestGoesAtOnceEarlyOneWaits) {
  Clock::time_point due = kStart + milliseconds(10);
  EXPECT_EQ(ActualSendTime(due, kStart), due);                                   // early: wait
  EXPECT_EQ(ActualSendTime(due, due), due);                                      // on time
  EXPECT_EQ(ActualSendTime(due, due + milliseconds(7)), due + milliseconds(7));  // late: now
}

TEST(ScheduleTest, ScheduleDoesNotSlipWhenRequestsAreLate) {
  // A late answer does not move the following requests: request k is due
  // at start + k * interval whatever happened before it.
  OpenLoopSchedule schedule = MakeOpenLoopSchedule(kStart, 100.0, 1, 0);
  EXPECT_EQ(ScheduledSendTime(schedule, 50), kStart + milliseconds(500));
}

}  // namespace
}  // namespace tresor::bench

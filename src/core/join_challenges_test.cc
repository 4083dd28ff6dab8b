#include "core/join_challenges.h"

#include <gtest/gtest.h>

namespace tresor::core {
namespace {

using std::chrono::seconds;

TEST(JoinChallenges, AnsweredWithinItsLifetime) {
  FakeClock clock;
  JoinChallenges challenges(clock);
  challenges.Issue("node-2", "nonce-2");
  clock.Advance(JoinChallenges::kLifetime);
  EXPECT_EQ(challenges.Take("node-2"), "nonce-2");
}

TEST(JoinChallenges, ExpiresAfterItsLifetime) {
  FakeClock clock;
  JoinChallenges challenges(clock);
  challenges.Issue("node-2", "nonce-2");
  clock.Advance(JoinChallenges::kLifetime + seconds(1));
  EXPECT_EQ(challenges.Take("node-2"), std::nullopt);
  // An expired challenge is gone, not revived by a wall clock set back.
  clock.Set(clock.Now() - std::chrono::hours(1));
  EXPECT_EQ(challenges.Take("node-2"), std::nullopt);
}

TEST(JoinChallenges, AWallClockJumpNeitherExpiresNorRevives) {
  FakeClock clock;
  JoinChallenges challenges(clock);
  challenges.Issue("node-2", "nonce-2");
  clock.Set(clock.Now() + std::chrono::hours(24));
  EXPECT_EQ(challenges.Take("node-2"), "nonce-2");
}

TEST(JoinChallenges, AnsweredOnlyOnce) {
  FakeClock clock;
  JoinChallenges challenges(clock);
  challenges.Issue("node-2", "nonce-2");
  EXPECT_EQ(challenges.Take("node-2"), "nonce-2");
  EXPECT_EQ(challenges.Take("node-2"), std::nullopt);
}

TEST(JoinChallenges, OnePerServerAndANewOneReplacesTheOld) {
  FakeClock clock;
  JoinChallenges challenges(clock);
  EXPECT_EQ(challenges.Take("node-2"), std::nullopt);
  challenges.Issue("node-2", "first");
  challenges.Issue("node-3", "other");
  clock.Advance(seconds(200));
  challenges.Issue("node-2", "second");
  // The replacement's lifetime counts from when it was issued: 200 s on,
  // node-2's second challenge is valid while node-3's, 400 s old, is not.
  clock.Advance(seconds(200));
  EXPECT_EQ(challenges.Take("node-3"), std::nullopt);
  EXPECT_EQ(challenges.Take("node-2"), "second");
}

}  // namespace
}  // namespace tresor::core

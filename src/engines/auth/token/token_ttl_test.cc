#include "engines/auth/token/token_ttl.h"

#include <gtest/gtest.h>

#include "engines/auth/token/token_entry.h"

namespace tresor::engines::token {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST(SanitizePoliciesTest, TrimsLowercasesSortsAndDedupes) {
  EXPECT_EQ(SanitizePolicies({" B", "a", "b", "", "A"}, false),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SanitizePolicies({"b"}, true), (std::vector<std::string>{"b", "default"}));
  EXPECT_EQ(SanitizePolicies({"default", "x"}, true), (std::vector<std::string>{"default", "x"}));
}

TEST(SanitizePoliciesTest, RootStandsAlone) {
  EXPECT_EQ(SanitizePolicies({"x", "Root"}, true), (std::vector<std::string>{"root"}));
}

TEST(TokenDisplayNameTest, FollowsVault) {
  EXPECT_EQ(TokenDisplayName(""), "token");
  EXPECT_EQ(TokenDisplayName("web app"), "token-web-app");
  EXPECT_EQ(TokenDisplayName("a.b!"), "token-a-b");
}

TEST(TokenEntryTest, ExpiryAndRemaining) {
  TokenEntry e;
  e.creation_time = Clock::TimePoint(seconds(1000));
  e.ttl = seconds(60);
  ASSERT_TRUE(e.ExpireTime().has_value());
  EXPECT_EQ(*e.ExpireTime(), Clock::TimePoint(seconds(1060)));
  EXPECT_FALSE(e.IsInvalidAt(Clock::TimePoint(seconds(1059))));
  EXPECT_TRUE(e.IsInvalidAt(Clock::TimePoint(seconds(1060))));
  EXPECT_EQ(e.RemainingSeconds(Clock::TimePoint(seconds(1010))), 50);
  e.last_renewal_time = Clock::TimePoint(seconds(1050));
  EXPECT_EQ(*e.ExpireTime(), Clock::TimePoint(seconds(1110)));
  e.ttl = seconds(0);
  EXPECT_FALSE(e.ExpireTime().has_value());
  EXPECT_FALSE(e.IsInvalidAt(Clock::TimePoint(seconds(99999999))));
  e.num_uses = kUsesExhausted;
  EXPECT_TRUE(e.IsInvalidAt(Clock::TimePoint(seconds(1000))));
}

TEST(TokenEntryTest, RoundTripsThroughStorageForm) {
  TokenEntry e;
  e.accessor = "acc";
  e.parent = "p";
  e.policies = {"a", "default"};
  e.meta = {{"k", "v"}};
  e.display_name = "token-x";
  e.num_uses = 3;
  e.creation_time = Clock::TimePoint(seconds(1700000000));
  e.creation_ttl = seconds(60);
  e.ttl = seconds(90);
  e.last_renewal_time = Clock::TimePoint(seconds(1700000030));
  e.explicit_max_ttl = seconds(300);
  e.period = seconds(0);
  e.renewable = true;
  e.path = "auth/token/create";
  auto parsed = ParseTokenEntry(SerializeTokenEntry(e), "hash");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id_hash, "hash");
  EXPECT_EQ(parsed->parent, "p");
  EXPECT_EQ(parsed->meta, e.meta);
  EXPECT_EQ(parsed->num_uses, 3);
  EXPECT_EQ(parsed->ttl, seconds(90));
  EXPECT_EQ(parsed->last_renewal_time, e.last_renewal_time);
  EXPECT_EQ(parsed->explicit_max_ttl, seconds(300));
  EXPECT_EQ(SerializeTokenEntry(*parsed), SerializeTokenEntry(e));
}

TEST(TokenEntryTest, ReadsTheOldRootOnlyFormat) {
  auto parsed = ParseTokenEntry(
      R"({"accessor":"a","policies":["root"],"display_name":"root","creation_time":5})", "h");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->IsRoot());
  EXPECT_FALSE(parsed->ExpireTime().has_value());
  EXPECT_TRUE(parsed->IsOrphan());
  EXPECT_FALSE(parsed->renewable);
}

TEST(TokenEntryTest, RejectsCorruptEntries) {
  EXPECT_EQ(ParseTokenEntry("{", "h").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ParseTokenEntry(R"({"accessor":1})", "h").status().code(), StatusCode::kCorruption);
}

TEST(CreationTtlTest, DefaultsToMountDefault) {
  TtlDecision d = CreationTtl({}, seconds(0), seconds(0), seconds(0), false);
  EXPECT_EQ(d.ttl, hours(768));
  EXPECT_TRUE(d.warnings.empty());
}

TEST(CreationTtlTest, CappedBySystemMaxWithWarning) {
  TtlDecision d = CreationTtl({}, hours(800), seconds(0), seconds(0), false);
  EXPECT_EQ(d.ttl, hours(768));
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0],
            "TTL of \"800h0m0s\" exceeded the effective max_ttl of \"768h0m0s\"; TTL value is "
            "capped accordingly");
}

TEST(CreationTtlTest, CappedByExplicitMax) {
  EXPECT_EQ(CreationTtl({}, hours(2), seconds(0), hours(1), false).ttl, hours(1));
  EXPECT_EQ(CreationTtl({}, seconds(0), seconds(0), hours(1), false).ttl, hours(1));
}

TEST(CreationTtlTest, RootNeverExpiresUnlessBounded) {
  EXPECT_EQ(CreationTtl({}, seconds(0), seconds(0), seconds(0), true).ttl, seconds(0));
  EXPECT_EQ(CreationTtl({}, seconds(60), seconds(0), seconds(0), true).ttl, seconds(60));
  EXPECT_EQ(CreationTtl({}, seconds(0), seconds(0), seconds(600), true).ttl, seconds(600));
}

TEST(CreationTtlTest, PeriodicUsesPeriodCappedBySystemMax) {
  TtlDecision d = CreationTtl({}, hours(5), hours(1), seconds(0), false);
  EXPECT_EQ(d.ttl, hours(1));
  EXPECT_EQ(d.period, hours(1));
  TtlDecision big = CreationTtl({}, seconds(0), hours(1000), seconds(0), false);
  EXPECT_EQ(big.period, hours(768));
  EXPECT_EQ(big.warnings.size(), 1u);
}

TEST(RenewalTtlTest, IncrementFromNowCappedByMaxLifetime) {
  TokenEntry e;
  e.creation_time = Clock::TimePoint(seconds(0));
  e.creation_ttl = hours(1);
  e.ttl = hours(1);
  e.explicit_max_ttl = hours(3);
  auto d = RenewalTtl({}, e, hours(1), Clock::TimePoint(hours(1)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ttl, hours(1));
  EXPECT_TRUE(d->warnings.empty());
  auto capped = RenewalTtl({}, e, hours(5), Clock::TimePoint(hours(2)));
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->ttl, hours(1));
  EXPECT_EQ(capped->warnings.size(), 1u);
  auto past = RenewalTtl({}, e, hours(1), Clock::TimePoint(hours(3)));
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
}

TEST(RenewalTtlTest, ZeroIncrementRenewsByCreationTtl) {
  TokenEntry e;
  e.creation_time = Clock::TimePoint(seconds(0));
  e.creation_ttl = seconds(600);
  auto d = RenewalTtl({}, e, seconds(0), Clock::TimePoint(seconds(100)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ttl, seconds(600));
}

TEST(RenewalTtlTest, SystemMaxBoundsNonPeriodicTokens) {
  TokenEntry e;
  e.creation_time = Clock::TimePoint(seconds(0));
  e.creation_ttl = hours(700);
  auto d = RenewalTtl({}, e, hours(700), Clock::TimePoint(hours(700)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ttl, hours(68));
}

TEST(RenewalTtlTest, PeriodicIgnoresIncrementAndSystemMax) {
  TokenEntry e;
  e.creation_time = Clock::TimePoint(seconds(0));
  e.period = hours(1);
  auto d = RenewalTtl({}, e, hours(10), Clock::TimePoint(hours(1000)));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ttl, hours(1));
  e.explicit_max_ttl = hours(1000) + std::chrono::minutes(30);
  auto capped = RenewalTtl({}, e, seconds(0), Clock::TimePoint(hours(1000)));
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->ttl, std::chrono::minutes(30));
}

}  // namespace
}  // namespace tresor::engines::token

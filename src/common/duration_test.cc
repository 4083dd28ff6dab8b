#include "common/duration.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>

namespace tresor {
namespace {

using std::chrono::seconds;

struct ValidCase {
  std::string input;
  int64_t expected_seconds;
};

TEST(ParseDurationTest, AcceptsVaultForms) {
  const ValidCase cases[] = {
      {"0", 0},
      {"3600", 3600},
      {"+60", 60},
      {"  42 ", 42},
      {"10s", 10},
      {"30m", 1800},
      {"768h", 768 * 3600},
      {"1h30m", 5400},
      {"1h30m15s", 5415},
      {"1.5h", 5400},
      {".5m", 30},
      {"2.75s", 2},  // rounds down
      {"500ms", 0},  // rounds down
      {"1500ms", 1},
      {"2000000us", 2},
      {"3000000000ns", 3},
      {"1\u00b5s", 0},
      {"7d", 7 * 86400},
      {"1d12h", 36 * 3600},
      {"0s", 0},
      {"9223372036", 9223372036},
      {"2562047h47m16s", 9223372036},
  };
  for (const ValidCase& c : cases) {
    StatusOr<seconds> parsed = ParseDuration(c.input);
    ASSERT_TRUE(parsed.ok()) << c.input << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->count(), c.expected_seconds) << c.input;
  }
}

struct InvalidCase {
  std::string input;
  std::string message_fragment;
};

TEST(ParseDurationTest, RefusesGarbageWithActionableMessage) {
  const InvalidCase cases[] = {
      {"", "empty duration"},
      {"   ", "empty duration"},
      {"-5s", "cannot be negative"},
      {"-60", "cannot be negative"},
      {"1h30", "missing unit after \"30\""},
      {"1.5", "missing unit"},
      {"5y", "unknown unit \"y\""},
      {"10 s", "unknown unit \" s\""},
      {"h", "expected a number before \"h\""},
      {"abc", "expected a number"},
      {"9223372037", "too large"},
      {"2562048h", "too large"},
      {"99999999999999999999999h", "too large"},
      {"106752d", "too large"},
  };
  for (const InvalidCase& c : cases) {
    StatusOr<seconds> parsed = ParseDuration(c.input);
    ASSERT_FALSE(parsed.ok()) << c.input << " parsed as " << parsed->count();
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.input;
    EXPECT_NE(parsed.status().message().find(c.message_fragment), std::string::npos)
        << c.input << ": " << parsed.status().message();
  }
}

TEST(FormatDurationTest, MatchesGo) {
  const std::pair<int64_t, std::string> cases[] = {
      {0, "0s"},          {1, "1s"},
      {59, "59s"},        {60, "1m0s"},
      {90, "1m30s"},      {3600, "1h0m0s"},
      {5415, "1h30m15s"}, {768 * 3600, "768h0m0s"},
      {-3600, "-1h0m0s"}, {9223372036, "2562047h47m16s"},
  };
  for (const auto& [secs, expected] : cases) {
    EXPECT_EQ(FormatDuration(seconds(secs)), expected);
  }
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  for (int64_t secs : {0L, 1L, 61L, 3599L, 86400L, 2764800L, 9223372036L}) {
    StatusOr<seconds> parsed = ParseDuration(FormatDuration(seconds(secs)));
    ASSERT_TRUE(parsed.ok()) << secs;
    EXPECT_EQ(parsed->count(), secs);
  }
}

TEST(FormatDurationTest, HandlesMinimumWithoutOverflow) {
  EXPECT_EQ(FormatDuration(seconds(std::numeric_limits<int64_t>::min())),
            "-2562047788015215h30m8s");
}

}  // namespace
}  // namespace tresor

// ParseRaftOptions: the `storage "raft"` block's options as the server's
// config hands them over (text), good and bad.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "storage/raft/raft_backend.h"

namespace tresor::storage {
namespace {

using Options = std::map<std::string, std::string>;

TEST(RaftOptionsTest, DefaultsAndEveryOptionParsed) {
  auto defaults = ParseRaftOptions({{"path", "/data"}}, "");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->snapshot_threshold, 8192u);
  EXPECT_EQ(defaults->snapshot_threshold_bytes, std::uint64_t{64} << 20);
  EXPECT_EQ(defaults->trailing_logs_bytes, std::uint64_t{32} << 20);

  auto parsed = ParseRaftOptions({{"path", "/data"},
                                  {"snapshot_threshold", "100"},
                                  {"trailing_logs", "0"},
                                  {"snapshot_threshold_bytes", "1048576"},
                                  {"trailing_logs_bytes", "0"}},
                                 "127.0.0.1:8201");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->snapshot_threshold, 100u);
  EXPECT_EQ(parsed->trailing_logs, 0u);
  EXPECT_EQ(parsed->snapshot_threshold_bytes, 1u << 20);
  EXPECT_EQ(parsed->trailing_logs_bytes, 0u);
  EXPECT_EQ(parsed->cluster_address, "127.0.0.1:8201");
}

TEST(RaftOptionsTest, BadValuesAreRefusedNamingTheOptionAndItsRange) {
  struct Case {
    std::string name, value, message;
  };
  const Case cases[] = {
      {"snapshot_threshold_bytes", "1000",
       "storage \"raft\": snapshot_threshold_bytes must be a whole number from 1048576 to "
       "1099511627776"},
      {"snapshot_threshold_bytes", "64MiB",
       "storage \"raft\": snapshot_threshold_bytes must be a whole number from 1048576 to "
       "1099511627776"},
      {"trailing_logs_bytes", "-1",
       "storage \"raft\": trailing_logs_bytes must be a whole number from 0 to 1099511627776"},
      {"snapshot_threshold", "1",
       "storage \"raft\": snapshot_threshold must be a whole number from 2 to 100000000"},
      {"snapshot_size", "1", "storage \"raft\": unknown option \"snapshot_size\""},
  };
  for (const Case& c : cases) {
    auto parsed = ParseRaftOptions({{"path", "/data"}, {c.name, c.value}}, "");
    ASSERT_FALSE(parsed.ok()) << c.name << "=" << c.value;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), c.message);
  }
  EXPECT_EQ(ParseRaftOptions({}, "").status().message(),
            "storage \"raft\": option \"path\" is required");
}

}  // namespace
}  // namespace tresor::storage

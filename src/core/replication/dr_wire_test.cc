// The DR channel's message encodings and the activation token.
#include <gtest/gtest.h>

#include "core/replication/dr_records.h"
#include "core/replication/dr_replication.h"
#include "core/replication/dr_wire.h"

namespace tresor::core::replication {
namespace {

TEST(DrWire, EntriesRoundTrip) {
  wire::Entries entries;
  entries.primary_last = 42;
  entries.primary_time_ms = 1700000000123;
  entries.entries.push_back({{7, std::string(32, 'a')}, "first"});
  entries.entries.push_back({{8, std::string(32, 'b')}, std::string(100000, 'x')});
  auto decoded = wire::DecodeEntries(wire::EncodeEntries(entries));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->primary_last, 42u);
  EXPECT_EQ(decoded->primary_time_ms, 1700000000123u);
  ASSERT_EQ(decoded->entries.size(), 2u);
  EXPECT_EQ(decoded->entries[1].position.index, 8u);
  EXPECT_EQ(decoded->entries[1].position.hash, std::string(32, 'b'));
  EXPECT_EQ(decoded->entries[1].entry.size(), 100000u);
}

TEST(DrWire, TruncatedEntriesAreRefused) {
  wire::Entries entries;
  entries.entries.push_back({{1, std::string(32, 'a')}, "payload"});
  const std::string encoded = wire::EncodeEntries(entries);
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{20}, encoded.size() - 1}) {
    EXPECT_EQ(wire::DecodeEntries(encoded.substr(0, cut)).status().code(),
              StatusCode::kCorruption)
        << cut;
  }
}

TEST(DrWire, RecordsRoundTripAndTruncationIsRefused) {
  std::string frame;
  wire::AppendRecord(&frame, "core/keyring", "ciphertext");
  wire::AppendRecord(&frame, "logical/x", "");
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(wire::ForEachRecord(frame, [&](std::string_view k, std::string_view v) {
                seen.emplace_back(k, v);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].first, "core/keyring");
  EXPECT_EQ(seen[1].second, "");
  EXPECT_FALSE(wire::ForEachRecord(frame.substr(0, frame.size() - 1),
                                   [](auto, auto) { return Status::Ok(); })
                   .ok());
}

TEST(DrWire, ExcludedPrefixes) {
  const std::vector<std::string> prefixes = {"core/ha/", "core/replication/local/"};
  EXPECT_TRUE(wire::UnderAnyPrefix("core/ha/active", prefixes));
  EXPECT_TRUE(wire::UnderAnyPrefix("core/replication/local/dr", prefixes));
  EXPECT_FALSE(wire::UnderAnyPrefix("core/hat", prefixes));
  EXPECT_FALSE(wire::UnderAnyPrefix("core/replication/dr/ca", prefixes));
}

TEST(DrToken, RoundTripsAndRefusesWhatIsNotOne) {
  ActivationToken token{"dr-east", "cluster-1", {"10.0.0.1:8201", "10.0.0.2:8201"},
                        "-----BEGIN CERTIFICATE-----\n", "c2VjcmV0", 1234};
  auto decoded = DecodeToken(EncodeToken(token));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->id, "dr-east");
  EXPECT_EQ(decoded->addrs, token.addrs);
  EXPECT_EQ(decoded->secret, "c2VjcmV0");
  EXPECT_EQ(decoded->expires, 1234);
  for (const char* bad : {"", "hvs.abc", "trdr1.", "trdr1.!!!", "trdr1.e30="}) {
    auto refused = DecodeToken(bad);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DrToken, SecondaryIds) {
  EXPECT_TRUE(ValidateSecondaryId("dr-east_1.b").ok());
  EXPECT_FALSE(ValidateSecondaryId("").ok());
  EXPECT_FALSE(ValidateSecondaryId("a b").ok());
  EXPECT_FALSE(ValidateSecondaryId("../x").ok());
  EXPECT_FALSE(ValidateSecondaryId(std::string(129, 'a')).ok());
}

TEST(DrReplication, WhatASecondaryServes) {
  for (const char* allowed : {"sys/health", "sys/seal-status", "sys/unseal", "sys/seal",
                              "sys/replication/dr/status", "sys/replication/dr/secondary/promote",
                              "sys/storage/raft/join", "sys/storage/raft/configuration"}) {
    EXPECT_TRUE(DrReplication::AllowsOnSecondary(allowed)) << allowed;
  }
  for (const char* refused : {"secret/data/x", "sys/mounts", "sys/policies/acl/p",
                              "auth/token/create", "sys/storage/raft/snapshot",
                              "sys/storage/raft/snapshot-force", "sys/generate-root/attempt",
                              "sys/healthz"}) {
    EXPECT_FALSE(DrReplication::AllowsOnSecondary(refused)) << refused;
  }
}

}  // namespace
}  // namespace tresor::core::replication

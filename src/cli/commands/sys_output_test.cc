#include "cli/commands/sys_output.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

const Json kSealed = Json::parse(R"({
  "type": "shamir", "initialized": true, "sealed": true, "t": 3, "n": 5, "progress": 1,
  "nonce": "7a0c0c8e-1b2f-4c33-9a51-2b1d2b7f6d11", "version": "0.1.0",
  "build_date": "2026-01-01T00:00:00Z", "migration": false, "cluster_name": "",
  "cluster_id": "", "recovery_seal": false, "storage_type": "file"
})");

const Json kNoHa = Json::parse(R"({"ha_enabled": false, "is_self": false,
  "leader_address": "", "leader_cluster_address": ""})");

TEST(SealStatusOutputTest, SealedTable) {
  EXPECT_EQ(FormatSealStatusTable(kSealed, kNoHa),
            "Key                Value\n"
            "---                -----\n"
            "Seal Type          shamir\n"
            "Initialized        true\n"
            "Sealed             true\n"
            "Total Shares       5\n"
            "Threshold          3\n"
            "Unseal Progress    1/3\n"
            "Unseal Nonce       7a0c0c8e-1b2f-4c33-9a51-2b1d2b7f6d11\n"
            "Version            0.1.0\n"
            "Build Date         2026-01-01T00:00:00Z\n"
            "Storage Type       file\n"
            "HA Enabled         false\n");
}

TEST(SealStatusOutputTest, UnsealedHaActiveTableWithCluster) {
  Json status = kSealed;
  status["sealed"] = false;
  status["cluster_name"] = "tresor-cluster-1";
  status["cluster_id"] = "abc";
  Json leader = Json::parse(R"({"ha_enabled": true, "is_self": true,
    "active_time": "2026-01-01T10:00:00Z", "leader_address": "https://n1:8200",
    "leader_cluster_address": "https://n1:8201", "raft_committed_index": 42,
    "raft_applied_index": 41})");
  std::string table = FormatSealStatusTable(status, leader);
  EXPECT_EQ(table.find("Unseal Progress"), std::string::npos);
  EXPECT_NE(table.find("Cluster Name            tresor-cluster-1\n"), std::string::npos) << table;
  EXPECT_NE(table.find("HA Enabled              true\n"), std::string::npos);
  EXPECT_NE(table.find("HA Cluster              https://n1:8201\n"), std::string::npos);
  EXPECT_NE(table.find("HA Mode                 active\n"), std::string::npos);
  EXPECT_NE(table.find("Active Since            2026-01-01T10:00:00Z\n"), std::string::npos);
  EXPECT_NE(table.find("Raft Committed Index    42\n"), std::string::npos);
  EXPECT_NE(table.find("Raft Applied Index      41\n"), std::string::npos);
}

TEST(SealStatusOutputTest, StandbyShowsActiveNode) {
  Json status = kSealed;
  status["sealed"] = false;
  Json leader = Json::parse(R"({"ha_enabled": true, "is_self": false, "leader_address": ""})");
  std::string table = FormatSealStatusTable(status, leader);
  EXPECT_NE(table.find("HA Mode                standby\n"), std::string::npos) << table;
  EXPECT_NE(table.find("Active Node Address    <none>\n"), std::string::npos);
}

TEST(SealStatusOutputTest, UnknownLeaderPrintsNa) {
  std::string table = FormatSealStatusTable(kSealed, nullptr);
  EXPECT_NE(table.find("HA Enabled         n/a\n"), std::string::npos) << table;
}

TEST(SealStatusOutputTest, JsonMergesLeader) {
  Json merged = SealStatusJson(kSealed, kNoHa);
  EXPECT_EQ(merged["ha_enabled"], false);
  EXPECT_FALSE(merged.contains("leader_address"));  // empty: omitted as in Vault
  EXPECT_EQ(merged.begin().key(), "type");          // the server's order is kept
  EXPECT_EQ(SealStatusJson(kSealed, nullptr), kSealed);
}

TEST(KeyStatusOutputTest, FieldsFromTopOrData) {
  Json top = Json::parse(R"({"term":3,"install_time":"2026-03-04T05:06:07.123456789Z",
                            "encryptions":12})");
  Json nested = Json::parse(R"({"request_id":"x","data":{"term":3,
                              "install_time":"2026-03-04T05:06:07.123456789Z","encryptions":12}})");
  EXPECT_EQ(KeyStatusFields(top), KeyStatusFields(nested));
  EXPECT_EQ(FormatKeyStatus(KeyStatusFields(top)),
            "Key Term            3\n"
            "Install Time        04 Mar 26 05:06 UTC\n"
            "Encryption Count    12\n");
}

TEST(KeyStatusOutputTest, Rfc822Conversion) {
  EXPECT_EQ(Rfc3339ToRfc822Utc("2026-01-02T15:04:05Z"), "02 Jan 26 15:04 UTC");
  EXPECT_EQ(Rfc3339ToRfc822Utc("2026-01-01T00:30:00+01:00"), "31 Dec 25 23:30 UTC");
  EXPECT_EQ(Rfc3339ToRfc822Utc("2025-12-31T23:30:00.5-01:00"), "01 Jan 26 00:30 UTC");
  EXPECT_EQ(Rfc3339ToRfc822Utc("not a time"), "not a time");
  EXPECT_EQ(Rfc3339ToRfc822Utc("2026-02-30T00:00:00Z"), "2026-02-30T00:00:00Z");
}

}  // namespace
}  // namespace tresor::cli

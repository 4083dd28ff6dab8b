#include "server/config_sanitized.h"

#include <gtest/gtest.h>

namespace tresor::server {
namespace {

TEST(SanitizedConfigTest, KeepsSettingsAndDropsEverySecret) {
  auto config = ParseConfig(
      "storage \"raft\" {\n  path = \"/var/lib/tresor\"\n  node_id = \"n1\"\n}\n"
      "listener \"tcp\" {\n  address = \"127.0.0.1:8200\"\n  tls_disable = true\n}\n"
      "seal \"transit\" {\n  address = \"https://unsealer:8200\"\n  key_name = \"k\"\n"
      "  token = \"s3cr3t-token\"\n}\n"
      "api_addr = \"http://127.0.0.1:8200\"\ncluster_name = \"prod\"\n",
      "server.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const nlohmann::json sanitized = SanitizedConfig(*config);
  const std::string text = sanitized.dump();
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
  EXPECT_EQ(text.find("unsealer"), std::string::npos) << text;
  EXPECT_EQ(sanitized["storage"]["type"], "raft");
  EXPECT_EQ(sanitized["storage"]["path"], "/var/lib/tresor");
  EXPECT_EQ(sanitized["storage"]["node_id"], "n1");
  EXPECT_EQ(sanitized["seals"], nlohmann::json::parse(R"([{"type":"transit","disabled":false}])"));
  EXPECT_EQ(sanitized["listeners"][0]["config"]["address"], "127.0.0.1:8200");
  EXPECT_EQ(sanitized["cluster_name"], "prod");
  EXPECT_EQ(sanitized["api_addr"], "http://127.0.0.1:8200");
}

TEST(SanitizedConfigTest, NoSealBlockIsShamir) {
  auto config = ParseConfig("storage \"file\" {\n  path = \"/tmp/x\"\n}\n", "s.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(SanitizedConfig(*config)["seals"][0]["type"], "shamir");
}

TEST(SanitizedConfigTest, ShowsTelemetryWithDisableMetrics) {
  auto config = ParseConfig(
      "storage \"inmem\" {}\ntelemetry {\n  disable_metrics = true\n"
      "  prometheus_retention_time = \"30s\"\n}\n",
      "s.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const nlohmann::json telemetry = SanitizedConfig(*config)["telemetry"];
  EXPECT_EQ(telemetry["disable_metrics"], true);
  EXPECT_EQ(telemetry["prometheus_retention_time"], 30);
  EXPECT_EQ(telemetry["disable_hostname"], false);
  EXPECT_EQ(telemetry["usage_gauge_period"], 600);

  config = ParseConfig("storage \"inmem\" {}\n", "s.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(SanitizedConfig(*config)["telemetry"]["disable_metrics"], false);
}

}  // namespace
}  // namespace tresor::server

// Core's use of the audit broker: a request no device could record does not
// run, and the device table survives a seal and unseal.
#include <fstream>

#include "common/temp_dir_for_test.h"
#include "core/audit/unused_port_for_test.h"
#include "core/core_pipeline_for_test.h"

namespace tresor::core {
namespace {

class CoreAuditTest : public CorePipelineTest {
 protected:
  TempDirForTest dir_;
};

TEST_F(CoreAuditTest, ARequestNoDeviceRecordedDoesNotRun) {
  Put("app", {{"v", "first"}});
  auto enabled =
      Write("sys/audit/sock",
            {{"type", "socket"},
             {"options", {{"address", "127.0.0.1:" + std::to_string(audit::UnusedPortForTest())}}}},
            root_);
  ASSERT_TRUE(enabled.ok()) << enabled.status().ToString();
  auto refused = Write("secret/data/app", {{"data", {{"v", "second"}}}}, root_);
  EXPECT_EQ(refused.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(refused.status().message().starts_with("audit logging failed"))
      << refused.status().ToString();
  EXPECT_EQ(Read("secret/data/app", root_).status().code(), StatusCode::kInternal);

  ASSERT_TRUE(core_.audit().Disable("sock").ok());
  auto read = Read("secret/data/app", root_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["data"]["v"], "first");
  EXPECT_EQ(read->data["metadata"]["version"], 1);
}

TEST_F(CoreAuditTest, EntriesAreWrittenAndTheTableSurvivesASeal) {
  const std::string log = dir_.File("audit.log");
  ASSERT_TRUE(
      Write("sys/audit/file", {{"type", "file"}, {"options", {{"file_path", log}}}}, root_).ok());
  Put("app", {{"v", "a-secret-value"}});
  ASSERT_TRUE(core_.lifecycle().Seal().ok());
  Unseal();
  auto listed = Read("sys/audit", root_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->data["file/"]["options"]["file_path"], log);
  ASSERT_TRUE(Read("secret/data/app", root_).ok());

  std::ifstream in(log);
  std::vector<nlohmann::json> entries;
  std::string all;
  for (std::string line; std::getline(in, line);) {
    entries.push_back(nlohmann::json::parse(line));
    all += line;
  }
  // The write, and the list and the read after the unseal, each with both
  // entries.
  ASSERT_EQ(entries.size(), 6u);
  EXPECT_EQ(entries[0]["type"], "request");
  EXPECT_EQ(entries[1]["type"], "response");
  EXPECT_EQ(entries[3]["request"]["path"], "sys/audit");
  EXPECT_EQ(entries[5]["request"]["path"], "secret/data/app");
  EXPECT_EQ(entries[5]["type"], "response");
  EXPECT_EQ(all.find("a-secret-value"), std::string::npos);
  EXPECT_EQ(all.find(root_), std::string::npos);
}

}  // namespace
}  // namespace tresor::core

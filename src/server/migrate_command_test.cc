#include "server/migrate_command.h"

#include <gtest/gtest.h>

#include "storage/inmem/inmem_backend.h"

namespace tresor::server {
namespace {

TEST(MigrateConfigTest, ReadsVaultsShape) {
  auto config = ParseMigrateConfig(R"(
storage_source "file" {
  path = "/var/lib/tresor"
}
storage_destination "raft" {
  path = "/var/lib/raft"
  node_id = "node1"
  performance_multiplier = 2
}
cluster_addr = "http://127.0.0.1:8201"
)",
                                   "migrate.hcl");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source.type, "file");
  EXPECT_EQ(config->source.options.at("path"), "/var/lib/tresor");
  EXPECT_EQ(config->destination.type, "raft");
  EXPECT_EQ(config->destination.options.at("node_id"), "node1");
  EXPECT_EQ(config->destination.options.at("performance_multiplier"), "2");
  EXPECT_EQ(config->cluster_addr, "http://127.0.0.1:8201");
}

TEST(MigrateConfigTest, RefusesIncompleteOrUnknownConfigs) {
  const char* kSource = "storage_source \"file\" { path = \"/a\" }\n";
  const char* kFileDestination = "storage_destination \"file\" { path = \"/b\" }\n";
  struct Case {
    std::string text;
    std::string expected;
  } cases[] = {
      {kSource, "storage_destination block is required"},
      {kFileDestination, "storage_source block is required"},
      {std::string(kSource) + kFileDestination + "storage \"file\" { path = \"/c\" }\n",
       "unknown key \"storage\""},
      {std::string(kSource) + kSource + kFileDestination, "more than one storage_source"},
      {std::string(kSource) + "storage_destination \"raft\" { path = \"/r\" }\n",
       "cluster_addr is required"},
      {std::string(kSource) + "storage_destination \"consul\" { path = \"/r\" }\n",
       "\"file\", \"raft\", \"postgresql\" and \"etcd\""},
      {std::string(kSource) + "storage_destination \"file\" { path = [\"/r\"] }\n",
       "expected a string"},
      {"storage_source \"raft\" { path = \"/a\" }\n"
       "storage_destination \"raft\" { path = \"/b\" }\ncluster_addr = \"http://h:1\"\n",
       "raft to raft"},
      {"this is { not hcl", "migrate.hcl"},
  };
  for (const Case& c : cases) {
    auto config = ParseMigrateConfig(c.text, "migrate.hcl");
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(config.status().message().find(c.expected), std::string::npos)
        << config.status().message();
  }
}

class MigrateEntriesTest : public ::testing::Test {
 protected:
  MigrateEntriesTest() {
    for (int i = 0; i < 50; ++i) {
      std::string key = "logical/m" + std::to_string(i % 3) + "/k" + std::to_string(i);
      EXPECT_TRUE(source_.Put(key, std::string(100 + i, static_cast<char>('a' + i % 26))).ok());
    }
    EXPECT_TRUE(source_.Put("core/seal-config", "{}").ok());
  }
  std::size_t Count(storage::Backend& backend) {
    StatusOr<std::vector<std::string>> names = storage::ListRecursive(backend, "");
    EXPECT_TRUE(names.ok());
    return names.ok() ? names.value().size() : 0;
  }

  storage::InmemBackend source_;
  storage::InmemBackend destination_;
};

TEST_F(MigrateEntriesTest, CopiesEverythingInBatchesAndVerifies) {
  MigrateOptions options;
  options.batch_entries = 7;
  options.batch_bytes = 500;
  std::vector<std::uint64_t> progress;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_EQ(total, 51u);
    progress.push_back(done);
  };
  auto result = MigrateEntries(source_, destination_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->copied, 51u);
  EXPECT_EQ(result->verified, 51u);
  EXPECT_GT(progress.size(), 8u);  // small batches
  EXPECT_EQ(progress.back(), 51u);
  StatusOr<std::vector<std::string>> keys = storage::ListRecursive(source_, "");
  ASSERT_TRUE(keys.ok());
  for (const std::string& key : keys.value()) {
    EXPECT_EQ(*destination_.Get(key), *source_.Get(key)) << key;
  }
}

TEST_F(MigrateEntriesTest, ANonEmptyDestinationIsRefusedUnlessResuming) {
  ASSERT_TRUE(destination_.Put("core/seal-config", "{}").ok());
  auto refused = MigrateEntries(source_, destination_, {});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(destination_), 1u);

  MigrateOptions resume;
  resume.start = "logical/m1";
  auto resumed = MigrateEntries(source_, destination_, resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  // Keys before the start key were not copied.
  EXPECT_FALSE(destination_.Get("logical/m0/k0")->has_value());
  EXPECT_TRUE(destination_.Get("logical/m1/k1")->has_value());
  EXPECT_EQ(resumed->copied, resumed->verified);
}

}  // namespace
}  // namespace tresor::server

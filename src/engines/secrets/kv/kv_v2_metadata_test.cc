#include <string>

#include "engines/secrets/kv/kv_params.h"
#include "engines/secrets/kv/kv_engine_for_test.h"

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using nlohmann::json;
using namespace std::chrono_literals;

class KvV2MetadataTest : public KvEngineTest {
 protected:
  void SetUp() override { MakeEngine("2"); }
};

TEST_F(KvV2MetadataTest, ConfigDefaultsWriteAndCache) {
  EXPECT_EQ(Ok(Operation::kRead, "config").data,
            json({{"cas_required", false}, {"delete_version_after", "0s"}, {"max_versions", 0}}));
  auto written =
      Ok(Operation::kUpdate, "config",
         {{"max_versions", 5}, {"cas_required", true}, {"delete_version_after", "1h30m"}});
  EXPECT_TRUE(written.data.is_null());
  EXPECT_TRUE(written.warnings.empty());

  faulty_.ResetCountsForTest();
  EXPECT_EQ(
      Ok(Operation::kRead, "config").data,
      json({{"cas_required", true}, {"delete_version_after", "1h30m0s"}, {"max_versions", 5}}));
  EXPECT_EQ(faulty_.GetCountForTest(), 0u);  // served from the cache

  // A second engine over the same storage sees the stored config.
  MakeEngine("2");
  EXPECT_EQ(Ok(Operation::kRead, "config").data["max_versions"], 5);

  // An empty write changes nothing and writes nothing.
  faulty_.ResetCountsForTest();
  Ok(Operation::kUpdate, "config", json::object());
  EXPECT_EQ(faulty_.PutCountForTest(), 0u);
  // Zero clears delete_version_after.
  Ok(Operation::kUpdate, "config", {{"delete_version_after", 0}});
  EXPECT_EQ(Ok(Operation::kRead, "config").data["delete_version_after"], "0s");
}

TEST_F(KvV2MetadataTest, MetadataReadShape) {
  Ok(Operation::kUpdate, "data/app", {{"data", {{"a", 1}}}});
  clock_.Advance(2s);
  Ok(Operation::kUpdate, "data/app", {{"data", {{"a", 2}}}});
  Ok(Operation::kUpdate, "delete/app", {{"versions", {1}}});
  EXPECT_EQ(Ok(Operation::kRead, "metadata/app").data,
            json({{"cas_required", false},
                  {"created_time", "2026-01-01T00:00:00Z"},
                  {"current_version", 2},
                  {"custom_metadata", nullptr},
                  {"delete_version_after", "0s"},
                  {"max_versions", 0},
                  {"oldest_version", 0},
                  {"updated_time", "2026-01-01T00:00:02Z"},
                  {"versions",
                   {{"1",
                     {{"created_time", "2026-01-01T00:00:00Z"},
                      {"deletion_time", "2026-01-01T00:00:02Z"},
                      {"destroyed", false}}},
                    {"2",
                     {{"created_time", "2026-01-01T00:00:02Z"},
                      {"deletion_time", ""},
                      {"destroyed", false}}}}}}));
}

TEST_F(KvV2MetadataTest, MetadataWriteCreatesSettingsWithoutVersions) {
  auto r = Ok(Operation::kUpdate, "metadata/new",
              {{"max_versions", 4},
               {"cas_required", true},
               {"delete_version_after", "2h"},
               {"custom_metadata", {{"owner", "team-a"}}}});
  EXPECT_TRUE(r.warnings.empty());
  json meta = Ok(Operation::kRead, "metadata/new").data;
  EXPECT_EQ(meta["max_versions"], 4);
  EXPECT_EQ(meta["cas_required"], true);
  EXPECT_EQ(meta["delete_version_after"], "2h0m0s");
  EXPECT_EQ(meta["custom_metadata"], json({{"owner", "team-a"}}));
  EXPECT_EQ(meta["current_version"], 0);
  EXPECT_EQ(meta["versions"], json::object());

  auto data = Do(Operation::kRead, "data/new");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status(), NotFoundError(""));
  EXPECT_EQ(*engine_->Exists(Req(Operation::kUpdate, "metadata/new")), std::optional<bool>(true));
  EXPECT_EQ(*engine_->Exists(Req(Operation::kUpdate, "data/new")), std::optional<bool>(false));

  // custom_metadata shows in data responses; a later write replaces it.
  auto written =
      Ok(Operation::kUpdate, "data/new", {{"data", {{"k", 1}}}, {"options", {{"cas", 0}}}});
  EXPECT_EQ(written.data["custom_metadata"], json({{"owner", "team-a"}}));
  Ok(Operation::kUpdate, "metadata/new", {{"custom_metadata", {{"env", "prod"}}}});
  EXPECT_EQ(Ok(Operation::kRead, "data/new").data["metadata"]["custom_metadata"],
            json({{"env", "prod"}}));
  // A write that only sets one field keeps the others.
  EXPECT_EQ(Ok(Operation::kRead, "metadata/new").data["max_versions"], 4);

  // An empty metadata write creates nothing.
  Ok(Operation::kUpdate, "metadata/ghost", json::object());
  EXPECT_FALSE(Do(Operation::kRead, "metadata/ghost").ok());
}

TEST_F(KvV2MetadataTest, CasRequiredFalseUnderMountRequirementWarns) {
  Ok(Operation::kUpdate, "config", {{"cas_required", true}});
  auto r = Ok(Operation::kUpdate, "metadata/k", {{"cas_required", false}});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("mandated by backend config"), std::string::npos);
}

TEST_F(KvV2MetadataTest, MetadataPatchMergesCustomMetadata) {
  Ok(Operation::kUpdate, "metadata/p", {{"custom_metadata", {{"a", "1"}, {"b", "2"}}}});
  Ok(Operation::kPatch, "metadata/p",
     {{"custom_metadata", {{"a", nullptr}, {"c", "3"}}}, {"max_versions", 7}});
  json meta = Ok(Operation::kRead, "metadata/p").data;
  EXPECT_EQ(meta["custom_metadata"], json({{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(meta["max_versions"], 7);
  auto missing = Do(Operation::kPatch, "metadata/none", {{"max_versions", 1}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status(), NotFoundError(""));
}

TEST_F(KvV2MetadataTest, MetadataDeleteRemovesEverything) {
  Ok(Operation::kUpdate, "data/gone", {{"data", {{"a", 1}}}});
  Ok(Operation::kUpdate, "data/gone", {{"data", {{"a", 2}}}});
  Ok(Operation::kDelete, "metadata/gone");
  EXPECT_FALSE(Do(Operation::kRead, "metadata/gone").ok());
  EXPECT_FALSE(Do(Operation::kRead, "data/gone", nullptr, {{"version", "1"}}).ok());
  EXPECT_EQ(StorageSnapshot().count("records/gone"), 0u);
  // Deleting what is not there is fine.
  Ok(Operation::kDelete, "metadata/gone");
  // Versions start again at 1.
  EXPECT_EQ(Ok(Operation::kUpdate, "data/gone", {{"data", {{"a", 3}}}}).data["version"], 1);
}

TEST_F(KvV2MetadataTest, ListFolders) {
  for (const char* path : {"app/db", "app/cache", "app/deep/x", "top"}) {
    Ok(Operation::kUpdate, std::string("data/") + path, {{"data", {{"a", 1}}}});
  }
  EXPECT_EQ(Ok(Operation::kList, "metadata").data, json({{"keys", {"app/", "top"}}}));
  EXPECT_EQ(Ok(Operation::kList, "metadata/app").data, json({{"keys", {"cache", "db", "deep/"}}}));
  auto empty = Do(Operation::kList, "metadata/nothing");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status(), NotFoundError(""));
}

TEST_F(KvV2MetadataTest, CustomMetadataLimits) {
  json at_limit = json::object();
  for (std::size_t i = 0; i < kMaxCustomMetadataKeys; ++i) at_limit["k" + std::to_string(i)] = "v";
  at_limit["k0"] = std::string(kMaxCustomMetadataValueLength, 'v');
  at_limit[std::string(kMaxCustomMetadataKeyLength, 'k')] = "v";
  at_limit.erase("k1");
  Ok(Operation::kUpdate, "metadata/cm", {{"custom_metadata", at_limit}});
  EXPECT_EQ(Ok(Operation::kRead, "metadata/cm").data["custom_metadata"], at_limit);
  auto before = StorageSnapshot();

  json too_many = at_limit;
  too_many["k1"] = "v";
  too_many["extra"] = "v";
  struct Row {
    json custom_metadata;
    std::string message_part;
  };
  const Row rows[] = {
      {too_many, "payload must contain at most 64 keys, provided 66"},
      {{{std::string(kMaxCustomMetadataKeyLength + 1, 'k'), "v"}},
       "but must be 0 < len(key) <= 128"},
      {{{"k", std::string(kMaxCustomMetadataValueLength + 1, 'v')}},
       "but must be 0 < len(value) <= 512"},
      {{{"k", ""}}, "length of value for key \"k\" is 0"},
      {{{"", "v"}}, "length of key \"\" is 0"},
      {{{"k", 5}}, "value for key \"k\": expected a string, got an integer"},
      {{{"k", "line\nbreak"}}, "contains unprintable characters"},
      {"text", "custom_metadata: expected an object, got a string"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.message_part);
    auto r = Do(Operation::kUpdate, "metadata/cm", {{"custom_metadata", row.custom_metadata}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(row.message_part), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(StorageSnapshot(), before);
}

}  // namespace
}  // namespace tresor::engines::kv

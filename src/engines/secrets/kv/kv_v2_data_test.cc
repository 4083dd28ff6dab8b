#include <chrono>
#include <thread>
#include <vector>

#include "engines/secrets/kv/kv_engine_for_test.h"

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using nlohmann::json;
using namespace std::chrono_literals;

class KvV2DataTest : public KvEngineTest {
 protected:
  void SetUp() override { MakeEngine("2"); }

  json Put(const std::string& path, json data, std::optional<long long> cas = std::nullopt) {
    json body = {{"data", std::move(data)}};
    if (cas) body["options"] = {{"cas", *cas}};
    return Ok(Operation::kUpdate, "data/" + path, body).data;
  }
};

TEST_F(KvV2DataTest, WriteAndReadVersions) {
  json written = Put("app/db", {{"password", "one"}});
  EXPECT_EQ(written, json({{"created_time", "2026-01-01T00:00:00Z"},
                           {"custom_metadata", nullptr},
                           {"deletion_time", ""},
                           {"destroyed", false},
                           {"version", 1}}));
  clock_.Advance(1500ms);
  EXPECT_EQ(Put("app/db", {{"password", "two"}})["created_time"], "2026-01-01T00:00:01.5Z");

  auto latest = Ok(Operation::kRead, "data/app/db");
  EXPECT_EQ(latest.http_status, 0);
  EXPECT_EQ(latest.data["data"], json({{"password", "two"}}));
  EXPECT_EQ(latest.data["metadata"]["version"], 2);

  auto first = Ok(Operation::kRead, "data/app/db", nullptr, {{"version", "1"}});
  EXPECT_EQ(first.data["data"], json({{"password", "one"}}));
  EXPECT_EQ(first.data["metadata"]["version"], 1);

  // version=0 means the latest, as in Vault.
  EXPECT_EQ(Ok(Operation::kRead, "data/app/db", nullptr, {{"version", "0"}}).data["data"],
            json({{"password", "two"}}));

  auto never = Do(Operation::kRead, "data/app/db", nullptr, {{"version", "9"}});
  ASSERT_FALSE(never.ok());
  EXPECT_EQ(never.status(), NotFoundError(""));
  auto missing = Do(Operation::kRead, "data/nothing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status(), NotFoundError(""));
}

TEST_F(KvV2DataTest, LatestReadCostsExactlyOneStorageGet) {
  Put("hot", {{"k", "v"}});
  Ok(Operation::kRead, "data/hot");  // warm-up
  faulty_.ResetCountsForTest();
  auto r = Ok(Operation::kRead, "data/hot");
  EXPECT_EQ(r.data["data"], json({{"k", "v"}}));
  EXPECT_EQ(faulty_.GetCountForTest(), 1u);
  EXPECT_EQ(faulty_.ListCountForTest(), 0u);

  // A write reads the record once too; the config comes from the cache.
  faulty_.ResetCountsForTest();
  Put("hot", {{"k", "w"}});
  EXPECT_EQ(faulty_.GetCountForTest(), 1u);
  EXPECT_EQ(faulty_.PutCountForTest(), 1u);
}

TEST_F(KvV2DataTest, CheckAndSet) {
  // cas 0: only when the key has no version yet.
  Put("c", {{"v", 1}}, 0);
  auto again = Do(Operation::kUpdate, "data/c", {{"data", {{"v", 2}}}, {"options", {{"cas", 0}}}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status(),
            InvalidArgumentError("check-and-set parameter did not match the current version"));
  Put("c", {{"v", 2}}, 1);
  EXPECT_EQ(Ok(Operation::kRead, "data/c").data["metadata"]["version"], 2);

  // cas_required on the mount.
  Ok(Operation::kUpdate, "config", {{"cas_required", true}});
  auto without = Do(Operation::kUpdate, "data/c", {{"data", {{"v", 3}}}});
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.status(),
            InvalidArgumentError("check-and-set parameter required for this call"));
  Put("c", {{"v", 3}}, 2);

  // cas_required on the key alone.
  Ok(Operation::kUpdate, "config", {{"cas_required", false}});
  Ok(Operation::kUpdate, "metadata/k", {{"cas_required", true}});
  EXPECT_FALSE(Do(Operation::kUpdate, "data/k", {{"data", {{"v", 1}}}}).ok());
  Put("k", {{"v", 1}}, 0);
  EXPECT_TRUE(Put("free", {{"v", 1}}).is_object());
}

TEST_F(KvV2DataTest, PatchMergesIntoLatestVersion) {
  Put("p", {{"keep", "a"}, {"drop", "b"}, {"nested", {{"x", 1}, {"y", 2}}}});
  auto patched = Ok(Operation::kPatch, "data/p",
                    {{"data", {{"drop", nullptr}, {"new", "c"}, {"nested", {{"y", nullptr}}}}}});
  EXPECT_EQ(patched.data["version"], 2);
  EXPECT_EQ(Ok(Operation::kRead, "data/p").data["data"],
            json({{"keep", "a"}, {"new", "c"}, {"nested", {{"x", 1}}}}));
  // The old version is untouched.
  EXPECT_EQ(Ok(Operation::kRead, "data/p", nullptr, {{"version", "1"}}).data["data"]["drop"], "b");

  // With cas.
  auto stale = Do(Operation::kPatch, "data/p", {{"data", {{"z", 1}}}, {"options", {{"cas", 1}}}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kInvalidArgument);
  Ok(Operation::kPatch, "data/p", {{"data", {{"z", 1}}}, {"options", {{"cas", 2}}}});
  EXPECT_EQ(Ok(Operation::kRead, "data/p").data["data"]["z"], 1);
}

TEST_F(KvV2DataTest, PatchNeedsALiveLatestVersionAndMergePatchContentType) {
  auto missing = Do(Operation::kPatch, "data/none", {{"data", {{"a", 1}}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status(), NotFoundError(""));

  Put("p", {{"a", 1}});
  Ok(Operation::kDelete, "data/p");
  auto deleted = Ok(Operation::kPatch, "data/p", {{"data", {{"a", 2}}}});
  EXPECT_EQ(deleted.http_status, 404);
  EXPECT_EQ(deleted.data["version"], 1);
  EXPECT_NE(deleted.data["deletion_time"], "");

  auto request = Req(Operation::kPatch, "data/p", {{"data", {{"a", 2}}}});
  request.content_type = "application/json";
  auto wrong_type = engine_->Handle(request);
  ASSERT_TRUE(wrong_type.ok());
  EXPECT_EQ(wrong_type->http_status, 415);
  EXPECT_EQ(wrong_type->data["errors"][0],
            "PATCH requires Content-Type of application/merge-patch+json");
}

TEST_F(KvV2DataTest, DeletedAndDestroyedVersionsAnswer404WithMetadata) {
  Put("d", {{"secret", "s1"}});
  Put("d", {{"secret", "s2"}});
  clock_.Advance(10s);
  Ok(Operation::kDelete, "data/d");  // soft-deletes version 2

  auto deleted = Ok(Operation::kRead, "data/d");
  EXPECT_EQ(deleted.http_status, 404);
  EXPECT_TRUE(deleted.data["data"].is_null());
  EXPECT_EQ(deleted.data["metadata"], json({{"created_time", "2026-01-01T00:00:00Z"},
                                            {"custom_metadata", nullptr},
                                            {"deletion_time", "2026-01-01T00:00:10Z"},
                                            {"destroyed", false},
                                            {"version", 2}}));
  auto exists = engine_->Exists(Req(Operation::kUpdate, "data/d"));
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(*exists, std::optional<bool>(false));

  Ok(Operation::kUpdate, "undelete/d", {{"versions", {2}}});
  EXPECT_EQ(Ok(Operation::kRead, "data/d").data["data"], json({{"secret", "s2"}}));

  Ok(Operation::kUpdate, "delete/d", {{"versions", {1, 2}}});
  EXPECT_EQ(Ok(Operation::kRead, "data/d", nullptr, {{"version", "1"}}).http_status, 404);
  EXPECT_EQ(Ok(Operation::kRead, "data/d").http_status, 404);
  Ok(Operation::kUpdate, "undelete/d", {{"versions", "1,2"}});
  EXPECT_EQ(Ok(Operation::kRead, "data/d", nullptr, {{"version", "1"}}).http_status, 0);

  Ok(Operation::kUpdate, "destroy/d", {{"versions", {"1"}}});
  auto destroyed = Ok(Operation::kRead, "data/d", nullptr, {{"version", "1"}});
  EXPECT_EQ(destroyed.http_status, 404);
  EXPECT_TRUE(destroyed.data["data"].is_null());
  EXPECT_EQ(destroyed.data["metadata"]["destroyed"], true);
  // Undelete cannot bring back a destroyed version, and its data is gone
  // from storage.
  Ok(Operation::kUpdate, "undelete/d", {{"versions", {1}}});
  EXPECT_EQ(Ok(Operation::kRead, "data/d", nullptr, {{"version", "1"}}).http_status, 404);
  auto stored = inmem_.Get("records/d");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->find("s1"), std::string::npos);
  EXPECT_NE((*stored)->find("s2"), std::string::npos);

  // Versions that do not exist are skipped; the request still succeeds.
  Ok(Operation::kUpdate, "delete/d", {{"versions", {7}}});
  Ok(Operation::kUpdate, "destroy/nothing", {{"versions", {1}}});
}

TEST_F(KvV2DataTest, OldVersionsArePrunedBeyondMaxVersions) {
  Ok(Operation::kUpdate, "config", {{"max_versions", 3}});
  for (int i = 1; i <= 5; ++i) Put("m", {{"i", i}});
  auto meta = Ok(Operation::kRead, "metadata/m").data;
  EXPECT_EQ(meta["current_version"], 5);
  EXPECT_EQ(meta["oldest_version"], 3);
  std::vector<std::string> kept;
  for (const auto& [k, v] : meta["versions"].items()) kept.push_back(k);
  EXPECT_EQ(kept, (std::vector<std::string>{"3", "4", "5"}));
  auto pruned = Do(Operation::kRead, "data/m", nullptr, {{"version", "2"}});
  ASSERT_FALSE(pruned.ok());
  EXPECT_EQ(pruned.status(), NotFoundError(""));

  // The key's own max_versions, smaller than the mount's, wins.
  Ok(Operation::kUpdate, "metadata/m", {{"max_versions", 2}});
  Put("m", {{"i", 6}});
  meta = Ok(Operation::kRead, "metadata/m").data;
  EXPECT_EQ(meta["versions"].size(), 2u);
  EXPECT_EQ(meta["oldest_version"], 5);

  // Without any setting, 10 are kept.
  Ok(Operation::kUpdate, "config", {{"max_versions", 0}});
  for (int i = 1; i <= 12; ++i) Put("dflt", {{"i", i}});
  EXPECT_EQ(Ok(Operation::kRead, "metadata/dflt").data["versions"].size(), 10u);
}

TEST_F(KvV2DataTest, DeleteVersionAfterUsesTheClock) {
  Ok(Operation::kUpdate, "config", {{"delete_version_after", "1h"}});
  json written = Put("t", {{"k", "v"}});
  EXPECT_EQ(written["deletion_time"], "2026-01-01T01:00:00Z");
  clock_.Advance(59min);
  EXPECT_EQ(Ok(Operation::kRead, "data/t").data["data"], json({{"k", "v"}}));
  clock_.Advance(2min);
  auto expired = Ok(Operation::kRead, "data/t");
  EXPECT_EQ(expired.http_status, 404);
  EXPECT_TRUE(expired.data["data"].is_null());

  // The key's shorter setting applies; the mount's negative value disables.
  Ok(Operation::kUpdate, "metadata/u", {{"delete_version_after", 600}});
  EXPECT_EQ(Put("u", {{"k", 1}})["deletion_time"], "2026-01-01T01:11:00Z");
  Ok(Operation::kUpdate, "config", {{"delete_version_after", "-1s"}});
  EXPECT_EQ(Ok(Operation::kRead, "config").data["delete_version_after"], "-1s");
  EXPECT_EQ(Put("u", {{"k", 2}})["deletion_time"], "");
}

TEST_F(KvV2DataTest, SubkeysReplaceLeavesWithNull) {
  Put("s", {{"a", 1},
            {"b", {{"c", "x"}, {"d", {{"e", true}}}, {"empty", json::object()}}},
            {"list", {1, 2}}});
  auto all = Ok(Operation::kRead, "subkeys/s");
  EXPECT_EQ(all.data["subkeys"],
            json({{"a", nullptr},
                  {"b", {{"c", nullptr}, {"d", {{"e", nullptr}}}, {"empty", nullptr}}},
                  {"list", nullptr}}));
  EXPECT_EQ(all.data["metadata"]["version"], 1);
  EXPECT_EQ(Ok(Operation::kRead, "subkeys/s", nullptr, {{"depth", "1"}}).data["subkeys"],
            json({{"a", nullptr}, {"b", nullptr}, {"list", nullptr}}));
  EXPECT_EQ(Ok(Operation::kRead, "subkeys/s", nullptr, {{"depth", "2"}}).data["subkeys"]["b"],
            json({{"c", nullptr}, {"d", nullptr}, {"empty", nullptr}}));

  Put("s", {{"only", "v2"}});
  EXPECT_EQ(Ok(Operation::kRead, "subkeys/s", nullptr, {{"version", "2"}}).data["subkeys"],
            json({{"only", nullptr}}));
  Ok(Operation::kDelete, "data/s");
  auto deleted = Ok(Operation::kRead, "subkeys/s");
  EXPECT_EQ(deleted.http_status, 404);
  EXPECT_TRUE(deleted.data["subkeys"].is_null());
}

TEST_F(KvV2DataTest, SubkeysStopAtVaultsDepthLimit) {
  json deep = "leaf";
  for (int i = 0; i < 120; ++i) deep = json{{"n", deep}};
  Put("deep", deep);
  json subkeys = Ok(Operation::kRead, "subkeys/deep").data["subkeys"];
  int levels = 0;
  for (const json* node = &subkeys; node->is_object(); node = &(*node)["n"]) ++levels;
  EXPECT_EQ(levels, 100);
}

TEST_F(KvV2DataTest, PathsNoEndpointMatchesGetVaultsWarning) {
  for (const char* path : {"foo", "data", "nothing/here"}) {
    SCOPED_TRACE(path);
    auto r = Ok(Operation::kRead, path);
    EXPECT_EQ(r.http_status, 404);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("Invalid path for a versioned K/V secrets engine"),
              std::string::npos);
    EXPECT_NE(r.warnings[0].find("'vault kv get'"), std::string::npos);
  }
  auto request = Req(Operation::kUpdate, "data/foo", {{"data", {{"a", 1}}}});
  request.trailing_slash = true;
  auto r = engine_->Handle(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http_status, 404);
  EXPECT_EQ(StorageSnapshot().count("records/foo"), 0u);

  auto list = Do(Operation::kList, "data/foo");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kUnsupportedOperation);
}

TEST_F(KvV2DataTest, ConcurrentWritesToOnePathAreSerialised) {
  constexpr int kThreads = 4;
  constexpr int kWrites = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto r = Do(Operation::kUpdate, "data/race", {{"data", {{"t", t}, {"i", i}}}});
        EXPECT_TRUE(r.ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Ok(Operation::kRead, "metadata/race").data["current_version"], kThreads * kWrites);
}

TEST_F(KvV2DataTest, UnknownFieldsAreIgnoredWithVaultsWarning) {
  auto r = Ok(Operation::kUpdate, "data/w", {{"data", {{"a", 1}}}, {"extra", 1}, {"bogus", 2}});
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "Endpoint ignored these unrecognized parameters: [bogus extra]");
  EXPECT_EQ(Ok(Operation::kRead, "data/w").data["data"], json({{"a", 1}}));
}

TEST_F(KvV2DataTest, FailedStorageWriteLeavesTheOldVersion) {
  Put("f", {{"v", 1}});
  faulty_.SetFailWrites(true);
  auto r = Do(Operation::kUpdate, "data/f", {{"data", {{"v", 2}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIOError);
  faulty_.ClearFaults();
  auto read = Ok(Operation::kRead, "data/f");
  EXPECT_EQ(read.data["data"], json({{"v", 1}}));
  EXPECT_EQ(read.data["metadata"]["version"], 1);
}

}  // namespace
}  // namespace tresor::engines::kv

// RaftBackend as a Snapshotter, on a real one-node raft cluster.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/temp_dir_for_test.h"
#include "storage/raft/one_node_for_test.h"
#include "storage/raft/raft_backend.h"

namespace tresor::storage {
namespace {

using Records = std::map<std::string, std::string>;

class RaftSnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RaftBackendOptions options = OneNodeRaftOptionsForTest(dir_.path());
    options.max_entry_size = 4096;  // many entries per restore
    auto backend = RaftBackend::Open(options);
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(backend).value();
    snapshotter_ = backend_->AsSnapshotter();
    ASSERT_NE(snapshotter_, nullptr);
  }

  Records ViewRecords() {
    auto view = snapshotter_->OpenView();
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    Records out;
    EXPECT_TRUE((*view)
                    ->ForEach([&](std::string_view k, std::string_view v) {
                      out.emplace(k, v);
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  Records Everything() {
    Records out;
    auto keys = ListRecursive(*backend_, "");
    EXPECT_TRUE(keys.ok());
    for (const std::string& key : *keys) out.emplace(key, backend_->Get(key)->value());
    return out;
  }

  TempDirForTest dir_;
  std::unique_ptr<RaftBackend> backend_;
  Snapshotter* snapshotter_ = nullptr;
};

TEST_F(RaftSnapshotterTest, ARestoreOnAPristineNodeBootstrapsItAndInstallsEveryRecord) {
  auto restore = snapshotter_->BeginRestore();
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  Records expected;
  for (int i = 0; i < 500; ++i) {
    std::string key = "logical/" + std::to_string(i), value(300, static_cast<char>('a' + i % 26));
    expected.emplace(key, value);
    ASSERT_TRUE((*restore)->Add(key, value).ok());
  }
  // Nothing shows before the commit.
  EXPECT_TRUE(Everything().empty());
  std::uint64_t replaced = snapshotter_->ReplacedCount();
  ASSERT_TRUE((*restore)->Commit({}).ok());
  EXPECT_EQ(Everything(), expected);
  EXPECT_EQ(ViewRecords(), expected);
  EXPECT_EQ(snapshotter_->ReplacedCount(), replaced + 1);
}

TEST_F(RaftSnapshotterTest, TheViewIsTheAppliedStateAtOnePointWithItsIndex) {
  ASSERT_TRUE(backend_->Put("a", "1").ok());
  auto view = snapshotter_->OpenView();
  ASSERT_TRUE(view.ok());
  EXPECT_GT((*view)->index(), 0u);
  EXPECT_GT((*view)->term(), 0u);
  ASSERT_TRUE(backend_->Put("b", "2").ok());
  Records seen;
  ASSERT_TRUE((*view)
                  ->ForEach([&](std::string_view k, std::string_view v) {
                    seen.emplace(k, v);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(seen, (Records{{"a", "1"}}));
}

TEST_F(RaftSnapshotterTest, KeptPrefixesSurviveAndTheirRestoredRecordsAreDropped) {
  ASSERT_TRUE(backend_->Put("core/raft/servers/1", "mine").ok());
  ASSERT_TRUE(backend_->Put("old", "x").ok());
  auto restore = snapshotter_->BeginRestore();
  ASSERT_TRUE(restore.ok());
  ASSERT_TRUE((*restore)->Add("core/raft/servers/1", "theirs").ok());
  ASSERT_TRUE((*restore)->Add("new", "y").ok());
  ASSERT_TRUE((*restore)->Commit({"core/raft/"}).ok());
  EXPECT_EQ(Everything(), (Records{{"core/raft/servers/1", "mine"}, {"new", "y"}}));
}

TEST_F(RaftSnapshotterTest, AnAbandonedRestoreChangesNothing) {
  ASSERT_TRUE(backend_->Put("keep", "me").ok());
  {
    auto restore = snapshotter_->BeginRestore();
    ASSERT_TRUE(restore.ok());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE((*restore)->Add("k" + std::to_string(i), "v").ok());
  }  // destroyed without a commit
  EXPECT_EQ(Everything(), (Records{{"keep", "me"}}));
  EXPECT_EQ(ViewRecords(), (Records{{"keep", "me"}}));
}

TEST_F(RaftSnapshotterTest, RecordsTheBackendCannotHoldAreRefused) {
  ASSERT_TRUE(backend_->Put("keep", "me").ok());
  auto restore = snapshotter_->BeginRestore();
  ASSERT_TRUE(restore.ok());
  EXPECT_EQ((*restore)->Add("/absolute", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*restore)->Add("a/../b", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*restore)->Add(std::string(600, 'k'), "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*restore)->Add("big", std::string(8192, 'v')).code(), StatusCode::kTooLarge);
  ASSERT_TRUE((*restore)->Abort().ok());
  EXPECT_EQ(Everything(), (Records{{"keep", "me"}}));
}

}  // namespace
}  // namespace tresor::storage

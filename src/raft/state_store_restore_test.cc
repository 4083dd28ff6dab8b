// Whole-state restore steps and point-in-time views of StateStore.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/temp_dir_for_test.h"
#include "raft/command.h"
#include "raft/state_store.h"

namespace tresor::raft {
namespace {

using RecordMap = std::map<std::string, std::string>;

constexpr std::size_t kRestoreMapSize = 256 << 20;

class StateStoreRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open("state"); }

  std::unique_ptr<StateStore> Open(const std::string& name) {
    auto store = StateStore::Open(dir_.path() + "/" + name, kRestoreMapSize);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Applies one entry as its own group; returns the entry's result.
  Status Apply(const std::vector<StateOp>& ops, StateStore* store = nullptr) {
    store = store ? store : store_.get();
    Status staged = store->Stage(store->AppliedIndex() + 1, ops);
    EXPECT_TRUE(store->Commit().ok());
    return staged;
  }

  // Everything a View shows.
  static RecordMap Snapshot(const StateStore& store) {
    auto view = store.OpenView();
    EXPECT_TRUE(view.ok());
    RecordMap out;
    EXPECT_TRUE((*view)
                    ->ForEach([&](std::string_view k, std::string_view v) {
                      out.emplace(k, v);
                      return Status::Ok();
                    })
                    .ok());
    return out;
  }

  TempDirForTest dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateStoreRestoreTest, CommitReplacesEverythingButTheKeptPrefixes) {
  ASSERT_TRUE(Apply({StateOp::Put("old/a", "1"), StateOp::Put("old/b", "2"),
                     StateOp::Put("core/raft/servers/1", "n1"), StateOp::Put("same", "old")})
                  .ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(7)}).ok());
  ASSERT_TRUE(Apply({RestorePutOp(7, "new/a", "x"), RestorePutOp(7, "same", "new"),
                     RestorePutOp(7, "core/raft/servers/9", "foreign")})
                  .ok());
  // Staged records are invisible until the commit.
  EXPECT_EQ(Snapshot(*store_).size(), 4u);
  EXPECT_EQ(store_->Get("new/a")->value_or("absent"), "absent");
  EXPECT_EQ(*store_->ListPage("", "", 0), (std::vector<std::string>{"core/", "old/", "same"}));
  std::uint64_t replaced = store_->ReplacedCount();

  ASSERT_TRUE(Apply({RestoreCommitOp(7, {"core/raft/servers/"})}).ok());
  EXPECT_EQ(Snapshot(*store_),
            (RecordMap{{"core/raft/servers/1", "n1"}, {"new/a", "x"}, {"same", "new"}}));
  EXPECT_EQ(*store_->ListPage("", "", 0), (std::vector<std::string>{"core/", "new/", "same"}));
  EXPECT_EQ(store_->ReplacedCount(), replaced + 1);
  // Nothing of the staging is left behind: a second commit has no restore.
  EXPECT_FALSE(Apply({RestoreCommitOp(7, {})}).ok());
}

TEST_F(StateStoreRestoreTest, ADeleteStepUnstagesARecordThroughTheLogAndDirectly) {
  ASSERT_TRUE(Apply({StateOp::Put("live", "1")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(8)}).ok());
  ASSERT_TRUE(Apply({RestorePutOp(8, "a", "1"), RestorePutOp(8, "b", "2")}).ok());
  ASSERT_TRUE(Apply({RestoreDeleteOp(8, "a"), RestoreDeleteOp(8, "never-staged")}).ok());
  // The same without the log (a cluster's only voter stages directly).
  auto direct = store_->BeginStaging(8);
  ASSERT_TRUE(direct->Add("c", "3").ok());
  ASSERT_TRUE(direct->Add("d", "4").ok());
  ASSERT_TRUE(direct->Remove("c").ok());
  ASSERT_TRUE(direct->Remove("b").ok());
  ASSERT_TRUE(direct->Finish().ok());
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"live", "1"}}));  // nothing shows yet
  ASSERT_TRUE(Apply({RestoreCommitOp(8, {})}).ok());
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"d", "4"}}));
}

TEST_F(StateStoreRestoreTest, AStepOfASupersededRestoreFailsAndChangesNothing) {
  ASSERT_TRUE(Apply({StateOp::Put("k", "old")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(1)}).ok());
  ASSERT_TRUE(Apply({RestorePutOp(1, "from-one", "1")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(2)}).ok());  // drops restore 1's records
  Status late = Apply({RestorePutOp(1, "late", "1")});
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition) << late.ToString();
  EXPECT_EQ(Apply({RestoreCommitOp(1, {})}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"k", "old"}}));

  ASSERT_TRUE(Apply({RestorePutOp(2, "from-two", "2")}).ok());
  ASSERT_TRUE(Apply({RestoreCommitOp(2, {})}).ok());
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"from-two", "2"}}));
}

TEST_F(StateStoreRestoreTest, AbortDropsTheStagedRecords) {
  ASSERT_TRUE(Apply({StateOp::Put("k", "old")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(3), RestorePutOp(3, "n", "new")}).ok());
  ASSERT_TRUE(Apply({RestoreAbortOp(3)}).ok());
  EXPECT_EQ(Apply({RestoreCommitOp(3, {})}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"k", "old"}}));
  // No staging key survives in the image either.
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  auto other = Open("other");
  ASSERT_TRUE(other->LoadImage(*image).ok());
  EXPECT_EQ(other->Get("/restore-id")->value_or("absent"), "absent");
}

TEST_F(StateStoreRestoreTest, AFailingStepLeavesTheRestOfItsEntryUnapplied) {
  ASSERT_TRUE(Apply({RestoreBeginOp(4)}).ok());
  // The second op names another restore: the whole entry has no effect.
  EXPECT_FALSE(Apply({RestorePutOp(4, "a", "1"), RestorePutOp(5, "b", "2")}).ok());
  ASSERT_TRUE(Apply({RestoreCommitOp(4, {})}).ok());
  EXPECT_TRUE(Snapshot(*store_).empty());
}

TEST_F(StateStoreRestoreTest, StagingTravelsInImagesSoACatchingUpNodeCanCommit) {
  ASSERT_TRUE(Apply({StateOp::Put("k", "old")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(6), RestorePutOp(6, "n", "new")}).ok());
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  auto follower = Open("follower");
  ASSERT_TRUE(follower->LoadImage(*image).ok());
  EXPECT_EQ(Snapshot(*follower), (RecordMap{{"k", "old"}}));
  ASSERT_TRUE(Apply({RestoreCommitOp(6, {})}, follower.get()).ok());
  EXPECT_EQ(Snapshot(*follower), (RecordMap{{"n", "new"}}));
}

TEST_F(StateStoreRestoreTest, AnUncommittedRestoreIsInvisibleAfterAReopen) {
  ASSERT_TRUE(Apply({StateOp::Put("k", "old")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(8), RestorePutOp(8, "n", "new")}).ok());
  store_.reset();  // as after a crash between two steps
  store_ = Open("state");
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"k", "old"}}));
  EXPECT_EQ(*store_->ListPage("", "", 0), (std::vector<std::string>{"k"}));
  ASSERT_TRUE(Apply({RestoreCommitOp(8, {})}).ok());
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"n", "new"}}));
}

TEST_F(StateStoreRestoreTest, ALargeRestoreSpanningManyPagesIsInstalledWhole) {
  std::vector<StateOp> old_keys;
  for (int i = 0; i < 20000; ++i) old_keys.push_back(StateOp::Put("old/" + std::to_string(i), "v"));
  ASSERT_TRUE(Apply(old_keys).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(9)}).ok());
  std::vector<StateOp> chunk;
  RecordMap expected;
  for (int i = 0; i < 30000; ++i) {
    std::string key = "new/" + std::to_string(i), value(100, static_cast<char>('a' + i % 26));
    expected.emplace(key, value);
    chunk.push_back(RestorePutOp(9, key, value));
    if (chunk.size() == 1000) {
      ASSERT_TRUE(Apply(chunk).ok());
      chunk.clear();
    }
  }
  ASSERT_TRUE(Apply({RestoreCommitOp(9, {})}).ok());
  EXPECT_EQ(Snapshot(*store_), expected);
}

TEST_F(StateStoreRestoreTest, AStagedRestoreTravelsInAStreamInByteOrderAndCommitsThere) {
  // Keys on both sides of '/' in byte order, and a restore in progress.
  ASSERT_TRUE(Apply({StateOp::Put("!first", "1"), StateOp::Put("zz", "2")}).ok());
  ASSERT_TRUE(Apply({RestoreBeginOp(11), RestorePutOp(11, "a", "A"), RestorePutOp(11, "b", "B")})
                  .ok());
  auto view = store_->OpenView();
  ASSERT_TRUE(view.ok());
  std::vector<std::string> keys;
  auto receiver = Open("receiver");
  auto installer = receiver->BeginInstall();
  ASSERT_TRUE(installer.ok()) << installer.status().ToString();
  ASSERT_TRUE((*view)
                  ->ForEachStored([&](std::string_view k, std::string_view v) {
                    keys.emplace_back(k);
                    return (*installer)->Add(k, v);
                  })
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"!first", "/r/a", "/r/b", "/restore-id", "zz"}));
  ASSERT_TRUE((*installer)->Finish((*view)->applied_index()).ok());
  installer->reset();
  EXPECT_EQ(Snapshot(*receiver), (RecordMap{{"!first", "1"}, {"zz", "2"}}));

  // Both stores commit the restore alike.
  for (StateStore* store : {store_.get(), receiver.get()}) {
    ASSERT_TRUE(Apply({RestoreCommitOp(11, {"zz"})}, store).ok());
    EXPECT_EQ(Snapshot(*store), (RecordMap{{"a", "A"}, {"b", "B"}, {"zz", "2"}}));
    EXPECT_EQ(*store->ListPage("", "", 0), (std::vector<std::string>{"a", "b", "zz"}));
  }
}

TEST_F(StateStoreRestoreTest, InstallingAStateDropsARestoreStagedHere) {
  ASSERT_TRUE(Apply({RestoreBeginOp(12), RestorePutOp(12, "staged", "s")}).ok());
  auto installer = store_->BeginInstall();
  ASSERT_TRUE(installer.ok());
  ASSERT_TRUE((*installer)->Add("fresh", "f").ok());
  ASSERT_TRUE((*installer)->Finish(store_->AppliedIndex() + 5).ok());
  installer->reset();
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"fresh", "f"}}));
  EXPECT_EQ(Apply({RestoreCommitOp(12, {})}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Snapshot(*store_), (RecordMap{{"fresh", "f"}}));
}

TEST_F(StateStoreRestoreTest, AViewIsOnePointInTimeAcrossWalks) {
  ASSERT_TRUE(Apply({StateOp::Put("a", "1"), StateOp::Put("b", "2")}).ok());
  auto view = store_->OpenView();
  ASSERT_TRUE(view.ok());
  EXPECT_EQ((*view)->applied_index(), store_->AppliedIndex());
  ASSERT_TRUE(Apply({StateOp::Put("c", "3"), StateOp::Delete("a")}).ok());
  for (int walk = 0; walk < 2; ++walk) {
    RecordMap seen;
    ASSERT_TRUE((*view)
                    ->ForEach([&](std::string_view k, std::string_view v) {
                      seen.emplace(k, v);
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(seen, (RecordMap{{"a", "1"}, {"b", "2"}}));
  }
  Status stop =
      (*view)->ForEach([](std::string_view, std::string_view) { return InternalError("enough"); });
  EXPECT_EQ(stop.code(), StatusCode::kInternal);
}

TEST_F(StateStoreRestoreTest, BadRestoreStepsAreRefused) {
  EXPECT_EQ(Apply({StateOp{StateOp::Type::kRestoreBegin, "short", {}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Apply({StateOp{StateOp::Type::kRestorePut, EncodeRestoreId(1), "v"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Apply({RestoreBeginOp(1)}).code(), StatusCode::kOk);
  EXPECT_EQ(Apply({RestorePutOp(1, std::string(kMaxRestoredKeyBytes + 1, 'k'), "v")}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Apply({RestorePutOp(1, std::string(kMaxRestoredKeyBytes, 'k'), "v")}).ok());
}

TEST(RestoreCommandTest, RestoreStepsSurviveEncoding) {
  std::vector<StateOp> ops = {RestoreBeginOp(42), RestorePutOp(42, "k", std::string("v\0w", 3)),
                              RestoreCommitOp(42, {"core/raft/", "x/"}), RestoreAbortOp(42),
                              RestoreDeleteOp(42, "gone")};
  auto decoded = DecodeCommand(EncodeCommand(ops));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ((*decoded)[i].type, ops[i].type);
    EXPECT_EQ((*decoded)[i].key, ops[i].key);
    EXPECT_EQ((*decoded)[i].value, ops[i].value);
  }
  std::string bad = EncodeCommand({RestoreAbortOp(1)});
  bad[5] = 8;  // an unknown operation type
  EXPECT_EQ(DecodeCommand(bad).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tresor::raft

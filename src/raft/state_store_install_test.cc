// StateStore's whole-state install (the Installer) and Sync.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/state_image.h"
#include "raft/state_store.h"
#include "raft/state_store_fixture_for_test.h"

namespace tresor::raft {
namespace {

// Large enough for installs of several 16 MiB batches.
class StateStoreInstallTest : public StateStoreTest {
 protected:
  std::vector<std::string> Keys() { return List(""); }
};

TEST_F(StateStoreInstallTest, FinishReplacesTheWholeStateAndItsIndexAtOnce) {
  Apply(3, {StateOp::Put("old-a", "1"), StateOp::Put("shared", "old")});
  const std::uint64_t replaced_before = store_->ReplacedCount();

  auto installer = store_->BeginInstall();
  ASSERT_TRUE(installer.ok()) << installer.status().ToString();
  ASSERT_TRUE((*installer)->Add("new-b", "2").ok());
  ASSERT_TRUE((*installer)->Add("shared", "new").ok());
  // Until Finish, readers see the old state.
  EXPECT_EQ(Read("old-a"), "1");
  EXPECT_EQ(Read("new-b"), std::nullopt);
  EXPECT_EQ(store_->AppliedIndex(), 3u);

  ASSERT_TRUE((*installer)->Finish(10).ok());
  EXPECT_EQ(store_->AppliedIndex(), 10u);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"new-b", "shared"}));
  EXPECT_EQ(Read("shared"), "new");
  EXPECT_EQ(store_->ReplacedCount(), replaced_before + 1);
  EXPECT_FALSE((*installer)->Add("z", "late").ok());

  // The writer goes on in the installed state, and entries it holds are skipped.
  installer->reset();
  ASSERT_TRUE(store_->Stage(10, {StateOp::Put("skipped", "x")}).ok());
  ASSERT_TRUE(store_->Stage(11, {StateOp::Put("after", "y")}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(Keys(), (std::vector<std::string>{"after", "new-b", "shared"}));

  // And all of it survives a reopen.
  Reopen();
  EXPECT_EQ(store_->AppliedIndex(), 11u);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"after", "new-b", "shared"}));
}

TEST_F(StateStoreInstallTest, AnInstallDroppedBeforeFinishLeavesTheOldStateEvenAfterAReopen) {
  Apply(2, {StateOp::Put("kept", "1")});
  {
    auto installer = store_->BeginInstall();
    ASSERT_TRUE(installer.ok());
    // More than one batch, so some of it is committed to the inactive side.
    const std::string value(1 << 20, 'v');
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE((*installer)->Add("partial-" + std::to_string(100 + i), value).ok());
    }
  }
  EXPECT_EQ(Keys(), std::vector<std::string>{"kept"});
  Reopen();
  EXPECT_EQ(Keys(), std::vector<std::string>{"kept"});
  EXPECT_EQ(store_->AppliedIndex(), 2u);

  // The next install starts from an empty side: nothing partial leaks in.
  auto installer = store_->BeginInstall();
  ASSERT_TRUE(installer.ok());
  ASSERT_TRUE((*installer)->Add("only", "1").ok());
  ASSERT_TRUE((*installer)->Finish(5).ok());
  EXPECT_EQ(Keys(), std::vector<std::string>{"only"});
}

TEST_F(StateStoreInstallTest, TwoInstallsInARowSwapBackAndTheOldSideIsEmptied) {
  for (std::uint64_t round = 1; round <= 3; ++round) {
    auto installer = store_->BeginInstall();
    ASSERT_TRUE(installer.ok());
    ASSERT_TRUE((*installer)->Add("round", std::to_string(round)).ok());
    ASSERT_TRUE((*installer)->Finish(round * 10).ok());
    installer->reset();
    EXPECT_EQ(Read("round"), std::to_string(round));
    EXPECT_EQ(Keys(), std::vector<std::string>{"round"});
  }
}

TEST_F(StateStoreInstallTest, BadInputIsRefusedAndChangesNothing) {
  Apply(1, {StateOp::Put("a", "1")});
  ASSERT_TRUE(store_->Stage(2, {StateOp::Put("b", "2")}).ok());
  EXPECT_EQ(store_->BeginInstall().status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Commit().ok());

  auto installer = store_->BeginInstall();
  ASSERT_TRUE(installer.ok());
  EXPECT_EQ(store_->BeginInstall().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*installer)->Add("", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*installer)->Add(std::string(kMaxStateKeyBytes + 1, 'k'), "x").code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE((*installer)->Add("m", "x").ok());
  EXPECT_EQ((*installer)->Add("m", "again").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*installer)->Add("a", "backwards").code(), StatusCode::kInvalidArgument);
  installer->reset();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->AppliedIndex(), 2u);
}

TEST_F(StateStoreInstallTest, AViewOpenedBeforeFinishKeepsShowingTheOldState) {
  Apply(1, {StateOp::Put("a", "old")});
  auto view = store_->OpenView();
  ASSERT_TRUE(view.ok());
  auto installer = store_->BeginInstall();
  ASSERT_TRUE(installer.ok());
  ASSERT_TRUE((*installer)->Add("b", "new").ok());
  ASSERT_TRUE((*installer)->Finish(4).ok());

  std::vector<std::string> seen;
  ASSERT_TRUE((*view)
                  ->ForEach([&](std::string_view key, std::string_view value) {
                    seen.push_back(std::string(key) + "=" + std::string(value));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(seen, std::vector<std::string>{"a=old"});
  EXPECT_EQ((*view)->applied_index(), 1u);
  EXPECT_EQ(Read("b"), "new");
}

TEST_F(StateStoreInstallTest, SyncSucceedsWithNothingStagedAndAfterCommits) {
  EXPECT_TRUE(store_->Sync().ok());
  Apply(1, {StateOp::Put("a", "1")});
  EXPECT_TRUE(store_->Sync().ok());
}

}  // namespace
}  // namespace tresor::raft

// Tests of the Fsm glue (raft/fsm.*) on libraft's in-memory fixture: the
// state every server's StateStore ends with through replication, leader
// loss, partitions, I/O faults, snapshot installs and malformed entries.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/temp_dir_for_test.h"
#include "raft/fixture_for_test.h"
#include "raft/fsm.h"
#include "raft/state_store.h"

namespace tresor::raft {
namespace {

using Contents = std::map<std::string, std::string>;

constexpr unsigned kServers = 3;

class FsmFixtureTest : public ::testing::Test {
 protected:
  FsmFixtureTest() : cluster_(dir_.path(), kServers) {}

  // Elects a leader and returns its index; fails the test when none emerges.
  unsigned Leader() {
    unsigned leader = cluster_.ElectLeader();
    EXPECT_LT(leader, kServers) << "no leader elected";
    return leader;
  }

  // Proposes key=value through server i; the entry's index.
  raft_index Put(unsigned i, const std::string& key, const std::string& value) {
    ProposalForTest* proposal = cluster_.Propose(i, {StateOp::Put(key, value)});
    EXPECT_EQ(proposal->status, 0) << raft_strerror(proposal->status);
    return proposal->index();
  }

  // Proposes n puts "<prefix><k>" = "v<k>" through server i, adding them to
  // `expected`; the last entry's index.
  raft_index PutMany(unsigned i, const std::string& prefix, int n, Contents& expected) {
    raft_index last = 0;
    for (int k = 0; k < n; ++k) {
      std::string key = prefix + std::to_string(k);
      last = Put(i, key, "v" + std::to_string(k));
      expected[key] = "v" + std::to_string(k);
    }
    return last;
  }

  // Any server other than `a` and `b` (pass the same index twice for one).
  static unsigned Other(unsigned a, unsigned b) {
    for (unsigned i = 0; i < kServers; ++i) {
      if (i != a && i != b) return i;
    }
    return kServers;
  }

  TempDirForTest dir_;
  FsmClusterForTest cluster_;
};

TEST_F(FsmFixtureTest, EveryServerAppliesTheLeadersCommandsToTheSameState) {
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  Contents expected;
  PutMany(leader, "key", 5, expected);
  ProposalForTest* batch = cluster_.Propose(
      leader, {StateOp::Put("batch-a", "1"), StateOp::Put("batch-b", std::string("\0\xff", 2)),
               StateOp::Delete("key0")});
  expected["batch-a"] = "1";
  expected["batch-b"] = std::string("\0\xff", 2);
  expected.erase("key0");
  raft_index last = batch->index();

  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, last));
  EXPECT_TRUE(batch->done);
  EXPECT_EQ(batch->status, 0);
  EXPECT_TRUE(batch->result.ok()) << batch->result.ToString();
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), last) << "server " << i;
  }
}

TEST_F(FsmFixtureTest, SurvivorsElectANewLeaderAndTheRevivedOldLeaderCatchesUp) {
  unsigned old_leader = Leader();
  ASSERT_LT(old_leader, kServers);
  Contents expected;
  raft_index before = PutMany(old_leader, "before", 3, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));
  Contents committed_before = expected;

  raft_fixture_kill(cluster_.fixture(), old_leader);
  unsigned new_leader = cluster_.ElectLeaderOtherThan(old_leader);
  ASSERT_LT(new_leader, kServers);
  ASSERT_NE(new_leader, old_leader);
  unsigned survivor = Other(old_leader, new_leader);
  raft_index after = PutMany(new_leader, "after", 4, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(new_leader, after));
  ASSERT_TRUE(cluster_.StepUntilApplied(survivor, after));
  EXPECT_EQ(cluster_.Contents(new_leader), expected);
  EXPECT_EQ(cluster_.Contents(survivor), expected);
  // The dead server still has exactly what it had.
  EXPECT_EQ(cluster_.Store(old_leader).AppliedIndex(), before);
  EXPECT_EQ(cluster_.Contents(old_leader), committed_before);

  raft_fixture_revive(cluster_.fixture(), old_leader);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, after));
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), after) << "server " << i;
  }
}

TEST_F(FsmFixtureTest, PartitionedFollowerMissesWritesUntilItRejoins) {
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  unsigned follower = Other(leader, leader);
  unsigned other = Other(leader, follower);
  Contents expected;
  raft_index before = PutMany(leader, "before", 2, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));
  Contents follower_before = cluster_.Contents(follower);

  cluster_.Isolate(follower);
  raft_index during = PutMany(leader, "during", 5, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(leader, during));
  ASSERT_TRUE(cluster_.StepUntilApplied(other, during));
  EXPECT_EQ(cluster_.Contents(leader), expected);
  EXPECT_EQ(cluster_.Contents(other), expected);
  EXPECT_EQ(cluster_.Contents(follower), follower_before);
  EXPECT_EQ(cluster_.Store(follower).AppliedIndex(), before);

  cluster_.Heal(follower);
  ASSERT_TRUE(cluster_.StepUntilApplied(follower, during));
  EXPECT_EQ(cluster_.Contents(follower), expected);
  EXPECT_EQ(cluster_.Store(follower).AppliedIndex(), during);
}

TEST_F(FsmFixtureTest, LeaderInTheMinorityStepsDownAndItsStoreStaysStaleUntilItRejoins) {
  unsigned old_leader = Leader();
  ASSERT_LT(old_leader, kServers);
  Contents expected;
  raft_index before = PutMany(old_leader, "before", 2, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));
  Contents committed_before = expected;

  cluster_.Isolate(old_leader);
  // Still leader in its own eyes: it accepts a write it can never commit.
  ProposalForTest* stranded = cluster_.Propose(old_leader, {StateOp::Put("stranded", "x")});
  ASSERT_EQ(stranded->status, 0);
  // Past the election timeout without hearing from a majority, it steps down.
  ASSERT_TRUE(cluster_.StepFor(3 * FsmClusterForTest::kElectionTimeoutMs));
  EXPECT_NE(raft_state(cluster_.Raft(old_leader)), RAFT_LEADER);
  EXPECT_TRUE(stranded->done);
  EXPECT_NE(stranded->status, 0) << "a write that never committed was acknowledged";

  unsigned new_leader = cluster_.ElectLeaderOtherThan(old_leader);
  ASSERT_LT(new_leader, kServers);
  unsigned other = Other(old_leader, new_leader);
  raft_index after = PutMany(new_leader, "after", 4, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(new_leader, after));
  ASSERT_TRUE(cluster_.StepUntilApplied(other, after));
  EXPECT_EQ(cluster_.Contents(new_leader), expected);
  EXPECT_EQ(cluster_.Contents(other), expected);
  // The stale side holds what was committed before the split, and neither
  // the majority's later entries nor its own uncommitted one.
  EXPECT_EQ(cluster_.Store(old_leader).AppliedIndex(), before);
  EXPECT_EQ(cluster_.Contents(old_leader), committed_before);

  cluster_.Heal(old_leader);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, after));
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), after) << "server " << i;
  }
}

TEST_F(FsmFixtureTest, FollowerIOFaultsLoseNoCommittedEntryAndTheClusterContinues) {
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  unsigned faulty = Other(leader, leader);
  unsigned healthy = Other(leader, faulty);
  Contents expected;
  raft_index before = PutMany(leader, "before", 3, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));
  Contents committed_before = expected;

  // The follower's next I/O request fails: the fixture fails whichever comes
  // first of storing or acknowledging the entries proposed below.
  raft_fixture_io_fault(cluster_.fixture(), faulty, 0, 1);
  raft_index during = PutMany(leader, "during", 4, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(leader, during));
  ASSERT_TRUE(cluster_.StepUntilApplied(healthy, during));
  EXPECT_EQ(cluster_.Contents(leader), expected);
  EXPECT_EQ(cluster_.Contents(healthy), expected);
  // libraft takes a server whose log write failed out of the cluster
  // (RAFT_UNAVAILABLE) rather than let it acknowledge entries it may not
  // have stored; it keeps everything committed before the fault and applies
  // nothing after it.
  EXPECT_EQ(raft_state(cluster_.Raft(faulty)), RAFT_UNAVAILABLE);
  EXPECT_EQ(cluster_.Store(faulty).AppliedIndex(), before);
  EXPECT_EQ(cluster_.Contents(faulty), committed_before);

  // The majority keeps its leader and goes on committing.
  ASSERT_TRUE(cluster_.StepFor(3 * FsmClusterForTest::kElectionTimeoutMs));
  ASSERT_EQ(raft_state(cluster_.Raft(leader)), RAFT_LEADER);
  raft_index later = PutMany(leader, "later", 2, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(leader, later));
  ASSERT_TRUE(cluster_.StepUntilApplied(healthy, later));
  EXPECT_EQ(cluster_.Contents(leader), expected);
  EXPECT_EQ(cluster_.Contents(healthy), expected);
  EXPECT_EQ(cluster_.Store(healthy).AppliedIndex(), later);
}

TEST_F(FsmFixtureTest, LeaderIOFaultLosesNoCommittedEntryAndTheClusterContinues) {
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  Contents expected;
  raft_index before = PutMany(leader, "before", 3, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));

  // The leader's own append of the next entry fails: libraft refuses the
  // write at once, and it must never reach any store.
  raft_fixture_io_fault(cluster_.fixture(), leader, 0, 1);
  ProposalForTest* refused = cluster_.Propose(leader, {StateOp::Put("refused", "x")});
  EXPECT_TRUE(refused->done);
  EXPECT_EQ(refused->status, RAFT_IOERR);

  unsigned current = cluster_.ElectLeader();
  ASSERT_LT(current, kServers);
  raft_index after = PutMany(current, "after", 2, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, after));
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), after) << "server " << i;
  }
}

TEST_F(FsmFixtureTest, FollowerBehindTheLeadersSnapshotCatchesUpThroughInstallSnapshot) {
  for (unsigned i = 0; i < kServers; ++i) {
    cluster_.FsmOf(i).SetSnapshotLimits({.threshold_entries = 4,
                                         .threshold_bytes = std::uint64_t{1} << 30,
                                         .trailing_entries = 1,
                                         .trailing_bytes = std::uint64_t{1} << 30});
  }
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  unsigned lagging = Other(leader, leader);
  unsigned other = Other(leader, lagging);
  Contents expected;
  raft_index before = PutMany(leader, "before", 2, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, before));

  raft_fixture_kill(cluster_.fixture(), lagging);
  raft_index during = PutMany(leader, "during", 20, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(leader, during));
  ASSERT_TRUE(cluster_.StepUntilApplied(other, during));
  // The leader has snapshotted and dropped the entries the follower lacks.
  const struct raft_log& leader_log = cluster_.Raft(leader)->log;
  ASSERT_GT(leader_log.snapshot.last_index, before + 1);
  ASSERT_GT(leader_log.offset, before);
  unsigned installs_before =
      raft_fixture_n_recv(cluster_.fixture(), lagging, RAFT_IO_INSTALL_SNAPSHOT);

  raft_fixture_revive(cluster_.fixture(), lagging);
  ASSERT_TRUE(cluster_.StepUntilApplied(lagging, during));
  EXPECT_GT(raft_fixture_n_recv(cluster_.fixture(), lagging, RAFT_IO_INSTALL_SNAPSHOT),
            installs_before);
  EXPECT_EQ(cluster_.Contents(lagging), expected);
  EXPECT_EQ(cluster_.Store(lagging).AppliedIndex(), during);
  // The snapshot was a manifest: the state came from the leader's store.
  EXPECT_GE(cluster_.fetches(), 1);

  // After the snapshot, plain replication resumes.
  unsigned current = cluster_.ElectLeader();
  ASSERT_LT(current, kServers);
  raft_index after = PutMany(current, "after", 3, expected);
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, after));
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), after) << "server " << i;
  }
}

TEST_F(FsmFixtureTest, MalformedEntryIsAppliedAsAFailureAndTheLogGoesOn) {
  unsigned leader = Leader();
  ASSERT_LT(leader, kServers);
  Contents expected;
  PutMany(leader, "before", 1, expected);
  // Version byte 9: no Tresor ever wrote this.
  ProposalForTest* malformed = cluster_.ProposeBytes(leader, std::string("\x09garbage", 8));
  ASSERT_EQ(malformed->status, 0);
  ProposalForTest* valid = cluster_.Propose(leader, {StateOp::Put("after", "ok")});
  expected["after"] = "ok";

  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, valid->index()));
  ASSERT_TRUE(malformed->done);
  EXPECT_EQ(malformed->status, 0);
  EXPECT_EQ(malformed->result.code(), StatusCode::kCorruption);
  ASSERT_TRUE(valid->done);
  EXPECT_TRUE(valid->result.ok()) << valid->result.ToString();
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Contents(i), expected) << "server " << i;
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), valid->index()) << "server " << i;
  }

  // The malformed entry alone, as the last one applied, is recorded too.
  ProposalForTest* last = cluster_.ProposeBytes(cluster_.ElectLeader(), "\x01");
  ASSERT_TRUE(cluster_.StepUntilApplied(kServers, last->index()));
  EXPECT_FALSE(last->result.ok());
  for (unsigned i = 0; i < kServers; ++i) {
    EXPECT_EQ(cluster_.Store(i).AppliedIndex(), last->index()) << "server " << i;
  }
}

// ---- restore, called directly as libraft does at start-up ----

class FsmRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path() + "/state", 16 << 20);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    fsm_ = std::make_unique<Fsm>(*store_);
  }

  void Apply(std::uint64_t index, const std::vector<StateOp>& ops) {
    ASSERT_TRUE(store_->Stage(index, ops).ok());
    ASSERT_TRUE(store_->Commit().ok());
  }

  // Calls the Fsm's restore with a raft_malloc'd copy of image, as libraft
  // does. On success restore owns (and frees) the buffer; on failure the
  // caller does, here as in libraft.
  int Restore(const std::string& image) {
    struct raft_buffer buffer;
    buffer.len = image.size();
    buffer.base = raft_malloc(image.size());
    std::memcpy(buffer.base, image.data(), image.size());
    int rv = fsm_->get()->restore(fsm_->get(), &buffer);
    if (rv != 0) raft_free(buffer.base);
    return rv;
  }

  TempDirForTest dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Fsm> fsm_;
};

TEST_F(FsmRestoreTest, AnOlderImageDoesNotReplaceANewerStore) {
  Apply(1, {StateOp::Put("a", "old")});
  auto old_image = store_->SaveImage();
  ASSERT_TRUE(old_image.ok());
  Apply(2, {StateOp::Put("a", "new"), StateOp::Put("b", "2")});

  EXPECT_EQ(Restore(*old_image), 0);
  EXPECT_EQ(store_->AppliedIndex(), 2u);
  EXPECT_EQ(*store_->Get("a"), "new");
  EXPECT_EQ(*store_->Get("b"), "2");
}

TEST_F(FsmRestoreTest, AnImageOfTheSameIndexIsNotReloaded) {
  Apply(3, {StateOp::Put("a", "1")});
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  // Changed without moving the index, only to see whether restore reloads.
  ASSERT_TRUE(store_->Stage(3, {StateOp::Put("a", "2")}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  ASSERT_EQ(*store_->Get("a"), "1") << "Stage no longer skips applied indexes";

  EXPECT_EQ(Restore(*image), 0);
  EXPECT_EQ(store_->AppliedIndex(), 3u);
  EXPECT_EQ(*store_->Get("a"), "1");
}

TEST_F(FsmRestoreTest, ANewerImageReplacesTheStateAndStagedEntriesAreCommittedFirst) {
  // The image comes from another store that is ahead.
  TempDirForTest other_dir;
  auto other = StateStore::Open(other_dir.path() + "/state", 16 << 20);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Stage(5, {StateOp::Put("x", "from-image")}).ok());
  ASSERT_TRUE((*other)->Commit().ok());
  auto image = (*other)->SaveImage();
  ASSERT_TRUE(image.ok());

  Apply(1, {StateOp::Put("only-here", "1")});
  ASSERT_TRUE(store_->Stage(2, {StateOp::Put("staged", "1")}).ok());
  EXPECT_EQ(Restore(*image), 0);
  EXPECT_FALSE(store_->HasStaged());
  EXPECT_EQ(store_->AppliedIndex(), 5u);
  EXPECT_EQ(*store_->Get("x"), "from-image");
  EXPECT_EQ(*store_->Get("only-here"), std::nullopt);
  EXPECT_EQ(*store_->Get("staged"), std::nullopt);
}

TEST_F(FsmRestoreTest, ACorruptImageIsRejectedAndChangesNothing) {
  Apply(1, {StateOp::Put("a", "1")});
  auto image = store_->SaveImage();
  ASSERT_TRUE(image.ok());
  std::string corrupt = *image;
  corrupt[corrupt.size() / 2] ^= 0x5a;

  EXPECT_EQ(Restore(corrupt), RAFT_CORRUPT);
  EXPECT_EQ(Restore("not an image"), RAFT_CORRUPT);
  EXPECT_EQ(store_->AppliedIndex(), 1u);
  EXPECT_EQ(*store_->Get("a"), "1");
}

TEST_F(FsmRestoreTest, AManifestTheStoreIsAtOrPastNeedsNoFetch) {
  int fetches = 0;
  fsm_->SetStateFetcher([&](std::uint64_t) -> StatusOr<std::uint64_t> {
    ++fetches;
    return UnavailableError("not expected");
  });
  Apply(4, {StateOp::Put("a", "1")});
  ASSERT_TRUE(store_->Stage(5, {StateOp::Put("b", "2")}).ok());  // committed by restore

  EXPECT_EQ(Restore(Fsm::Manifest(3)), 0);
  EXPECT_EQ(Restore(Fsm::Manifest(5)), 0);
  EXPECT_EQ(fetches, 0);
  EXPECT_EQ(store_->AppliedIndex(), 5u);
  EXPECT_EQ(*store_->Get("b"), "2");
}

TEST_F(FsmRestoreTest, AManifestAheadOfTheStoreFetchesTheStateAndFailsWhenTheFetchFails) {
  Apply(1, {StateOp::Put("a", "1")});
  std::vector<std::uint64_t> asked;
  Status answer = UnavailableError("the leader is away");
  fsm_->SetStateFetcher([&](std::uint64_t min_index) -> StatusOr<std::uint64_t> {
    asked.push_back(min_index);
    if (!answer.ok()) return answer;
    // A state newer than asked for, as a leader that went on applying has.
    TRESOR_ASSIGN_OR_RETURN(auto installer, store_->BeginInstall());
    TRESOR_RETURN_IF_ERROR(installer->Add("fetched", "yes"));
    TRESOR_RETURN_IF_ERROR(installer->Finish(min_index + 2));
    return min_index + 2;
  });

  EXPECT_EQ(Restore(Fsm::Manifest(7)), RAFT_IOERR);
  EXPECT_EQ(store_->AppliedIndex(), 1u);
  EXPECT_EQ(*store_->Get("a"), "1");

  answer = Status::Ok();
  EXPECT_EQ(Restore(Fsm::Manifest(7)), 0);
  EXPECT_EQ(asked, (std::vector<std::uint64_t>{7, 7}));
  EXPECT_EQ(store_->AppliedIndex(), 9u);
  EXPECT_EQ(*store_->Get("fetched"), "yes");
  EXPECT_EQ(*store_->Get("a"), std::nullopt);
}

TEST_F(FsmRestoreTest, AManifestAheadWithNoFetcherFails) {
  Apply(1, {StateOp::Put("a", "1")});
  EXPECT_EQ(Restore(Fsm::Manifest(2)), RAFT_IOERR);
  EXPECT_EQ(store_->AppliedIndex(), 1u);
}

TEST_F(FsmRestoreTest, ASnapshotIsAManifestOfTheDurableAppliedIndex) {
  Apply(1, {StateOp::Put("a", "1")});
  ASSERT_TRUE(store_->Stage(2, {StateOp::Put("b", "2")}).ok());
  struct raft_buffer* bufs = nullptr;
  unsigned n = 0;
  ASSERT_EQ(fsm_->get()->snapshot(fsm_->get(), &bufs, &n), 0);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(std::string(static_cast<const char*>(bufs[0].base), bufs[0].len), Fsm::Manifest(2));
  EXPECT_FALSE(store_->HasStaged());  // committed (and synced) before the manifest
  raft_free(bufs[0].base);
  raft_free(bufs);
}

}  // namespace
}  // namespace tresor::raft

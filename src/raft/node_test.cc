#include "raft/node.h"
#include "raft/node_cluster_for_test.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/temp_dir_for_test.h"

namespace tresor::raft {
namespace {

NodeOptions OptionsIn(const std::string& dir) {
  NodeOptions o;
  o.dir = dir;
  o.id = 7;
  o.cluster_address = "127.0.0.1:0";  // one node: nobody dials it
  o.election_timeout_ms = 200;
  o.heartbeat_timeout_ms = 50;
  return o;
}

std::unique_ptr<Node> OpenOrDie(const NodeOptions& o) {
  auto node = Node::Open(o);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
  return std::move(node).value();
}

std::string ValueAt(const Node& node, const std::string& key) {
  auto v = node.state().Get(key);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() && v->has_value() ? **v : "<absent>";
}

TEST(NodeTest, RejectsBadOptions) {
  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.id = 0;
  EXPECT_EQ(Node::Open(o).status().code(), StatusCode::kInvalidArgument);
  o = OptionsIn(dir.path());
  o.cluster_address = "";
  EXPECT_EQ(Node::Open(o).status().code(), StatusCode::kInvalidArgument);
  o = OptionsIn("");
  EXPECT_EQ(Node::Open(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(NodeTest, ATakenClusterPortFailsOpenNamingThePortAndLeavesNoRaftState) {
  // Another process holds the port: Open must say so, not a later bootstrap.
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string taken = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.cluster_address = taken;
  auto node = Node::Open(o);
  close(holder);
  ASSERT_FALSE(node.ok());
  EXPECT_EQ(node.status().code(), StatusCode::kIOError);
  EXPECT_NE(node.status().message().find(taken), std::string::npos) << node.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/raft/metadata1"));

  // Once the port is free the same directory opens and bootstraps.
  auto reopened = OpenOrDie(o);
  EXPECT_TRUE(reopened->IsPristine());
  EXPECT_TRUE(reopened->Bootstrap().ok());
}

TEST(NodeTest, PristineNodeRefusesWritesUntilBootstrapped) {
  TempDirForTest dir;
  auto node = OpenOrDie(OptionsIn(dir.path()));
  EXPECT_TRUE(node->IsPristine());
  EXPECT_EQ(node->Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(node->Apply({StateOp::Put("a", "1")}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(node->Bootstrap().ok());
  EXPECT_FALSE(node->IsPristine());
  EXPECT_EQ(node->Bootstrap().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(node->Apply({StateOp::Put("a", "1")}).ok());
  EXPECT_EQ(ValueAt(*node, "a"), "1");
  NodeStatus s = node->GetStatus();
  EXPECT_EQ(s.role, Role::kLeader);
  EXPECT_EQ(s.leader_id, 7u);
  ASSERT_EQ(s.configuration.size(), 1u);
  EXPECT_TRUE(s.configuration[0].voter);
  EXPECT_GE(s.applied_index, 2u);  // the configuration entry, then the write
}

TEST(NodeTest, WritesAreAtomicBatchesAndDeletesApply) {
  TempDirForTest dir;
  auto node = OpenOrDie(OptionsIn(dir.path()));
  ASSERT_TRUE(node->Bootstrap().ok());
  ASSERT_TRUE(node->Apply({StateOp::Put("x/a", "1"), StateOp::Put("x/b", "2")}).ok());
  ASSERT_TRUE(node->Apply({StateOp::Delete("x/a"), StateOp::Put("y", "3")}).ok());
  EXPECT_EQ(ValueAt(*node, "x/a"), "<absent>");
  EXPECT_EQ(ValueAt(*node, "x/b"), "2");
  auto list = node->state().ListPage("", "", 0);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"x/", "y"}));
}

TEST(NodeTest, RefusesEntriesOverMaxEntrySize) {
  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.max_entry_size = 4096;
  auto node = OpenOrDie(o);
  ASSERT_TRUE(node->Bootstrap().ok());
  Status big = node->Apply({StateOp::Put("big", std::string(5000, 'x'))});
  EXPECT_EQ(big.code(), StatusCode::kTooLarge);
  EXPECT_NE(big.message().find("max_entry_size"), std::string::npos);
  EXPECT_EQ(ValueAt(*node, "big"), "<absent>");
  EXPECT_TRUE(node->Apply({StateOp::Put("small", "ok")}).ok());
}

TEST(NodeTest, AloneARestoreStagesWithoutTheLogAndNoServerJoinsMeanwhile) {
  TempDirForTest dir;
  auto node = OpenOrDie(OptionsIn(dir.path()));
  ASSERT_TRUE(node->Bootstrap().ok());
  ASSERT_TRUE(node->Apply({StateOp::Put("old", "1")}).ok());
  ASSERT_TRUE(node->Apply({RestoreBeginOp(21)}).ok());
  const std::uint64_t applied_before = node->GetStatus().applied_index;

  auto writer = node->BeginDirectStaging(21);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(node->BeginDirectStaging(21).status().code(), StatusCode::kFailedPrecondition);
  Status join = node->AddServer(8, "127.0.0.1:1");
  EXPECT_EQ(join.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(join.message().find("restore is in progress"), std::string::npos) << join.message();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE((*writer)->Add("new/" + std::to_string(100000 + i), std::string(2048, 'v')).ok());
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  // Two megabytes staged, and not one entry in the log for them.
  EXPECT_EQ(node->GetStatus().applied_index, applied_before);
  EXPECT_EQ(ValueAt(*node, "new/100000"), "<absent>");
  ASSERT_TRUE(node->Apply({RestoreCommitOp(21, {})}).ok());
  node->EndDirectStaging();
  EXPECT_EQ(ValueAt(*node, "old"), "<absent>");
  EXPECT_EQ(ValueAt(*node, "new/100999"), std::string(2048, 'v'));

  // A superseded restore's records are refused.
  ASSERT_TRUE(node->Apply({RestoreBeginOp(22)}).ok());
  auto stale = node->BeginDirectStaging(23);
  ASSERT_TRUE(stale.ok());
  ASSERT_TRUE((*stale)->Add("x", "y").ok());
  EXPECT_EQ((*stale)->Finish().code(), StatusCode::kFailedPrecondition);
  node->EndDirectStaging();
}

TEST(NodeTest, RestartKeepsEveryAcknowledgedWriteAndLeadsAgain) {
  TempDirForTest dir;
  std::uint64_t applied = 0;
  {
    auto node = OpenOrDie(OptionsIn(dir.path()));
    ASSERT_TRUE(node->Bootstrap().ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(node->Apply({StateOp::Put("k" + std::to_string(i), std::to_string(i))}).ok());
    }
    // An acknowledged write is durable in the log and may still be on its
    // way to the store; Close commits what is on its way.
    node->Close();
    applied = node->state().AppliedIndex();
    EXPECT_GE(applied, 21u);  // the leader's first entry, then the 20 writes
  }
  auto node = OpenOrDie(OptionsIn(dir.path()));
  EXPECT_FALSE(node->IsPristine());
  // The store is durable on its own: everything is readable before raft runs.
  EXPECT_EQ(node->state().AppliedIndex(), applied);
  EXPECT_EQ(ValueAt(*node, "k19"), "19");
  ASSERT_TRUE(node->Start().ok());
  ASSERT_TRUE(node->WaitUntilLeader(std::chrono::seconds(10)));
  ASSERT_TRUE(node->Apply({StateOp::Put("after", "restart")}).ok());
  EXPECT_EQ(ValueAt(*node, "after"), "restart");
  ASSERT_TRUE(node->state().ListPage("", "", 0).ok());  // waits for the commit of "after"
  EXPECT_GT(node->state().AppliedIndex(), applied);
}

TEST(NodeTest, SnapshotsTruncateTheLogAndARestartKeepsTheState) {
  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.snapshot_threshold = 8;
  o.trailing_logs = 2;
  {
    auto node = OpenOrDie(o);
    ASSERT_TRUE(node->Bootstrap().ok());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(node->Apply({StateOp::Put("s" + std::to_string(i), std::to_string(i))}).ok());
    }
  }
  std::uintmax_t snapshot_bytes = 0;
  int snapshots = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/raft")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("snapshot-", 0) == 0 && name.find(".meta") == std::string::npos) {
      ++snapshots;
      snapshot_bytes += entry.file_size();
    }
  }
  EXPECT_GE(snapshots, 1);
  // A snapshot is a manifest, whatever the size of the state.
  EXPECT_LT(snapshot_bytes, 200u * static_cast<unsigned>(snapshots));
  {
    auto node = OpenOrDie(o);
    ASSERT_TRUE(node->Start().ok());
    ASSERT_TRUE(node->WaitUntilLeader(std::chrono::seconds(10)));
    ASSERT_TRUE(node->Barrier().ok());
    for (int i = 0; i < 40; ++i) {
      EXPECT_EQ(ValueAt(*node, "s" + std::to_string(i)), std::to_string(i));
    }
  }
  // The store is the only copy of the state: a lone node that lost it has
  // no one to fetch it from, and refuses to start rather than serve less.
  std::filesystem::remove_all(dir.path() + "/state");
  auto node = OpenOrDie(o);
  EXPECT_FALSE(node->Start().ok());
}

TEST(NodeTest, ConcurrentWritersShareGroupCommits) {
  TempDirForTest dir;
  auto node = OpenOrDie(OptionsIn(dir.path()));
  ASSERT_TRUE(node->Bootstrap().ok());
  std::uint64_t commits_before = node->group_commits();
  constexpr int kThreads = 32;
  constexpr int kWrites = 20;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = "w" + std::to_string(t) + "/" + std::to_string(i);
        if (!node->Apply({StateOp::Put(key, key)}).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    std::string key = "w" + std::to_string(t) + "/" + std::to_string(kWrites - 1);
    EXPECT_EQ(ValueAt(*node, key), key);
  }
  std::uint64_t commits = node->group_commits() - commits_before;
  EXPECT_LT(commits, static_cast<std::uint64_t>(kThreads * kWrites));
}

TEST(NodeTest, AfterCloseEverythingFailsCleanly) {
  TempDirForTest dir;
  auto node = OpenOrDie(OptionsIn(dir.path()));
  ASSERT_TRUE(node->Bootstrap().ok());
  node->Close();
  node->Close();
  EXPECT_EQ(node->Apply({StateOp::Put("a", "1")}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(node->Barrier().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tresor::raft

namespace tresor::raft {
namespace {

TEST(NodeTest, SnapshotsComeByBytesAndKeepOnlyTheTrailingBytesOfLog) {
  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.snapshot_threshold = 100000;  // never reached: the bytes decide
  o.trailing_logs = 100000;
  o.snapshot_threshold_bytes = 1 << 20;
  o.trailing_logs_bytes = 256 << 10;
  auto node = OpenOrDie(o);
  ASSERT_TRUE(node->Bootstrap().ok());
  const std::string value(64 << 10, 'v');
  for (int i = 0; i < 48; ++i) {
    ASSERT_TRUE(node->Apply({StateOp::Put("big" + std::to_string(i), value)}).ok());
  }
  // 3 MiB written: snapshots every 16 entries of 64 KiB, each keeping the
  // 3 entries behind it that fit 256 KiB (without the byte limits libraft
  // would hold all 49).
  EXPECT_TRUE(Eventually([&] { return node->GetStatus().log_entries <= 16 + 3; }))
      << node->GetStatus().log_entries << " entries in the log";
  for (int i = 0; i < 48; ++i) EXPECT_EQ(ValueAt(*node, "big" + std::to_string(i)), value);
}

TEST(NodeTest, ARestartReplaysOnlyTheLogBehindTheLastSnapshot) {
  TempDirForTest dir;
  NodeOptions o = OptionsIn(dir.path());
  o.snapshot_threshold = 16;
  o.trailing_logs = 4;
  constexpr int kWrites = 300;
  {
    auto node = OpenOrDie(o);
    ASSERT_TRUE(node->Bootstrap().ok());
    for (int i = 0; i < kWrites; ++i) {
      ASSERT_TRUE(node->Apply({StateOp::Put("r" + std::to_string(i), "v")}).ok());
    }
    EXPECT_GE(node->entries_applied(), static_cast<std::uint64_t>(kWrites));
  }
  auto node = OpenOrDie(o);
  ASSERT_TRUE(node->Start().ok());
  ASSERT_TRUE(node->WaitUntilLeader(std::chrono::seconds(10)));
  ASSERT_TRUE(node->Barrier().ok());
  // At most the entries after the snapshot (threshold) and the ones it kept
  // (trailing), plus this term's barrier: not the 300 writes.
  EXPECT_LE(node->entries_applied(), 16u + 4u + 2u);
  EXPECT_EQ(ValueAt(*node, "r0"), "v");
  EXPECT_EQ(ValueAt(*node, "r299"), "v");
}

using ClusterTest = NodeClusterForTest;

// Snapshots every few entries, so that a follower that misses some is
// behind the leader's log and needs the state itself.
class SnapshottingClusterTest : public ClusterTest {
 protected:
  SnapshottingClusterTest() {
    snapshot_threshold_ = 16;
    trailing_logs_ = 4;
  }
};

TEST_F(SnapshottingClusterTest, AWipedFollowerFetchesTheLeadersStateOverTheClusterPort) {
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("before", "1")}).ok());
  ASSERT_TRUE(Eventually([&] { return ValueAt(*nodes_[2], "before") == "1"; }));
  nodes_[2]->Close();
  nodes_[2].reset();
  std::filesystem::remove_all(dirs_[2].path() + "/raft");
  std::filesystem::remove_all(dirs_[2].path() + "/state");

  // Well past threshold + trailing: the leader's log no longer reaches back.
  const std::string value(2000, 'v');
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("k" + std::to_string(100 + i), value)}).ok());
  }
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Delete("before")}).ok());

  nodes_[2] = OpenOrDie(options_[2]);
  EXPECT_EQ(nodes_[2]->state_installs(), 0u);
  nodes_[2]->SetClusterKey(kClusterKey);
  ASSERT_TRUE(nodes_[2]->SetClusterTls(ClusterTlsRecord()).ok());
  ASSERT_TRUE(nodes_[2]->StartJoining().ok());
  ASSERT_TRUE(Eventually([&] { return ValueAt(*nodes_[2], "k179") == value; }));
  // Counted once the install returns, a moment after its data is visible.
  EXPECT_TRUE(Eventually([&] { return nodes_[2]->state_installs() >= 1; }));
  for (int i = 0; i < 80; ++i) EXPECT_EQ(ValueAt(*nodes_[2], "k" + std::to_string(100 + i)), value);
  EXPECT_EQ(ValueAt(*nodes_[2], "before"), "<absent>");

  // Plain replication resumes after the install, and the follower's copy
  // survives its restart.
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("after", "2")}).ok());
  ASSERT_TRUE(Eventually([&] { return ValueAt(*nodes_[2], "after") == "2"; }));
  nodes_[2]->Close();
  nodes_[2] = OpenOrDie(options_[2]);
  EXPECT_EQ(ValueAt(*nodes_[2], "after"), "2");
  EXPECT_EQ(ValueAt(*nodes_[2], "k150"), value);
}

// The second join is asked while the leader still promotes the first
// joiner, and libraft refuses it ("a configuration change is already in
// progress"); the join waits its turn instead of failing (SetUp asserts that
// both joins succeed).
class SlowPromotionClusterTest : public ClusterTest {
 protected:
  SlowPromotionClusterTest() { silent_first_joiner_ = true; }
};

TEST_F(SlowPromotionClusterTest, ASecondJoinWaitsForTheFirstJoinersPromotion) {
  EXPECT_EQ(Voters(*nodes_[0]), 3);
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("k", "v")}).ok());
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] { return ValueAt(*nodes_[i], "k") == "v"; }));
  }
}

TEST_F(ClusterTest, JoinedNodesReplicateAndRefuseWritesAsFollowers) {
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("shared", "v1")}).ok());
  for (int i = 1; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] { return ValueAt(*nodes_[i], "shared") == "v1"; }));
    EXPECT_EQ(nodes_[i]->Apply({StateOp::Put("x", "y")}).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(nodes_[i]->GetStatus().leader_id, 1u);
  }
}

TEST_F(ClusterTest, LeaderLossElectsANewLeaderThatHasEveryAcknowledgedWrite) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("k" + std::to_string(i), "v")}).ok());
  }
  nodes_[0]->Close();
  nodes_[0].reset();
  ASSERT_TRUE(Eventually([&] { return LeaderIndex() > 0; }));
  Node& leader = *nodes_[LeaderIndex()];
  ASSERT_TRUE(leader.Barrier().ok());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ValueAt(leader, "k" + std::to_string(i)), "v");
  EXPECT_TRUE(leader.Apply({StateOp::Put("after", "failover")}).ok());
  // The old leader comes back as a follower and catches up.
  nodes_[0] = OpenOrDie(options_[0]);
  nodes_[0]->SetClusterKey(kClusterKey);
  ASSERT_TRUE(nodes_[0]->SetClusterTls(ClusterTlsRecord()).ok());
  ASSERT_TRUE(nodes_[0]->Start().ok());
  EXPECT_TRUE(Eventually([&] { return ValueAt(*nodes_[0], "after") == "failover"; }));
  EXPECT_NE(nodes_[0]->GetStatus().role, Role::kLeader);
}

TEST_F(ClusterTest, TransferMovesLeadershipAndRemoveShrinksTheCluster) {
  ASSERT_TRUE(nodes_[0]->TransferLeadership(0).ok());
  ASSERT_TRUE(Eventually([&] { return LeaderIndex() > 0; }));
  int leader = LeaderIndex();
  EXPECT_EQ(nodes_[leader]->RemoveServer(99).code(), StatusCode::kNotFound);
  int other = leader == 1 ? 2 : 1;
  Status removed = nodes_[leader]->RemoveServer(options_[other].id);
  ASSERT_TRUE(removed.ok()) << removed.message();
  EXPECT_EQ(nodes_[leader]->GetStatus().configuration.size(), 2u);
  EXPECT_TRUE(nodes_[leader]->Apply({StateOp::Put("two", "nodes")}).ok());
  EXPECT_EQ(nodes_[other]->AddServer(5, "127.0.0.1:1").code(), StatusCode::kFailedPrecondition);
}

TEST_F(ClusterTest, RecoverAfterQuorumLossMakesTheSurvivorServeWithEveryWrite) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("k" + std::to_string(i), "v")}).ok());
  }
  // The survivor must hold every acknowledged write before the others die.
  ASSERT_TRUE(Eventually([&] { return ValueAt(*nodes_[2], "k4") == "v"; }));
  nodes_[0]->Close();
  nodes_[1]->Close();
  nodes_[2]->Close();

  // Bad calls change nothing.
  nodes_[2] = OpenOrDie(options_[2]);
  EXPECT_EQ(nodes_[2]->Recover({}).code(), StatusCode::kInvalidArgument);
  ServerInfo self{options_[2].id, options_[2].cluster_address, true};
  EXPECT_EQ(nodes_[2]->Recover({self, self}).code(), StatusCode::kInvalidArgument);
  TempDirForTest pristine_dir;
  NodeOptions pristine = OptionsIn(pristine_dir.path());
  EXPECT_EQ(OpenOrDie(pristine)->Recover({self}).code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(nodes_[2]->Recover({self}).ok());
  nodes_[2]->Close();
  nodes_[2] = OpenOrDie(options_[2]);
  nodes_[2]->SetClusterKey(kClusterKey);
  ASSERT_TRUE(nodes_[2]->SetClusterTls(ClusterTlsRecord()).ok());
  ASSERT_TRUE(nodes_[2]->Start().ok());
  EXPECT_EQ(nodes_[2]->Recover({self}).code(), StatusCode::kFailedPrecondition);  // running
  ASSERT_TRUE(nodes_[2]->WaitUntilLeader(std::chrono::seconds(10)));
  EXPECT_EQ(nodes_[2]->GetStatus().configuration.size(), 1u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ValueAt(*nodes_[2], "k" + std::to_string(i)), "v");
  EXPECT_TRUE(nodes_[2]->Apply({StateOp::Put("after", "recovery")}).ok());
}

TEST_F(ClusterTest, ADeposedLeaderRefusesReadsOnceItsLeaseRunsOut) {
  ASSERT_TRUE(nodes_[0]->Apply({StateOp::Put("k", "v")}).ok());
  EXPECT_TRUE(nodes_[0]->ConfirmLeadershipForRead().ok());
  EXPECT_EQ(nodes_[1]->ConfirmLeadershipForRead().code(), StatusCode::kFailedPrecondition);
  // Cut the leader off from its majority; the lease is at most 90% of the
  // 300 ms election timeout from the last commit, so this wait outlives it
  // (the wait is the point of the test, not a stand-in for a condition).
  nodes_[1]->Close();
  nodes_[2]->Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Status confirmed = nodes_[0]->ConfirmLeadershipForRead();
  EXPECT_FALSE(confirmed.ok());
  EXPECT_TRUE(Eventually([&] { return nodes_[0]->GetStatus().role != Role::kLeader; }));
  EXPECT_FALSE(nodes_[0]->ConfirmLeadershipForRead().ok());
}

TEST_F(ClusterTest, AnIdleLeaderRenewsItsLeaseWithABarrier) {
  const std::uint64_t before = nodes_[0]->GetStatus().last_index;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // lets the lease run out
  ASSERT_TRUE(nodes_[0]->ConfirmLeadershipForRead().ok());
  const std::uint64_t after = nodes_[0]->GetStatus().last_index;
  EXPECT_GT(after, before);  // a barrier entry renewed it
  ASSERT_TRUE(nodes_[0]->ConfirmLeadershipForRead().ok());
  EXPECT_EQ(nodes_[0]->GetStatus().last_index, after);  // within the lease: no entry
}

TEST_F(ClusterTest, WithOtherMembersARestoreGoesThroughTheLog) {
  const int leader = LeaderIndex();
  ASSERT_GE(leader, 0);
  EXPECT_EQ(nodes_[leader]->BeginDirectStaging(1).status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tresor::raft

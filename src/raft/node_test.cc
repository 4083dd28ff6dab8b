#include "raft/node.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "storage/file/temp_dir_for_test.h"

namespace tresor::raft {
namespace {

using storage::TempDirForTest;

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

TEST(NodeTest, RestartKeepsEveryAcknowledgedWriteAndLeadsAgain) {
  TempDirForTest dir;
  std::uint64_t applied = 0;
  {
    auto node = OpenOrDie(OptionsIn(dir.path()));
    ASSERT_TRUE(node->Bootstrap().ok());
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(node->Apply({StateOp::Put("k" + std::to_string(i), std::to_string(i))}).ok());
    }
    applied = node->state().AppliedIndex();
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
  EXPECT_GT(node->state().AppliedIndex(), applied);
}

TEST(NodeTest, SnapshotsTruncateTheLogAndRestartRestoresState) {
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
  bool has_snapshot = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/raft")) {
    has_snapshot = has_snapshot || entry.path().filename().string().rfind("snapshot-", 0) == 0;
  }
  EXPECT_TRUE(has_snapshot);
  // Losing the state store entirely: raft rebuilds it from snapshot + log.
  std::filesystem::remove_all(dir.path() + "/state");
  auto node = OpenOrDie(o);
  ASSERT_TRUE(node->Start().ok());
  ASSERT_TRUE(node->WaitUntilLeader(std::chrono::seconds(10)));
  ASSERT_TRUE(node->Barrier().ok());
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ValueAt(*node, "s" + std::to_string(i)), std::to_string(i));
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

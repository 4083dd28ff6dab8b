// RaftHA: raft leadership as the HA lock, on a real one-node RaftBackend and
// on three real raft::Nodes over loopback.
#include "storage/raft/raft_ha.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "raft/node_cluster_for_test.h"
#include "storage/raft/one_node_for_test.h"
#include "storage/raft/raft_backend.h"

namespace tresor::storage {
namespace {

using raft::Eventually;

class RaftHAOneNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = RaftBackend::Open(OneNodeRaftOptionsForTest(dir_.path()));
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = std::move(backend).value();
    ha_ = backend_->AsHA();
    ASSERT_NE(ha_, nullptr);
  }

  TempDirForTest dir_;
  std::unique_ptr<RaftBackend> backend_;
  HABackend* ha_ = nullptr;
};

TEST_F(RaftHAOneNodeTest, APristineNodeNeverLeadsSoAcquireWaitsUntilStopped) {
  std::stop_source stop;
  auto waiting = std::async(std::launch::async, [&] {
    return ha_->Acquire("core/lock", "node1", [] {}, stop.get_token());
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  stop.request_stop();
  auto acquired = waiting.get();
  EXPECT_EQ(acquired.status().code(), StatusCode::kUnavailable);
  auto holder = ha_->Holder("core/lock");
  ASSERT_TRUE(holder.ok());
  EXPECT_FALSE(holder->has_value());
}

TEST_F(RaftHAOneNodeTest, TheLeaderHoldsTheLockForItsTermAndCannotReleaseItAlone) {
  ASSERT_TRUE(backend_->Put("first", "write").ok());  // bootstraps a one-node cluster
  bool lost = false;
  auto acquired = ha_->Acquire("core/lock", "node1", [&] { lost = true; }, {});
  ASSERT_TRUE(acquired.ok()) << acquired.status().ToString();
  HALock& lock = **acquired;
  EXPECT_TRUE(lock.Held());
  EXPECT_TRUE(lock.fences_writes());
  EXPECT_EQ(lock.holder_id(), std::to_string(backend_->raft_id()));
  auto holder = ha_->Holder("core/lock");
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->holder_id, lock.holder_id());
  EXPECT_EQ((*holder)->epoch, lock.epoch());
  EXPECT_GT(lock.epoch(), 0u);
  EXPECT_TRUE(lock.ConfirmHeld().ok());
  // One tenure at a time.
  EXPECT_EQ(ha_->Acquire("core/lock", "node1", [] {}, {}).status().code(),
            StatusCode::kFailedPrecondition);
  Status released = lock.Release();
  EXPECT_EQ(released.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(released.message().find("only voter"), std::string::npos) << released.message();
  EXPECT_TRUE(lock.Held());
  EXPECT_FALSE(lost);
  // A tenure given up (destroyed) can be taken again.
  acquired->reset();
  auto again = ha_->Acquire("core/lock", "node1", [] {}, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE((*again)->Held());
}

class RaftHAClusterTest : public raft::NodeClusterForTest {
 protected:
  void SetUp() override {
    NodeClusterForTest::SetUp();
    for (int i = 0; i < 3; ++i) {
      has_[i] = std::make_unique<RaftHA>(*nodes_[i], options_[i].id,
                                         std::chrono::milliseconds(300));
    }
  }
  void TearDown() override {
    for (auto& ha : has_) ha.reset();  // before the nodes they listen to
  }

  std::unique_ptr<RaftHA> has_[3];
};

TEST_F(RaftHAClusterTest, LosingTheMajorityEndsTheTenureAndCallsOnLostOnce) {
  std::atomic<int> lost{0};
  auto acquired = has_[0]->Acquire("core/lock", "n1", [&] { ++lost; }, {});
  ASSERT_TRUE(acquired.ok()) << acquired.status().ToString();
  HALock& lock = **acquired;
  ASSERT_TRUE(lock.ConfirmHeld().ok());
  // A follower asks who holds the lock and hears the leader's tenure.
  auto holder = has_[1]->Holder("core/lock");
  ASSERT_TRUE(Eventually([&] {
    holder = has_[1]->Holder("core/lock");
    return holder.ok() && holder->has_value() && (*holder)->epoch == lock.epoch();
  }));
  EXPECT_EQ((*holder)->holder_id, lock.holder_id());

  nodes_[1]->Close();
  nodes_[2]->Close();
  ASSERT_TRUE(Eventually([&] { return lost.load() == 1; }));
  EXPECT_FALSE(lock.Held());
  EXPECT_EQ(lock.ConfirmHeld().code(), StatusCode::kUnavailable);
  EXPECT_EQ(lost.load(), 1);
}

TEST_F(RaftHAClusterTest, ReleaseHandsTheLockToAnotherNodeInALaterTermWithoutOnLost) {
  std::atomic<int> lost{0};
  auto first = has_[0]->Acquire("core/lock", "n1", [&] { ++lost; }, {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::uint64_t first_epoch = (*first)->epoch();
  ASSERT_TRUE((*first)->Release().ok());
  EXPECT_FALSE((*first)->Held());

  // Whichever node leads now takes the lock, in a later term.
  std::stop_source stop;
  auto contend = [&](int i) {
    return std::async(std::launch::async, [&, i] {
      return has_[i]->Acquire("core/lock", "n", [] {}, stop.get_token());
    });
  };
  auto second = contend(1);
  auto third = contend(2);
  ASSERT_TRUE(Eventually([&] {
    return second.wait_for(std::chrono::seconds(0)) == std::future_status::ready ||
           third.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }));
  stop.request_stop();
  auto a = second.get();
  auto b = third.get();
  ASSERT_NE(a.ok(), b.ok()) << "exactly one node holds the lock";
  const HALock& winner = a.ok() ? **a : **b;
  EXPECT_GT(winner.epoch(), first_epoch);
  EXPECT_TRUE(winner.Held());
  EXPECT_EQ(lost.load(), 0);
}

}  // namespace
}  // namespace tresor::storage

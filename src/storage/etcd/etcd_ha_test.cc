#include "storage/etcd/etcd_ha.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "storage/etcd/etcd_server_for_test.h"

namespace tresor::storage {
namespace {

using namespace std::chrono_literals;

// Revokes the lease named by a holder_id (hex), as an operator or an
// expiry would end it.
void RevokeLeaseForTest(const std::string& holder_id) {
  auto client = EtcdClient::Create(EtcdTestOptions("/unused/"));
  ASSERT_TRUE(client.ok());
  std::uint64_t id = std::stoull(holder_id, nullptr, 16);
  auto revoked = (*client)->Call("/v3/lease/revoke", {{"ID", std::to_string(id)}});
  ASSERT_TRUE(revoked.ok()) << revoked.status().message();
}

template <typename Predicate>
bool EventuallyForTest(Predicate done, std::chrono::milliseconds within = 10s) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

TEST(EtcdHA, OnlyWithHaEnabled) {
  auto plain = OpenEtcdForTest("/h-plain/");
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(plain->AsHA(), nullptr);
}

TEST(EtcdHA, TwoContendAndExactlyOneHolds) {
  auto a = OpenEtcdForTest("/h-two/", true);
  auto b = OpenEtcdForTest("/h-two/", true);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::stop_source stop_a, stop_b;
  auto lock_a = a->AsHA()->Acquire("core/lock", "node-a", [] {}, stop_a.get_token());
  ASSERT_TRUE(lock_a.ok()) << lock_a.status().message();
  EXPECT_TRUE((*lock_a)->Held());
  EXPECT_TRUE((*lock_a)->fences_writes());
  EXPECT_TRUE((*lock_a)->ConfirmHeld().ok());
  auto waiting = std::async(std::launch::async, [&] {
    return b->AsHA()->Acquire("core/lock", "node-b", [] {}, stop_b.get_token());
  });
  EXPECT_EQ(waiting.wait_for(1s), std::future_status::timeout);
  // Both see a as the holder.
  for (Backend* node : {a.get(), b.get()}) {
    ASSERT_TRUE(EventuallyForTest([&] {
      auto holder = node->AsHA()->Holder("core/lock");
      return holder.ok() && holder->has_value() &&
             (*holder)->holder_id == (*lock_a)->holder_id() &&
             (*holder)->epoch == (*lock_a)->epoch();
    }));
  }
  // The lease outlives several TTLs while kept alive.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE((*lock_a)->Held());
  EXPECT_EQ(waiting.wait_for(0s), std::future_status::timeout);
  stop_b.request_stop();
  auto b_result = waiting.get();
  EXPECT_EQ(b_result.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE((*lock_a)->Held());
}

TEST(EtcdHA, LosingTheLeaseCallsOnLostOnceAndFencesWrites) {
  auto a = OpenEtcdForTest("/h-lost/", true);
  auto b = OpenEtcdForTest("/h-lost/", true);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::atomic<int> lost_calls{0};
  auto lock_a = a->AsHA()->Acquire("core/lock", "node-a", [&] { ++lost_calls; },
                                   std::stop_token());
  ASSERT_TRUE(lock_a.ok()) << lock_a.status().message();
  ASSERT_TRUE(a->Put("data", "from-a").ok());
  auto waiting = std::async(std::launch::async, [&] {
    return b->AsHA()->Acquire("core/lock", "node-b", [] {}, std::stop_token());
  });
  RevokeLeaseForTest((*lock_a)->holder_id());
  auto lock_b = waiting.get();
  ASSERT_TRUE(lock_b.ok()) << lock_b.status().message();
  EXPECT_GT((*lock_b)->epoch(), (*lock_a)->epoch());
  // Whether or not a has noticed yet, its write is refused by etcd.
  Status late = a->Put("data", "late-from-a");
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition) << late.message();
  EXPECT_EQ(**b->Get("data"), "from-a");
  ASSERT_TRUE(EventuallyForTest([&] { return lost_calls.load() == 1; }));
  EXPECT_FALSE((*lock_a)->Held());
  EXPECT_FALSE((*lock_a)->ConfirmHeld().ok());
  EXPECT_EQ(a->Batch({Operation::Put("data", "x"), Operation::Delete("other")}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->Delete("data").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(**b->Get("data"), "from-a");
  EXPECT_TRUE(b->Put("data", "from-b").ok());
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(lost_calls.load(), 1);
}

TEST(EtcdHA, ReleaseLetsTheOtherTakeItWithALargerEpoch) {
  auto a = OpenEtcdForTest("/h-release/", true);
  auto b = OpenEtcdForTest("/h-release/", true);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::atomic<int> lost_calls{0};
  auto lock_a = a->AsHA()->Acquire("core/lock", "node-a", [&] { ++lost_calls; },
                                   std::stop_token());
  ASSERT_TRUE(lock_a.ok());
  auto waiting = std::async(std::launch::async, [&] {
    return b->AsHA()->Acquire("core/lock", "node-b", [] {}, std::stop_token());
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE((*lock_a)->Release().ok());
  EXPECT_FALSE((*lock_a)->Held());
  auto lock_b = waiting.get();
  ASSERT_TRUE(lock_b.ok());
  EXPECT_GT((*lock_b)->epoch(), (*lock_a)->epoch());
  EXPECT_NE((*lock_b)->holder_id(), (*lock_a)->holder_id());
  EXPECT_EQ(lost_calls.load(), 0);
  // a stepped down: its writes are refused until it holds again.
  EXPECT_EQ(a->Put("k", "v").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(b->Put("k", "v").ok());
  // b's tenure ends when its lock is destroyed; a takes over after its
  // hold-off and writes again.
  std::stop_source stop;
  auto again = std::async(std::launch::async, [&] {
    return a->AsHA()->Acquire("core/lock", "node-a", [] {}, stop.get_token());
  });
  const std::uint64_t epoch_b = (*lock_b)->epoch();
  lock_b->reset();
  auto lock_a2 = again.get();
  ASSERT_TRUE(lock_a2.ok()) << lock_a2.status().message();
  EXPECT_GT((*lock_a2)->epoch(), epoch_b);
  EXPECT_TRUE(a->Put("k", "v2").ok());
  // b's lock is gone: b is a plain standby again, whose writes go through.
  EXPECT_TRUE(b->Put("k", "v3").ok());
}

TEST(EtcdHA, DestroyingAHeldLockFreesIt) {
  auto a = OpenEtcdForTest("/h-destroy/", true);
  ASSERT_NE(a, nullptr);
  auto lock = a->AsHA()->Acquire("core/lock", "node-a", [] {}, std::stop_token());
  ASSERT_TRUE(lock.ok());
  lock->reset();
  ASSERT_TRUE(EventuallyForTest([&] {
    auto holder = a->AsHA()->Holder("core/lock");
    return holder.ok() && !holder->has_value();
  }));
}

}  // namespace
}  // namespace tresor::storage

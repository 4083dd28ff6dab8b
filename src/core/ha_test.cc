// core::Ha on the HA interface alone: two Cores on one in-memory storage,
// each with a fake HA backend sharing one lock (storage/fake_ha_for_test.h),
// so nothing here knows raft. Waits poll a condition with real time: the
// contender is a thread of its own.
#include <gtest/gtest.h>

#include <thread>

#include "core/core.h"
#include "storage/fake_ha_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

template <typename Predicate>
bool WithinSeconds(Predicate predicate, int seconds = 10) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polls a condition
  }
  return predicate();
}

Request MakeRequest(Operation op, std::string path, std::string token,
                    nlohmann::json data = nullptr) {
  Request r;
  r.operation = op;
  r.path = std::move(path);
  r.client_token = std::move(token);
  r.data = std::move(data);
  return r;
}

class HaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = a_.Handle(MakeRequest(Operation::kUpdate, "sys/init", "",
                                      {{"secret_shares", 1}, {"secret_threshold", 1}}));
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    key_ = init->data["keys_base64"][0];
    root_ = init->data["root_token"];
  }
  void Unseal(Core& core) {
    auto r = core.Handle(MakeRequest(Operation::kUpdate, "sys/unseal", "", {{"key", key_}}));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(r->data["sealed"].get<bool>());
  }
  static CoreOptions Options(const std::string& api_addr) {
    return CoreOptions{.storage_type = "inmem", .cluster_name = "", .api_addr = api_addr,
                       .cluster_addr = api_addr + "/cluster"};
  }
  Request KvRead() const { return MakeRequest(Operation::kRead, "sys/mounts", root_); }

  storage::InmemBackend data_;
  storage::FakeHAArbiter arbiter_;
  storage::DataWithFakeHA a_storage_{data_, arbiter_, "a"};
  storage::DataWithFakeHA b_storage_{data_, arbiter_, "b"};
  FakeClock clock_;
  Core a_{a_storage_, clock_, Options("http://a:8200")};
  Core b_{b_storage_, clock_, Options("http://b:8200")};
  std::string key_;
  std::string root_;
};

TEST_F(HaTest, TheLockHolderBecomesActiveAndTheOtherForwardsToItsRecordedAddress) {
  EXPECT_TRUE(a_.ha().enabled());
  EXPECT_FALSE(a_.ha().IsActive());  // sealed nodes do not contend
  Unseal(a_);
  ASSERT_TRUE(WithinSeconds([&] { return a_.ha().IsActive(); }));
  EXPECT_TRUE(a_.ha().LockHeld());
  LeaderInfo leader = a_.ha().Leader();
  EXPECT_TRUE(leader.ha_enabled);
  EXPECT_TRUE(leader.is_self);
  EXPECT_EQ(leader.leader_address, "http://a:8200");
  EXPECT_EQ(a_.ForwardTarget(KvRead()), std::nullopt);
  EXPECT_TRUE(a_.Handle(KvRead()).ok());

  Unseal(b_);
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsStandby(); }));
  EXPECT_FALSE(b_.ha().IsActive());
  EXPECT_EQ(b_.ForwardTarget(KvRead()), "http://a:8200");
  EXPECT_EQ(b_.ha().Leader().leader_address, "http://a:8200");
  EXPECT_FALSE(b_.ha().Leader().is_self);
  // Every node answers these itself.
  EXPECT_EQ(b_.ForwardTarget(MakeRequest(Operation::kRead, "sys/health", "")), std::nullopt);
  // A request forwarded to a node that does not hold the lock is sent back.
  Request forwarded = KvRead();
  forwarded.forwarded = true;
  EXPECT_EQ(b_.ForwardTarget(forwarded), "");
}

TEST_F(HaTest, ALostLockMakesTheActiveAStandbyAtOnceAndTheOtherTakesOver) {
  Unseal(a_);
  ASSERT_TRUE(WithinSeconds([&] { return a_.ha().IsActive(); }));
  Unseal(b_);
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsStandby(); }));
  auto before = a_storage_.AsHA()->Holder("core/lock");
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_EQ((*before)->holder_id, "a");

  arbiter_.LoseCurrentForTest();
  // on_lost returned: a no longer serves as active, before its contender
  // even woke up.
  EXPECT_FALSE(a_.ha().IsActive());
  EXPECT_FALSE(a_.ha().LockHeld());
  EXPECT_NE(a_.ForwardTarget(KvRead()), std::nullopt);
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsActive(); }));
  auto holder = b_storage_.AsHA()->Holder("core/lock");
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->holder_id, "b");
  EXPECT_GT((*holder)->epoch, (*before)->epoch);
  // a follows b once b recorded itself; the record of the lost tenure
  // (a's own) is never taken for b's.
  ASSERT_TRUE(WithinSeconds([&] {
    return a_.ha().IsStandby() && a_.ForwardTarget(KvRead()) == "http://b:8200";
  }));
  EXPECT_EQ(a_.ha().Leader().leader_address, "http://b:8200");
  EXPECT_TRUE(b_.Handle(KvRead()).ok());
}

TEST_F(HaTest, AReadIsRefusedWhenTheTenureCannotBeConfirmed) {
  Unseal(a_);
  ASSERT_TRUE(WithinSeconds([&] { return a_.ha().IsActive(); }));
  arbiter_.SetConfirmForTest(UnavailableError("the lease ran out"));
  Status confirmed = a_.ha().ConfirmActiveForRequest();
  EXPECT_EQ(confirmed.code(), StatusCode::kUnavailable);
  EXPECT_NE(confirmed.message().find("the lease ran out"), std::string::npos);
  EXPECT_EQ(a_.Handle(KvRead()).status().code(), StatusCode::kUnavailable);
  arbiter_.SetConfirmForTest(Status::Ok());
  EXPECT_TRUE(a_.Handle(KvRead()).ok());
}

TEST_F(HaTest, StepDownReleasesTheLockAndOnlyTheActiveMayStepDown) {
  Unseal(a_);
  ASSERT_TRUE(WithinSeconds([&] { return a_.ha().IsActive(); }));
  Unseal(b_);
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsStandby(); }));
  EXPECT_EQ(b_.ha().StepDown().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(a_.ha().StepDown().ok());
  EXPECT_EQ(arbiter_.releases(), 1);
  EXPECT_FALSE(a_.ha().IsActive());
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsActive(); }));
}

TEST_F(HaTest, SealingTheActiveGivesTheLockUp) {
  Unseal(a_);
  ASSERT_TRUE(WithinSeconds([&] { return a_.ha().IsActive(); }));
  Unseal(b_);
  ASSERT_TRUE(a_.lifecycle().Seal().ok());
  ASSERT_TRUE(WithinSeconds([&] { return !a_.ha().IsActive(); }));
  ASSERT_TRUE(WithinSeconds([&] { return b_.ha().IsActive(); }));
  EXPECT_FALSE(a_.ha().LockHeld());
}

TEST(HaOffTest, StorageWithoutAnHALockIsAlwaysActive) {
  storage::InmemBackend data;
  FakeClock clock;
  Core core{data, clock, CoreOptions{.storage_type = "inmem", .cluster_name = ""}};
  EXPECT_FALSE(core.ha().enabled());
  EXPECT_TRUE(core.ha().IsActive());
  EXPECT_FALSE(core.ha().IsStandby());
  EXPECT_FALSE(core.ha().Leader().ha_enabled);
  EXPECT_TRUE(core.ha().StepDown().ok());  // Vault: a no-op without HA
}

}  // namespace
}  // namespace tresor::core

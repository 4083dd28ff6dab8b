#include "storage/postgresql/postgresql_ha.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "storage/postgresql/postgres_for_test.h"
#include "storage/postgresql/postgresql_backend.h"

namespace tresor::storage {
namespace {

using std::chrono::milliseconds;

class PostgreSQLHATest : public ::testing::Test {
 protected:
  void SetUp() override { url_ = PostgresForTest::Get().FreshDatabaseUrl(); }

  std::unique_ptr<PostgreSQLBackend> OpenNode() {
    PostgreSQLOptions options;
    options.connection_url = url_;
    options.ha_enabled = true;
    options.lock_ttl = milliseconds(2000);
    options.lock_renew_interval = milliseconds(300);
    options.lock_retry_interval = milliseconds(100);
    options.release_holdoff = milliseconds(300);
    auto opened = PostgreSQLBackend::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    return std::move(opened).value();
  }
  std::unique_ptr<PgConnection> Sql() {
    auto conn = PgConnection::Connect(url_);
    EXPECT_TRUE(conn.ok());
    return std::move(conn).value();
  }
  static StatusOr<std::unique_ptr<HALock>> AcquireWithin(PostgreSQLBackend& node,
                                                         milliseconds wait,
                                                         std::function<void()> on_lost = {}) {
    std::stop_source stop;
    std::jthread timer([&stop, wait](std::stop_token cancel) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, cancel, wait, [] { return false; })) stop.request_stop();
    });
    auto lock = node.AsHA()->Acquire(PostgreSQLHA::kFencedLock, "node", std::move(on_lost),
                                     stop.get_token());
    timer.request_stop();
    return lock;
  }
  static bool WaitFor(const std::function<bool()>& done, milliseconds limit = milliseconds(8000)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  }

  std::string url_;
};

TEST_F(PostgreSQLHATest, TwoNodesContendAndExactlyOneHolds) {
  auto a = OpenNode();
  auto b = OpenNode();
  auto held = AcquireWithin(*a, milliseconds(5000));
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_TRUE((*held)->Held());
  EXPECT_TRUE((*held)->fences_writes());
  EXPECT_EQ((*held)->epoch(), 0u);
  EXPECT_TRUE((*held)->ConfirmHeld().ok());
  auto refused = AcquireWithin(*b, milliseconds(1000));
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  // Both report A's tenure (B from its poll).
  const std::string id = (*held)->holder_id();
  EXPECT_TRUE(WaitFor([&] {
    auto seen = b->AsHA()->Holder(PostgreSQLHA::kFencedLock);
    return seen.ok() && seen->has_value() && (*seen)->holder_id == id;
  }));
  auto own = a->AsHA()->Holder(PostgreSQLHA::kFencedLock);
  ASSERT_TRUE(own.ok() && own->has_value());
  EXPECT_EQ((*own)->holder_id, id);
  // The holder's data writes pass its own fence; B's are refused.
  EXPECT_TRUE(a->Put("k", "a").ok());
  EXPECT_EQ(b->Put("k", "b").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->Get("k").value().value_or(""), "a");
}

TEST_F(PostgreSQLHATest, WritesPassWhenNobodyHoldsTheLock) {
  auto a = OpenNode();
  EXPECT_TRUE(a->Put("core/seal-config", "x").ok());
  auto holder = a->AsHA()->Holder(PostgreSQLHA::kFencedLock);
  ASSERT_TRUE(holder.ok());
  EXPECT_FALSE(holder->has_value());
}

TEST_F(PostgreSQLHATest, LosingTheRowCallsOnLostOnce) {
  auto a = OpenNode();
  std::atomic<int> lost{0};
  auto held = AcquireWithin(*a, milliseconds(5000), [&lost] { ++lost; });
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(Sql()->Exec("DELETE FROM vault_ha_locks").ok());
  EXPECT_TRUE(WaitFor([&] { return lost.load() > 0; }));
  std::this_thread::sleep_for(milliseconds(700));  // several renew intervals
  EXPECT_EQ(lost.load(), 1);
  EXPECT_FALSE((*held)->Held());
  EXPECT_EQ((*held)->ConfirmHeld().code(), StatusCode::kUnavailable);
}

TEST_F(PostgreSQLHATest, ReleaseLetsTheOtherNodeTakeIt) {
  auto a = OpenNode();
  auto b = OpenNode();
  std::atomic<int> lost{0};
  auto held = AcquireWithin(*a, milliseconds(5000), [&lost] { ++lost; });
  ASSERT_TRUE(held.ok());
  auto waiting = std::async(std::launch::async, [&] { return AcquireWithin(*b, milliseconds(8000)); });
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE((*held)->Release().ok());
  EXPECT_FALSE((*held)->Held());
  auto taken = waiting.get();
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  EXPECT_NE((*taken)->holder_id(), (*held)->holder_id());
  EXPECT_EQ(lost.load(), 0);  // a release is not a loss
  // Destroying the held lock deletes its row: A can take it again.
  taken->reset();
  auto again = AcquireWithin(*a, milliseconds(5000));
  EXPECT_TRUE(again.ok()) << again.status().message();
}

TEST_F(PostgreSQLHATest, ConfirmHeldEndsWhenRenewalsStop) {
  auto a = OpenNode();
  auto held = AcquireWithin(*a, milliseconds(5000));
  ASSERT_TRUE(held.ok());
  a->ha_for_test()->SetRenewalsPausedForTest(true);
  // ttl - ttl/3 = 1.33 s after the last acknowledged renewal.
  EXPECT_TRUE(WaitFor([&] { return !(*held)->ConfirmHeld().ok(); }, milliseconds(3000)));
  EXPECT_EQ((*held)->ConfirmHeld().code(), StatusCode::kUnavailable);
}

TEST_F(PostgreSQLHATest, ADeposedHoldersWritesAreRefusedAndLeaveNothing) {
  auto a = OpenNode();
  auto b = OpenNode();
  std::atomic<int> lost{0};
  auto first = AcquireWithin(*a, milliseconds(5000), [&lost] { ++lost; });
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(a->Put("before", "a").ok());
  // A stops renewing (a stalled process); its row expires in the database.
  a->ha_for_test()->SetRenewalsPausedForTest(true);
  ASSERT_TRUE(Sql()->Exec("UPDATE vault_ha_locks SET valid_until = now() - interval '1 second'").ok());
  auto second = AcquireWithin(*b, milliseconds(5000));
  ASSERT_TRUE(second.ok()) << second.status().message();
  Status put = a->Put("after", "a");
  EXPECT_EQ(put.code(), StatusCode::kFailedPrecondition) << put.message();
  EXPECT_EQ(a->Batch({Operation::Put("after2", "a"), Operation::Delete("before")}).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(a->Delete("before").code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(b->Get("after").value().has_value());
  EXPECT_FALSE(b->Get("after2").value().has_value());
  EXPECT_TRUE(b->Get("before").value().has_value());
  EXPECT_TRUE(b->Put("after", "b").ok());
  // A learns of it from its deadline: on_lost once.
  EXPECT_TRUE(WaitFor([&] { return lost.load() > 0; }));
  EXPECT_FALSE((*first)->Held());
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(lost.load(), 1);
}

TEST_F(PostgreSQLHATest, ATakeoverWaitsForAWriteInFlight) {
  auto a = OpenNode();
  auto b = OpenNode();
  // A write transaction that passed its fence check (nobody held the lock)
  // and has not committed: B's takeover must wait for it, so that the write
  // cannot land after B's Acquire returned.
  auto sql = Sql();
  ASSERT_TRUE(sql->Exec("BEGIN").ok());
  ASSERT_TRUE(a->ha_for_test()->CheckFence(*sql).ok());
  auto taking = std::async(std::launch::async, [&] { return AcquireWithin(*b, milliseconds(8000)); });
  EXPECT_EQ(taking.wait_for(milliseconds(700)), std::future_status::timeout);
  ASSERT_TRUE(sql->Exec("INSERT INTO vault_kv_store VALUES ('', '/', 'racing', 'x')").ok());
  ASSERT_TRUE(sql->Exec("COMMIT").ok());
  auto taken = taking.get();
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  EXPECT_TRUE(b->Get("racing").value().has_value());
}

}  // namespace
}  // namespace tresor::storage

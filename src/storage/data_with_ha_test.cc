// WithHAFrom / DataWithHA: the ha_storage stanza's composition.
#include "storage/data_with_ha.h"

#include <gtest/gtest.h>

#include "storage/factory.h"
#include "storage/fake_ha_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::storage {
namespace {

TEST(DataWithHATest, DataGoesToOneBackendAndTheLockComesFromTheOther) {
  FakeHAArbiter arbiter;
  InmemBackend lock_data;
  auto data = std::make_unique<InmemBackend>();
  InmemBackend* data_seen = data.get();
  DataWithHA both(std::move(data), std::make_unique<DataWithFakeHA>(lock_data, arbiter, "n"));
  ASSERT_TRUE(both.Put("k", "v").ok());
  EXPECT_EQ(data_seen->Get("k")->value_or(""), "v");
  EXPECT_FALSE(lock_data.Get("k")->has_value());
  ASSERT_NE(both.AsHA(), nullptr);
  auto lock = both.AsHA()->Acquire("core/lock", "n", [] {}, {});
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ((*lock)->holder_id(), "n");
  EXPECT_TRUE(both.Close().ok());
}

TEST(DataWithHATest, WithHAFromRefusesABackendWithoutALockOrDataWithItsOwn) {
  auto refused = WithHAFrom(std::make_unique<InmemBackend>(), "inmem", {});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "ha_storage \"inmem\" offers no HA lock");

  FakeHAArbiter arbiter;
  InmemBackend data;
  refused = WithHAFrom(std::make_unique<DataWithFakeHA>(data, arbiter, "n"), "inmem", {});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("high availability of its own"), std::string::npos);

  EXPECT_EQ(WithHAFrom(std::make_unique<InmemBackend>(), "consul", {}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::storage

// The lifecycle with an auto seal, driven by a fake provider: init with
// recovery keys, auto-unseal, a provider that is down, recovery keys as the
// quorum key, and a migration in both directions.
#include <gtest/gtest.h>

#include <atomic>

#include "common/aes_gcm.h"
#include "common/random.h"
#include "core/lifecycle.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

// Wraps with AES-GCM under its own key; can be switched off.
class FakeWrapper final : public seal::KeyWrapper {
 public:
  explicit FakeWrapper(std::string type) : type_(std::move(type)) {}
  std::string Type() const override { return type_; }
  StatusOr<std::string> Wrap(const SecureBytes& key) override {
    if (!up) return UnavailableError("fake provider is down");
    ++calls;
    return AesGcmSeal(key_, key, type_);
  }
  StatusOr<SecureBytes> Unwrap(std::string_view blob) override {
    if (!up) return UnavailableError("fake provider is down");
    ++calls;
    auto opened = AesGcmOpenSecure(key_, blob, type_);
    if (!opened.ok()) return InvalidArgumentError("not wrapped by this fake");
    return opened;
  }
  std::atomic<bool> up{true};
  std::atomic<int> calls{0};

 private:
  std::string type_;
  SecureBytes key_ = RandomSecureBytes(32);
};

class LifecycleSealsTest : public ::testing::Test {
 protected:
  storage::InmemBackend physical_;
  FakeClock clock_;
  std::shared_ptr<FakeWrapper> transit_ = std::make_shared<FakeWrapper>("transit");
  std::shared_ptr<FakeWrapper> kms_ = std::make_shared<FakeWrapper>("awskms");
};

TEST_F(LifecycleSealsTest, InitWrapsThroughTheProviderAndUnsealsWithoutShares) {
  Lifecycle lc(physical_, clock_, "");
  lc.SetSeals(transit_, nullptr);
  transit_->up = false;
  auto refused = lc.Initialize({.recovery_shares = 3, .recovery_threshold = 2});
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(*lc.Initialized());  // nothing written
  transit_->up = true;
  auto init = lc.Initialize({.recovery_shares = 3, .recovery_threshold = 2});
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  EXPECT_TRUE(init->key_shares.empty());
  EXPECT_EQ(init->recovery_shares.size(), 3u);
  EXPECT_FALSE(lc.Sealed());
  auto status = lc.GetSealStatus();
  EXPECT_EQ(status->type, "transit");
  EXPECT_TRUE(status->recovery_seal);
  EXPECT_EQ(status->threshold, 2);

  ASSERT_TRUE(lc.Seal().ok());
  transit_->up = false;
  EXPECT_EQ(lc.AutoUnseal().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(lc.Sealed());
  // Key shares do not open an auto-sealed server.
  EXPECT_EQ(lc.SubmitUnsealShare(init->recovery_shares[0]).status().code(),
            StatusCode::kFailedPrecondition);
  transit_->up = true;
  ASSERT_TRUE(lc.AutoUnseal().ok());
  EXPECT_FALSE(lc.Sealed());
}

TEST_F(LifecycleSealsTest, TheRecoveryKeyIsTheQuorumKey) {
  Lifecycle lc(physical_, clock_, "");
  lc.SetSeals(transit_, nullptr);
  auto init = lc.Initialize({.recovery_shares = 1, .recovery_threshold = 1});
  ASSERT_TRUE(init.ok());
  // A 1-of-1 share carries the key itself before its x coordinate.
  SecureBytes recovery(init->recovery_shares[0].begin(), init->recovery_shares[0].end() - 1);
  EXPECT_TRUE(lc.CheckQuorumKey(recovery).ok());
  EXPECT_EQ(lc.CheckQuorumKey(RandomSecureBytes(32)).code(), StatusCode::kInvalidArgument);
}

TEST_F(LifecycleSealsTest, MigrationKeepsTheSharesInBothDirections) {
  std::vector<SecureBytes> shares;
  {
    Lifecycle shamir(physical_, clock_, "");
    auto init = shamir.Initialize({.secret_shares = 1, .secret_threshold = 1});
    ASSERT_TRUE(init.ok());
    shares = init->key_shares;
  }
  {
    // Shamir -> transit: the unseal key becomes the recovery key.
    Lifecycle lc(physical_, clock_, "");
    lc.SetSeals(transit_, nullptr);
    EXPECT_TRUE(lc.GetSealStatus()->migration);
    EXPECT_EQ(lc.AutoUnseal().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(lc.SubmitUnsealShare(shares[0]).status().code(), StatusCode::kFailedPrecondition);
    auto migrated = lc.SubmitUnsealShare(shares[0], /*migrate=*/true);
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    EXPECT_FALSE(migrated->sealed);
    EXPECT_FALSE(migrated->migration);
    EXPECT_EQ(migrated->type, "transit");
  }
  {
    Lifecycle lc(physical_, clock_, "");
    lc.SetSeals(transit_, nullptr);
    ASSERT_TRUE(lc.AutoUnseal().ok());
  }
  {
    // transit -> awskms needs the old block, disabled.
    Lifecycle lc(physical_, clock_, "");
    lc.SetSeals(kms_, nullptr);
    EXPECT_EQ(lc.SubmitUnsealShare(shares[0], true).status().code(),
              StatusCode::kFailedPrecondition);
  }
  {
    Lifecycle lc(physical_, clock_, "");
    lc.SetSeals(nullptr, transit_);  // transit -> Shamir
    ASSERT_TRUE(lc.SubmitUnsealShare(shares[0], true).ok());
    EXPECT_EQ(lc.GetSealStatus()->type, "shamir");
  }
  Lifecycle lc(physical_, clock_, "");
  auto unsealed = lc.SubmitUnsealShare(shares[0]);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  EXPECT_FALSE(unsealed->sealed);
}

}  // namespace
}  // namespace tresor::core

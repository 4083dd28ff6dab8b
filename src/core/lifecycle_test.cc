#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

class LifecycleTest : public ::testing::Test {
 protected:
  storage::InmemBackend physical_;
  FakeClock clock_;
};

TEST_F(LifecycleTest, InitLeavesSealedAndThresholdSharesUnseal) {
  Lifecycle lc(physical_, clock_, "");
  EXPECT_FALSE(*lc.Initialized());
  auto init = lc.Initialize({.secret_shares = 5, .secret_threshold = 3});
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  EXPECT_EQ(init->key_shares.size(), 5u);
  EXPECT_TRUE(*lc.Initialized());
  EXPECT_TRUE(lc.Sealed());

  auto s1 = lc.SubmitUnsealShare(init->key_shares[4]);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->progress, 1);
  EXPECT_FALSE(s1->nonce.empty());
  // The same share again is not counted twice.
  auto again = lc.SubmitUnsealShare(init->key_shares[4]);
  EXPECT_EQ(again->progress, 1);
  EXPECT_EQ(again->nonce, s1->nonce);
  EXPECT_EQ(lc.SubmitUnsealShare(init->key_shares[0])->progress, 2);
  auto done = lc.SubmitUnsealShare(init->key_shares[2]);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(done->sealed);
  EXPECT_EQ(done->progress, 0);
  EXPECT_FALSE(done->cluster_id.empty());
  EXPECT_TRUE(done->cluster_name.rfind("tresor-cluster-", 0) == 0);
}

TEST_F(LifecycleTest, SecondInitIsRefused) {
  Lifecycle lc(physical_, clock_, "");
  ASSERT_TRUE(lc.Initialize({.secret_shares = 1, .secret_threshold = 1}).ok());
  EXPECT_EQ(lc.Initialize({.secret_shares = 1, .secret_threshold = 1}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LifecycleTest, SealConfigValidationFollowsVault) {
  Lifecycle lc(physical_, clock_, "");
  struct Case { int shares, threshold; };
  for (auto c : {Case{0, 1}, Case{256, 3}, Case{3, 0}, Case{3, 4}, Case{3, 1}}) {
    EXPECT_EQ(lc.Initialize({.secret_shares = c.shares, .secret_threshold = c.threshold}).status().code(),
              StatusCode::kInvalidArgument)
        << c.shares << "/" << c.threshold;
  }
  EXPECT_FALSE(*lc.Initialized());
}

TEST_F(LifecycleTest, WrongSharesResetProgressAndStaySealed) {
  storage::InmemBackend other_physical;
  Lifecycle other(other_physical, clock_, "");
  auto foreign = other.Initialize({.secret_shares = 3, .secret_threshold = 2});
  Lifecycle lc(physical_, clock_, "");
  auto init = lc.Initialize({.secret_shares = 3, .secret_threshold = 2});
  ASSERT_TRUE(lc.SubmitUnsealShare(init->key_shares[0]).ok());
  auto bad = lc.SubmitUnsealShare(foreign->key_shares[1]);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("reset"), std::string::npos);
  EXPECT_TRUE(lc.Sealed());
  EXPECT_EQ(lc.GetSealStatus()->progress, 0);
  // Valid shares still work afterwards.
  ASSERT_TRUE(lc.SubmitUnsealShare(init->key_shares[0]).ok());
  EXPECT_FALSE(lc.SubmitUnsealShare(init->key_shares[2])->sealed);
}

TEST_F(LifecycleTest, ShareOfWrongLengthIsRefusedWithoutProgress) {
  Lifecycle lc(physical_, clock_, "");
  ASSERT_TRUE(lc.Initialize({.secret_shares = 1, .secret_threshold = 1}).ok());
  EXPECT_EQ(lc.SubmitUnsealShare(ToSecureBytes("short")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(lc.GetSealStatus()->progress, 0);
}

TEST_F(LifecycleTest, UnsealBeforeInitIsAFailedPrecondition) {
  Lifecycle lc(physical_, clock_, "");
  EXPECT_EQ(lc.SubmitUnsealShare(SecureBytes(33, 1)).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(LifecycleTest, RotationAndRootTokenSurviveRestart) {
  std::vector<SecureBytes> shares;
  std::string root;
  {
    Lifecycle lc(physical_, clock_, "");
    auto init = lc.Initialize({.secret_shares = 1, .secret_threshold = 1});
    shares = init->key_shares;
    root = init->root_token;
    ASSERT_FALSE(lc.SubmitUnsealShare(shares[0])->sealed);
    ASSERT_TRUE(lc.Barrier().Put("app/secret", "v1").ok());
    EXPECT_EQ(lc.Rotate()->term, 2u);
    ASSERT_TRUE(lc.Barrier().Put("app/later", "v2").ok());
  }
  Lifecycle restarted(physical_, clock_, "");
  EXPECT_TRUE(*restarted.Initialized());
  EXPECT_TRUE(restarted.Sealed());
  ASSERT_FALSE(restarted.SubmitUnsealShare(shares[0])->sealed);
  EXPECT_EQ(restarted.KeyStatus()->term, 2u);
  EXPECT_EQ(**restarted.Barrier().Get("app/secret"), "v1");
  EXPECT_EQ(**restarted.Barrier().Get("app/later"), "v2");
  auto entry = restarted.Tokens().Lookup(root);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_TRUE((*entry)->IsRoot());
}

TEST_F(LifecycleTest, NothingSecretIsStoredInPlaintext) {
  Lifecycle lc(physical_, clock_, "");
  auto init = lc.Initialize({.secret_shares = 3, .secret_threshold = 2});
  auto keys = storage::ListRecursive(physical_, "");
  ASSERT_TRUE(keys.ok());
  ASSERT_FALSE(keys->empty());
  for (const auto& key : *keys) {
    std::string value = **physical_.Get(key);
    EXPECT_EQ(key.find(init->root_token), std::string::npos);
    EXPECT_EQ(value.find(init->root_token), std::string::npos) << key;
    for (const auto& share : init->key_shares) {
      std::string_view y = AsStringView(share).substr(0, 32);
      EXPECT_EQ(value.find(y.substr(0, 8)), std::string::npos) << key;
    }
  }
}

TEST_F(LifecycleTest, SealWipesAccessAndUnsealRestoresIt) {
  Lifecycle lc(physical_, clock_, "");
  auto init = lc.Initialize({.secret_shares = 1, .secret_threshold = 1});
  ASSERT_FALSE(lc.SubmitUnsealShare(init->key_shares[0])->sealed);
  ASSERT_TRUE(lc.Seal().ok());
  EXPECT_TRUE(lc.Sealed());
  EXPECT_EQ(lc.Barrier().Get("anything").status().code(), StatusCode::kSealed);
  EXPECT_EQ(lc.Tokens().Lookup(init->root_token).status().code(), StatusCode::kSealed);
  EXPECT_FALSE(lc.SubmitUnsealShare(init->key_shares[0])->sealed);
  EXPECT_TRUE(lc.Tokens().Lookup(init->root_token)->has_value());
}

TEST_F(LifecycleTest, ConcurrentUnsealSubmissionsCountEachShareOnce) {
  Lifecycle lc(physical_, clock_, "");
  auto init = lc.Initialize({.secret_shares = 5, .secret_threshold = 5});
  std::vector<std::thread> threads;
  for (int copy = 0; copy < 3; ++copy) {
    for (int i = 0; i < 5; ++i) {
      threads.emplace_back([&, i] { (void)lc.SubmitUnsealShare(init->key_shares[i]); });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(lc.Sealed());
}

// An init interrupted at any storage operation leaves a server that is not
// initialised, and a later init succeeds and unseals.
TEST_F(LifecycleTest, InterruptedInitAtEveryStepIsRecoverable) {
  for (std::size_t step = 0; step < 40; ++step) {
    storage::InmemBackend physical;
    storage::FaultInjectingBackend faulty(&physical);
    faulty.FailAfterOperations(step);
    bool succeeded;
    {
      Lifecycle lc(faulty, clock_, "");
      succeeded = lc.Initialize({.secret_shares = 1, .secret_threshold = 1}).ok();
    }
    faulty.ClearFaults();
    Lifecycle lc(faulty, clock_, "");
    if (succeeded) {
      EXPECT_TRUE(*lc.Initialized());
      break;
    }
    ASSERT_FALSE(*lc.Initialized()) << "step " << step;
    auto init = lc.Initialize({.secret_shares = 1, .secret_threshold = 1});
    ASSERT_TRUE(init.ok()) << "step " << step << ": " << init.status().ToString();
    EXPECT_FALSE(lc.SubmitUnsealShare(init->key_shares[0])->sealed) << "step " << step;
  }
}

TEST_F(LifecycleTest, StorageFailureDuringUnsealKeepsSealed) {
  storage::FaultInjectingBackend faulty(&physical_);
  Lifecycle lc(faulty, clock_, "");
  auto init = lc.Initialize({.secret_shares = 1, .secret_threshold = 1});
  faulty.SetFailReads(true);
  EXPECT_FALSE(lc.SubmitUnsealShare(init->key_shares[0]).ok());
  faulty.SetFailReads(false);
  EXPECT_TRUE(lc.Sealed());
  EXPECT_FALSE(lc.SubmitUnsealShare(init->key_shares[0])->sealed);
}

}  // namespace
}  // namespace tresor::core

#include "seal/metered_key_wrapper.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tresor::seal {
namespace {

// A provider that answers as the test tells it, and counts its calls.
class ScriptedProvider final : public KeyWrapper {
 public:
  std::string Type() const override { return "transit"; }
  StatusOr<std::string> Wrap(const SecureBytes& key) override {
    ++wraps;
    if (!reachable) return UnavailableError("transit server unreachable");
    return std::string("wrapped");
  }
  StatusOr<SecureBytes> Unwrap(std::string_view blob) override {
    ++unwraps;
    if (blob != "wrapped") return InvalidArgumentError("not a blob of this provider");
    if (!reachable) return UnavailableError("transit server unreachable");
    return SecureBytes(32);
  }

  bool reachable = true;
  int wraps = 0;
  int unwraps = 0;
};

class MeteredKeyWrapperTest : public ::testing::Test {
 protected:
  MeteredKeyWrapperTest() {
    auto provider = std::make_unique<ScriptedProvider>();
    provider_ = provider.get();
    wrapper_ = std::make_unique<MeteredKeyWrapper>(std::move(provider), false, registry_, clock_);
  }

  uint64_t CounterValue(const char* name) { return registry_.GetCounter(name, "").Value(); }

  metrics::Registry registry_{"host"};
  FakeClock clock_;
  ScriptedProvider* provider_ = nullptr;
  std::unique_ptr<MeteredKeyWrapper> wrapper_;
};

TEST_F(MeteredKeyWrapperTest, CountsAndTimesCallsUnderVaultNames) {
  ASSERT_TRUE(wrapper_->Wrap(SecureBytes(32)).ok());
  ASSERT_TRUE(wrapper_->Unwrap("wrapped").ok());
  provider_->reachable = false;
  EXPECT_FALSE(wrapper_->Wrap(SecureBytes(32)).ok());
  EXPECT_FALSE(wrapper_->Unwrap("wrapped").ok());

  EXPECT_EQ(CounterValue("vault.seal.encrypt"), 2u);
  EXPECT_EQ(CounterValue("vault.seal.decrypt"), 2u);
  EXPECT_EQ(CounterValue("vault.seal.transit.encrypt.error"), 1u);
  EXPECT_EQ(CounterValue("vault.seal.transit.decrypt.error"), 1u);
  EXPECT_EQ(registry_.GetSummary("vault.seal.encrypt.time", "").Read().count, 2u);
  EXPECT_EQ(registry_.GetSummary("vault.seal.decrypt.time", "").Read().count, 2u);
}

TEST_F(MeteredKeyWrapperTest, HealthFollowsTheLastCallWithoutProbingWhileRecent) {
  ASSERT_TRUE(wrapper_->Unwrap("wrapped").ok());
  EXPECT_EQ(wrapper_->Health(), 1);
  EXPECT_EQ(provider_->wraps, 0) << "a recent call needs no probe";

  provider_->reachable = false;
  EXPECT_FALSE(wrapper_->Unwrap("wrapped").ok());
  EXPECT_EQ(wrapper_->Health(), 0);
  EXPECT_EQ(provider_->wraps, 0);
}

TEST_F(MeteredKeyWrapperTest, ProbesWhenTheLastCallIsOld) {
  ASSERT_TRUE(wrapper_->Unwrap("wrapped").ok());
  clock_.Advance(MeteredKeyWrapper::kProbeWhenHealthy);
  provider_->reachable = false;
  EXPECT_EQ(wrapper_->Health(), 0) << "the probe found the provider gone";
  EXPECT_EQ(provider_->wraps, 1);

  // Failing: probed again after the shorter interval, and recovers.
  provider_->reachable = true;
  clock_.Advance(MeteredKeyWrapper::kProbeWhenFailing - std::chrono::seconds(1));
  EXPECT_EQ(wrapper_->Health(), 0);
  EXPECT_EQ(provider_->wraps, 1);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(wrapper_->Health(), 1);
  EXPECT_EQ(provider_->wraps, 2);
}

TEST_F(MeteredKeyWrapperTest, NeverCalledProbesAtOnce) {
  EXPECT_EQ(wrapper_->Health(), 1);
  EXPECT_EQ(provider_->wraps, 1);
}

TEST_F(MeteredKeyWrapperTest, ForeignBlobSaysNothingOfHealth) {
  ASSERT_TRUE(wrapper_->Unwrap("wrapped").ok());
  EXPECT_EQ(wrapper_->Unwrap("something else").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrapper_->Health(), 1);
}

TEST_F(MeteredKeyWrapperTest, HealthGaugeIsExportedWithItsLabels) {
  ASSERT_TRUE(wrapper_->Unwrap("wrapped").ok());
  const std::string text = registry_.RenderPrometheus(std::chrono::steady_clock::now());
  EXPECT_NE(text.find("# TYPE tresor_seal_healthy gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("disabled=\"false\""), std::string::npos) << text;
  EXPECT_NE(text.find("seal_type=\"transit\"} 1"), std::string::npos) << text;

  wrapper_.reset();
  const std::string after = registry_.RenderPrometheus(std::chrono::steady_clock::now());
  EXPECT_EQ(after.find("seal_healthy"), std::string::npos) << "gone with the wrapper";
}

}  // namespace
}  // namespace tresor::seal

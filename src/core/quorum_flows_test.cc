// Rekey and generate-root through the core's sys/ endpoints, on in-memory
// storage: the quorum flows end to end, and their bad input.
#include <gtest/gtest.h>

#include "common/token_otp.h"
#include "core/core.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

using nlohmann::json;

class QuorumFlowsTest : public ::testing::Test {
 protected:
  StatusOr<Response> Call(Operation op, std::string path, json data = nullptr,
                          std::string token = "") {
    Request r;
    r.operation = op;
    r.path = std::move(path);
    r.data = std::move(data);
    r.client_token = std::move(token);
    return core_.Handle(r);
  }
  // Initialises with 5 shares, threshold 3, and unseals.
  void SetUp() override {
    auto init = Call(Operation::kUpdate, "sys/init", {{"secret_shares", 5}, {"secret_threshold", 3}});
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    for (const auto& k : init->data["keys"]) keys_.push_back(k);
    root_ = init->data["root_token"];
    ASSERT_TRUE(Unseal(keys_));
  }
  // Seals, then unseals with `keys` (threshold of them); whether it unsealed.
  bool Reseal(const std::vector<std::string>& keys) {
    EXPECT_TRUE(core_.lifecycle().Seal().ok());
    return Unseal(keys);
  }
  bool Unseal(const std::vector<std::string>& keys) {
    for (const auto& key : keys) {
      auto r = Call(Operation::kUpdate, "sys/unseal", {{"key", key}});
      if (!r.ok()) return false;
      if (!r->data["sealed"].get<bool>()) return true;
    }
    return false;
  }
  std::string RekeyNonce(int shares, int threshold, bool verify) {
    auto r = Call(Operation::kUpdate, "sys/rekey/init",
                  {{"secret_shares", shares}, {"secret_threshold", threshold},
                   {"require_verification", verify}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data["nonce"].get<std::string>() : "";
  }
  // Gives the first 3 current keys; the last answer.
  StatusOr<Response> GiveCurrentKeys(const std::string& nonce) {
    StatusOr<Response> r = InvalidArgumentError("no key given");
    for (int i = 0; i < 3; ++i) {
      r = Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[i]}, {"nonce", nonce}});
      if (!r.ok()) return r;
    }
    return r;
  }
  static std::vector<std::string> Strings(const json& array) {
    return array.get<std::vector<std::string>>();
  }

  storage::InmemBackend physical_;
  FakeClock clock_;
  Core core_{physical_, clock_, CoreOptions{.storage_type = "inmem", .cluster_name = ""}};
  std::vector<std::string> keys_;
  std::string root_;
};

TEST_F(QuorumFlowsTest, RekeyReplacesTheSharesAndTheOldOnesStopWorking) {
  auto status = Call(Operation::kRead, "sys/rekey/init");
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->data["started"].get<bool>());
  EXPECT_EQ(status->data["required"], 3);

  std::string nonce = RekeyNonce(3, 2, false);
  auto first = Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", nonce}});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->data["complete"].get<bool>());
  EXPECT_EQ(first->data["progress"], 1);
  EXPECT_EQ(first->data["n"], 3);
  EXPECT_EQ(first->data["t"], 2);
  auto done = Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[1]}, {"nonce", nonce}});
  ASSERT_TRUE(done.ok());
  done = Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[2]}, {"nonce", nonce}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(done->data["complete"].get<bool>());
  auto fresh = Strings(done->data["keys"]);
  ASSERT_EQ(fresh.size(), 3u);
  EXPECT_EQ(done->data["keys_base64"].size(), 3u);

  auto seal = Call(Operation::kRead, "sys/seal-status");
  EXPECT_EQ(seal->data["n"], 3);
  EXPECT_EQ(seal->data["t"], 2);
  EXPECT_FALSE(Call(Operation::kRead, "sys/rekey/init")->data["started"].get<bool>());
  EXPECT_FALSE(Reseal({keys_[0], keys_[1], keys_[2]}));
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/unseal", {{"reset", true}}).ok());
  EXPECT_TRUE(Unseal({fresh[2], fresh[0]}));
  // The data and the root token are untouched.
  EXPECT_TRUE(Call(Operation::kRead, "sys/key-status", nullptr, root_).ok());
}

TEST_F(QuorumFlowsTest, VerifiedRekeyTakesEffectOnlyOnceTheNewSharesComeBack) {
  std::string nonce = RekeyNonce(3, 2, true);
  auto done = GiveCurrentKeys(nonce);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(done->data["complete"].get<bool>());
  EXPECT_TRUE(done->data["verification_required"].get<bool>());
  std::string verify_nonce = done->data["verification_nonce"];
  auto fresh = Strings(done->data["keys"]);
  // Not in effect yet.
  EXPECT_EQ(Call(Operation::kRead, "sys/seal-status")->data["n"], 5);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[3]}, {"nonce", nonce}})
                .status().code(),
            StatusCode::kFailedPrecondition);

  auto vstatus = Call(Operation::kRead, "sys/rekey/verify");
  ASSERT_TRUE(vstatus.ok());
  EXPECT_EQ(vstatus->data["nonce"], verify_nonce);
  EXPECT_EQ(vstatus->data["t"], 2);
  // An old share does not verify: two of them combine into the wrong key.
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rekey/verify", {{"key", keys_[0]}, {"nonce", verify_nonce}}).ok());
  auto wrong = Call(Operation::kUpdate, "sys/rekey/verify", {{"key", keys_[1]}, {"nonce", verify_nonce}});
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kRead, "sys/seal-status")->data["n"], 5);
  // DELETE restarts the verification with a new nonce.
  auto restarted = Call(Operation::kDelete, "sys/rekey/verify");
  ASSERT_TRUE(restarted.ok());
  std::string second_nonce = restarted->data["nonce"];
  EXPECT_NE(second_nonce, verify_nonce);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/rekey/verify", {{"key", fresh[0]}, {"nonce", verify_nonce}})
                .status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rekey/verify", {{"key", fresh[0]}, {"nonce", second_nonce}}).ok());
  auto verified = Call(Operation::kUpdate, "sys/rekey/verify", {{"key", fresh[1]}, {"nonce", second_nonce}});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->data["complete"].get<bool>());
  EXPECT_EQ(Call(Operation::kRead, "sys/seal-status")->data["n"], 3);
  EXPECT_TRUE(Reseal({fresh[1], fresh[2]}));
}

TEST_F(QuorumFlowsTest, CancelledVerifiedRekeyLeavesTheOldShares) {
  std::string nonce = RekeyNonce(3, 2, true);
  ASSERT_TRUE(GiveCurrentKeys(nonce).ok());
  EXPECT_EQ(Call(Operation::kDelete, "sys/rekey/init", {{"nonce", "not-the-nonce"}}).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(Call(Operation::kDelete, "sys/rekey/init", {{"nonce", nonce}}).ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/rekey/verify").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Reseal({keys_[4], keys_[3], keys_[2]}));
}

TEST_F(QuorumFlowsTest, RekeyRefusesBadInputAndChangesNothing) {
  auto refused = [&](Operation op, const std::string& path, json body) {
    return Call(op, path, std::move(body)).status().code();
  };
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init", {{"secret_shares", 2}, {"secret_threshold", 3}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init", {{"secret_shares", 3}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init",
                    {{"secret_shares", 3}, {"secret_threshold", 2}, {"pgp_keys", {"a", "b", "c"}}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init",
                    {{"secret_shares", 3}, {"secret_threshold", 2}, {"shares", 4}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init",
                    {{"secret_shares", "three"}, {"secret_threshold", 2}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", "x"}}),
            StatusCode::kFailedPrecondition);

  std::string nonce = RekeyNonce(3, 2, false);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/init", {{"secret_shares", 4}, {"secret_threshold", 2}}),
            StatusCode::kFailedPrecondition);  // two rekeys at once
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", "wrong"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"nonce", nonce}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"key", "zz-not-a-key"}, {"nonce", nonce}}),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", nonce}}).ok());
  EXPECT_EQ(refused(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", nonce}}),
            StatusCode::kInvalidArgument);  // the same share twice

  // Shares of another server combine into a key that opens nothing here.
  storage::InmemBackend other_physical;
  Core other{other_physical, clock_, CoreOptions{.storage_type = "inmem", .cluster_name = ""}};
  Request init;
  init.operation = Operation::kUpdate;
  init.path = "sys/init";
  init.data = {{"secret_shares", 5}, {"secret_threshold", 3}};
  auto foreign = other.Handle(init);
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rekey/update", {{"key", foreign->data["keys"][1]}, {"nonce", nonce}}).ok());
  auto mixed = Call(Operation::kUpdate, "sys/rekey/update", {{"key", foreign->data["keys"][2]}, {"nonce", nonce}});
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mixed.status().message().find("progress has been reset"), std::string::npos);
  EXPECT_EQ(Call(Operation::kRead, "sys/rekey/init")->data["progress"], 0);
  EXPECT_TRUE(Reseal({keys_[0], keys_[1], keys_[2]}));
}

TEST_F(QuorumFlowsTest, ProgressEndsWithASealAndAfterAnHour) {
  std::string nonce = RekeyNonce(3, 2, false);
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rekey/update", {{"key", keys_[0]}, {"nonce", nonce}}).ok());
  ASSERT_TRUE(Reseal({keys_[0], keys_[1], keys_[2]}));
  EXPECT_FALSE(Call(Operation::kRead, "sys/rekey/init")->data["started"].get<bool>());

  auto attempt = Call(Operation::kUpdate, "sys/generate-root/attempt");
  ASSERT_TRUE(attempt.ok());
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_FALSE(Call(Operation::kRead, "sys/generate-root/attempt")->data["started"].get<bool>());
  EXPECT_EQ(Call(Operation::kUpdate, "sys/generate-root/update",
                 {{"key", keys_[0]}, {"nonce", attempt->data["nonce"]}}).status().code(),
            StatusCode::kFailedPrecondition);
  // Sealed: the flows answer 503.
  ASSERT_TRUE(core_.lifecycle().Seal().ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/rekey/init").status().code(), StatusCode::kSealed);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/generate-root/attempt").status().code(), StatusCode::kSealed);
}

TEST_F(QuorumFlowsTest, GenerateRootMintsAWorkingRootTokenEncodedWithTheOtp) {
  auto status = Call(Operation::kRead, "sys/generate-root/attempt");
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->data["started"].get<bool>());
  EXPECT_EQ(status->data["otp_length"], 28);

  auto attempt = Call(Operation::kUpdate, "sys/generate-root/attempt");
  ASSERT_TRUE(attempt.ok()) << attempt.status().ToString();
  std::string otp = attempt->data["otp"];
  std::string nonce = attempt->data["nonce"];
  ASSERT_EQ(otp.size(), 28u);
  EXPECT_EQ(Call(Operation::kRead, "sys/generate-root/attempt")->data["otp"], "");  // shown once
  EXPECT_EQ(Call(Operation::kUpdate, "sys/generate-root/attempt").status().code(),
            StatusCode::kFailedPrecondition);

  StatusOr<Response> r = InvalidArgumentError("none");
  for (int i = 0; i < 3; ++i) {
    r = Call(Operation::kUpdate, "sys/generate-root/update", {{"key", keys_[i + 1]}, {"nonce", nonce}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->data["complete"].get<bool>(), i == 2);
  }
  std::string encoded = r->data["encoded_token"];
  auto token = DecodeTokenWithOtp(encoded, otp);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->rfind("hvs.", 0), 0u);
  EXPECT_NE(*token, root_);
  EXPECT_TRUE(Call(Operation::kRead, "sys/key-status", nullptr, *token).ok());
  EXPECT_FALSE(Call(Operation::kRead, "sys/generate-root/attempt")->data["started"].get<bool>());
}

TEST_F(QuorumFlowsTest, GenerateRootRefusesBadInput) {
  auto code = [&](Operation op, const std::string& path, json body) {
    return Call(op, path, std::move(body)).status().code();
  };
  EXPECT_EQ(code(Operation::kUpdate, "sys/generate-root/attempt", {{"otp", "short"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Operation::kUpdate, "sys/generate-root/attempt", {{"pgp_key", "AAAA"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Operation::kUpdate, "sys/generate-root/update", {{"key", keys_[0]}, {"nonce", "n"}}),
            StatusCode::kFailedPrecondition);
  std::string own_otp(28, 'a');
  auto attempt = Call(Operation::kUpdate, "sys/generate-root/attempt", {{"otp", own_otp}});
  ASSERT_TRUE(attempt.ok());
  EXPECT_EQ(attempt->data["otp"], "");  // the caller's own OTP is not echoed
  std::string nonce = attempt->data["nonce"];
  EXPECT_EQ(code(Operation::kUpdate, "sys/generate-root/update", {{"key", keys_[0]}, {"nonce", "x"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Operation::kUpdate, "sys/generate-root/update",
                 {{"key", keys_[0]}, {"nonce", nonce}, {"extra", 1}}),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(Call(Operation::kDelete, "sys/generate-root/attempt").ok());
  EXPECT_FALSE(Call(Operation::kRead, "sys/generate-root/attempt")->data["started"].get<bool>());
}

}  // namespace
}  // namespace tresor::core

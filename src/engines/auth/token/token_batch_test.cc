#include "engines/auth/token/token_batch.h"

#include <gtest/gtest.h>

#include "common/aes_gcm.h"
#include "common/encoding.h"
#include "common/random.h"

namespace tresor::engines::token {
namespace {

// base64url without padding, as batch tokens are written.
std::string UrlSafe(std::string_view bytes) {
  std::string text = Base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

TokenEntry SampleEntry() {
  TokenEntry e;
  e.parent = "abc123";
  e.policies = {"default", "web"};
  e.meta = {{"user", "alice"}};
  e.display_name = "token-ci";
  e.creation_time = Clock::TimePoint(std::chrono::seconds(1767225600));
  e.ttl = std::chrono::seconds(3600);
  e.path = "auth/token/create/ci/v2";
  e.bound_cidrs = {"10.0.0.0/8", "192.0.2.1"};
  e.role = "ci";
  // Never carried by a batch token:
  e.accessor = "should-not-travel";
  e.num_uses = 7;
  e.renewable = true;
  return e;
}

class BatchTokenTest : public ::testing::Test {
 protected:
  SecureBytes key_ = RandomSecureBytes(kAesGcmKeySize);
};

TEST_F(BatchTokenTest, RoundTripCarriesTheEntry) {
  auto token = SealBatchToken(key_, SampleEntry());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(IsBatchToken(*token));
  // URL-safe and unpadded: usable in headers, JSON and query strings as is.
  EXPECT_EQ(token->find_first_of("+/= "), std::string::npos);

  auto entry = OpenBatchToken(key_, *token);
  ASSERT_TRUE(entry.has_value());
  TokenEntry want = SampleEntry();
  EXPECT_EQ(entry->type, "batch");
  EXPECT_EQ(entry->parent, want.parent);
  EXPECT_EQ(entry->policies, want.policies);
  EXPECT_EQ(entry->meta, want.meta);
  EXPECT_EQ(entry->display_name, want.display_name);
  EXPECT_EQ(entry->creation_time, want.creation_time);
  EXPECT_EQ(entry->ttl, want.ttl);
  EXPECT_EQ(entry->creation_ttl, want.ttl);
  EXPECT_EQ(entry->path, want.path);
  EXPECT_EQ(entry->bound_cidrs, want.bound_cidrs);
  EXPECT_EQ(entry->role, "ci");
  EXPECT_EQ(entry->accessor, "");
  EXPECT_EQ(entry->num_uses, 0);
  EXPECT_FALSE(entry->renewable);
  EXPECT_EQ(entry->id_hash, "");
}

TEST_F(BatchTokenTest, TwoSealsOfOneEntryDiffer) {
  auto a = SealBatchToken(key_, SampleEntry());
  auto b = SealBatchToken(key_, SampleEntry());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // fresh nonce each time
}

TEST_F(BatchTokenTest, EveryTamperedCharacterMakesAnUnknownToken) {
  auto token = SealBatchToken(key_, SampleEntry());
  ASSERT_TRUE(token.ok());
  for (std::size_t i = kBatchTokenPrefix.size(); i < token->size(); ++i) {
    std::string bad = *token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(OpenBatchToken(key_, bad).has_value()) << "position " << i;
  }
  EXPECT_FALSE(OpenBatchToken(key_, token->substr(0, token->size() - 1)).has_value());
  EXPECT_FALSE(OpenBatchToken(key_, *token + "A").has_value());
}

TEST_F(BatchTokenTest, AnotherKeyMakesAnUnknownToken) {
  auto token = SealBatchToken(key_, SampleEntry());
  ASSERT_TRUE(token.ok());
  SecureBytes other = RandomSecureBytes(kAesGcmKeySize);
  EXPECT_FALSE(OpenBatchToken(other, *token).has_value());
}

TEST_F(BatchTokenTest, GarbageIsAnUnknownTokenNeverACrash) {
  for (std::string bad : {std::string("hvb."), std::string("hvb.!!!!"), std::string("hvb.A"),
                          std::string("hvb.AAAA"), std::string("hvb.AA=="), std::string("hvb.+/+/"),
                          std::string("hvs.AAAAAAAA"), std::string("hvb.") + std::string(64, 'A'),
                          std::string("hvb.") + std::string(kMaxBatchTokenBytes, 'A')}) {
    EXPECT_FALSE(OpenBatchToken(key_, bad).has_value()) << bad.substr(0, 20);
  }
}

TEST_F(BatchTokenTest, AuthenticatedButForeignPlaintextIsRefused) {
  // Sealed under the right key and AAD but not a batch entry: what a later
  // format (or a bug) could produce must not be taken for a token.
  for (std::string plain : {std::string("not json"), std::string(R"({"v": 2})"),
                            std::string(R"({"v": 1, "policies": 5})")}) {
    auto sealed = AesGcmSeal(key_, plain, "tresor batch token v1");
    ASSERT_TRUE(sealed.ok());
    std::string token = "hvb." + UrlSafe(*sealed);
    EXPECT_FALSE(OpenBatchToken(key_, token).has_value()) << plain;
  }
}

TEST_F(BatchTokenTest, ATokenThatNeverExpiresIsRefused) {
  TokenEntry e = SampleEntry();
  e.ttl = std::chrono::seconds(0);
  auto token = SealBatchToken(key_, e);
  ASSERT_TRUE(token.ok());
  EXPECT_FALSE(OpenBatchToken(key_, *token).has_value());
}

TEST_F(BatchTokenTest, TooLargeEntryIsRefusedAtCreation) {
  TokenEntry e = SampleEntry();
  for (int i = 0; i < 2000; ++i) e.policies.push_back("policy-number-" + std::to_string(i));
  auto token = SealBatchToken(key_, e);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(token.status().message().find("fewer policies"), std::string::npos);
}

}  // namespace
}  // namespace tresor::engines::token

#include "common/aes_gcm.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/random.h"

namespace tresor {
namespace {

SecureBytes Key() { return RandomSecureBytes(kAesGcmKeySize); }

void ExpectAuthFailure(const StatusOr<std::string>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(result.status().message(), "ciphertext failed authentication");
}

TEST(AesGcmTest, RoundTripsPlaintextOfManySizes) {
  SecureBytes key = Key();
  for (std::size_t size : {0, 1, 15, 16, 17, 1000, 65537}) {
    std::string plaintext = RandomBytes(size);
    auto sealed = AesGcmSeal(key, plaintext, "aad");
    ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
    EXPECT_EQ(sealed->size(), size + kAesGcmOverhead);
    auto opened = AesGcmOpen(key, *sealed, "aad");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(AesGcmTest, SecureVariantsRoundTrip) {
  SecureBytes key = Key();
  SecureBytes secret = RandomSecureBytes(32);
  auto sealed = AesGcmSeal(key, secret, "wrap");
  ASSERT_TRUE(sealed.ok());
  auto opened = AesGcmOpenSecure(key, *sealed, "wrap");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, secret);
  auto wrong = AesGcmOpenSecure(key, *sealed, "other");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kCorruption);
}

TEST(AesGcmTest, CiphertextDoesNotContainPlaintext) {
  SecureBytes key = Key();
  std::string plaintext = "the quick brown fox jumps over the lazy dog";
  auto sealed = AesGcmSeal(key, plaintext, "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("quick brown"), std::string::npos);
}

TEST(AesGcmTest, NoncesAreFreshEachCall) {
  SecureBytes key = Key();
  std::set<std::string> nonces;
  for (int i = 0; i < 1000; ++i) {
    auto sealed = AesGcmSeal(key, "same plaintext", "same aad");
    ASSERT_TRUE(sealed.ok());
    nonces.insert(sealed->substr(0, kAesGcmNonceSize));
  }
  EXPECT_EQ(nonces.size(), 1000u);
}

TEST(AesGcmTest, EveryFlippedBitIsDetected) {
  SecureBytes key = Key();
  auto sealed = AesGcmSeal(key, "attack at dawn", "path/to/value");
  ASSERT_TRUE(sealed.ok());
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = *sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      ExpectAuthFailure(AesGcmOpen(key, tampered, "path/to/value"));
    }
  }
}

TEST(AesGcmTest, WrongAadIsRefused) {
  SecureBytes key = Key();
  auto sealed = AesGcmSeal(key, "value", "a/b");
  ASSERT_TRUE(sealed.ok());
  ExpectAuthFailure(AesGcmOpen(key, *sealed, "a/c"));
  ExpectAuthFailure(AesGcmOpen(key, *sealed, ""));
  ExpectAuthFailure(AesGcmOpen(key, *sealed, "a/b/"));
}

TEST(AesGcmTest, WrongKeyIsRefused) {
  auto sealed = AesGcmSeal(Key(), "value", "aad");
  ASSERT_TRUE(sealed.ok());
  ExpectAuthFailure(AesGcmOpen(Key(), *sealed, "aad"));
}

TEST(AesGcmTest, TruncatedOrExtendedInputIsRefused) {
  SecureBytes key = Key();
  auto sealed = AesGcmSeal(key, "value", "aad");
  ASSERT_TRUE(sealed.ok());
  for (std::size_t len = 0; len < sealed->size(); ++len) {
    ExpectAuthFailure(AesGcmOpen(key, sealed->substr(0, len), "aad"));
  }
  ExpectAuthFailure(AesGcmOpen(key, *sealed + "x", "aad"));
}

TEST(AesGcmTest, KeyOfWrongSizeIsInvalidArgument) {
  SecureBytes short_key = RandomSecureBytes(16);
  auto sealed = AesGcmSeal(short_key, "value", "");
  ASSERT_FALSE(sealed.ok());
  EXPECT_EQ(sealed.status().code(), StatusCode::kInvalidArgument);
  auto opened = AesGcmOpen(short_key, std::string(64, 'x'), "");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor

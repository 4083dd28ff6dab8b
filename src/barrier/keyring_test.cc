#include "barrier/keyring.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/encoding.h"

namespace tresor::barrier {
namespace {

std::string Text(const SecureBytes& bytes) { return std::string(AsStringView(bytes)); }

TEST(KeyringTest, TermsStartAtOneAndGrow) {
  FakeClock clock;
  Keyring keyring;
  EXPECT_TRUE(keyring.empty());
  EXPECT_EQ(keyring.ActiveTerm(), 0u);
  EXPECT_EQ(keyring.Find(1), nullptr);

  auto first = keyring.AddTerm(clock);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 1u);
  clock.Advance(std::chrono::hours(1));
  auto second = keyring.AddTerm(clock);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2u);

  EXPECT_EQ(keyring.ActiveTerm(), 2u);
  EXPECT_EQ(keyring.Active().term, 2u);
  EXPECT_EQ(keyring.Active().install_time, clock.Now());
  ASSERT_NE(keyring.Find(1), nullptr);
  EXPECT_EQ(keyring.Find(1)->key.size(), kKeySize);
  EXPECT_NE(keyring.Find(1)->key, keyring.Find(2)->key);
}

TEST(KeyringTest, SerializeRoundTrips) {
  FakeClock clock;
  Keyring keyring;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(keyring.AddTerm(clock).ok());
    clock.Advance(std::chrono::nanoseconds(1234567891));
  }
  SecureBytes json = keyring.Serialize();
  auto parsed = Keyring::Deserialize(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ(parsed->ActiveTerm(), 3u);
  for (std::uint32_t term = 1; term <= 3; ++term) {
    ASSERT_NE(parsed->Find(term), nullptr);
    EXPECT_EQ(parsed->Find(term)->key, keyring.Find(term)->key);
    EXPECT_EQ(parsed->Find(term)->install_time, keyring.Find(term)->install_time);
  }
}

TEST(KeyringTest, SerializedFormIsTheDocumentedJson) {
  FakeClock clock;
  Keyring keyring;
  ASSERT_TRUE(keyring.AddTerm(clock).ok());
  std::string key_b64 = Base64Encode(AsStringView(keyring.Active().key));
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Now().time_since_epoch()).count();
  EXPECT_EQ(Text(keyring.Serialize()),
            "{\"version\":1,\"terms\":[{\"term\":1,\"key\":\"" + key_b64 +
                "\",\"install_time_ns\":" + std::to_string(nanos) + "}]}");
}

TEST(KeyringTest, DeserializeRefusesMalformedInputWithoutEchoingIt) {
  const std::string good_key = Base64Encode(std::string(32, 'k'));
  const std::string cases[] = {
      "",
      "not json",
      "[]",
      "{\"version\":2,\"terms\":[{\"term\":1,\"key\":\"" + good_key + "\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[]}",
      "{\"version\":1}",
      "{\"version\":1,\"terms\":[{\"term\":0,\"key\":\"" + good_key + "\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[{\"term\":-1,\"key\":\"" + good_key +
          "\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[{\"term\":4294967296,\"key\":\"" + good_key +
          "\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[{\"term\":1,\"key\":\"SECRETSECRET!!\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[{\"term\":1,\"key\":\"" + Base64Encode("short") +
          "\",\"install_time_ns\":0}]}",
      "{\"version\":1,\"terms\":[{\"term\":1,\"key\":\"" + good_key + "\"}]}",
      "{\"version\":1,\"terms\":[{\"term\":1,\"key\":\"" + good_key +
          "\",\"install_time_ns\":0},{\"term\":1,\"key\":\"" + good_key +
          "\",\"install_time_ns\":0}]}",
  };
  for (const std::string& input : cases) {
    auto parsed = Keyring::Deserialize(ToSecureBytes(input));
    ASSERT_FALSE(parsed.ok()) << input;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << input;
    EXPECT_EQ(parsed.status().message().find(good_key), std::string::npos);
    EXPECT_EQ(parsed.status().message().find("SECRET"), std::string::npos);
  }
}

}  // namespace
}  // namespace tresor::barrier

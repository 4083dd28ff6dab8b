#include "cli/commands/secret_output.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

TEST(SecretOutputTest, HumanDurationLikeVault) {
  EXPECT_EQ(HumanDuration(0), "0s");
  EXPECT_EQ(HumanDuration(45), "45s");
  EXPECT_EQ(HumanDuration(90), "1m30s");
  EXPECT_EQ(HumanDuration(3600), "1h");
  EXPECT_EQ(HumanDuration(3605), "1h5s");
  EXPECT_EQ(HumanDuration(2764800), "768h");
}

TEST(SecretOutputTest, PadEqualSigns) {
  EXPECT_EQ(PadEqualSigns("Secret Path", 15), "== Secret Path ==");
  EXPECT_EQ(PadEqualSigns("Data", 4), "== Data ==");  // at least two each side
  EXPECT_EQ(PadEqualSigns("Data", 13), "=== Data ====");
  EXPECT_EQ(HeaderForMap("Metadata", Json::parse(R"({"custom_metadata":1})")),
            "======= Metadata =======");
  EXPECT_EQ(PathHeader("Secret Path", "secret/data/foo"), "== Secret Path ==\nsecret/data/foo\n\n");
}

TEST(SecretOutputTest, SecretTableWithLeaseAndDurations) {
  Json response =
      Json::parse(R"({"lease_id":"","lease_duration":2764800,"renewable":false,)"
                  R"("data":{"foo":"bar","ttl":3600,"list":["a","b"],"creation_ttl":"90"}})");
  EXPECT_EQ(SecretTable(response),
            "Key                 Value\n"
            "---                 -----\n"
            "refresh_interval    768h\n"
            "creation_ttl        1m30s\n"
            "foo                 bar\n"
            "list                [a b]\n"
            "ttl                 1h\n");
  EXPECT_EQ(SecretTable(Json::parse(R"({"data":null})")), "");
}

TEST(SecretOutputTest, SecretTableWithAuth) {
  Json response =
      Json::parse(R"({"auth":{"client_token":"hvs.x","accessor":"acc","lease_duration":0,)"
                  R"("renewable":false,"policies":["root"],"token_policies":["root"],)"
                  R"("metadata":{"team":"ops"}}})");
  EXPECT_EQ(SecretTable(response),
            "Key                  Value\n"
            "---                  -----\n"
            "token                hvs.x\n"
            "token_accessor       acc\n"
            "token_duration       \xE2\x88\x9E\n"
            "token_renewable      false\n"
            "token_policies       [\"root\"]\n"
            "identity_policies    []\n"
            "policies             [\"root\"]\n"
            "token_meta_team      ops\n");
}

TEST(SecretOutputTest, SecretFieldPrefersAuth) {
  Json response = Json::parse(R"({"auth":{"client_token":"t","accessor":"a","lease_duration":60,)"
                              R"("metadata":{"k":"v"}},"data":{"token":"not-this","x":1}})");
  EXPECT_EQ(*SecretField(response, "token"), "t");
  EXPECT_EQ(*SecretField(response, "token_duration"), "1m");
  EXPECT_EQ(*SecretField(response, "token_meta_k"), "v");
  EXPECT_EQ(*SecretField(response, "x"), 1);
  auto missing = SecretField(response, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "Field \"nope\" not present in secret");
}

TEST(SecretOutputTest, AWrappedAnswerShowsItsWrappingTokenAsVaultsCliDoes) {
  Json response = Json::parse(
      R"({"data":null,"wrap_info":{"token":"trdr1.abc","accessor":"","ttl":1800,)"
      R"("creation_time":"2026-12-07T00:00:00Z","creation_path":"sys/x","wrapped_accessor":""}})");
  EXPECT_EQ(SecretTable(response),
            "Key                              Value\n"
            "---                              -----\n"
            "wrapping_token:                  trdr1.abc\n"
            "wrapping_token_ttl:              30m\n"
            "wrapping_token_creation_time:    2026-12-07T00:00:00Z\n"
            "wrapping_token_creation_path:    sys/x\n");
  EXPECT_EQ(*SecretField(response, "wrapping_token"), "trdr1.abc");
  EXPECT_FALSE(SecretField(response, "token").ok());
}

}  // namespace
}  // namespace tresor::cli

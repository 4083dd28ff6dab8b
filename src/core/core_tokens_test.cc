// Tests of what Core does with token lifetimes: unknown, expired and
// used-up tokens are refused; a revoked token's cubbyhole goes with it
// (explicit revocation, revocation of a tree, last use, reaping).
#include <gtest/gtest.h>

#include "core/core_pipeline_for_test.h"

namespace tresor::core {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::seconds;

constexpr char kReader[] = R"(path "secret/data/*" { capabilities = ["read"] })";

class CoreTokensTest : public CorePipelineTest {
 protected:
  void SetUp() override {
    CorePipelineTest::SetUp();
    SetPolicy("reader", kReader);
    Put("x", {{"a", 1}});
  }

  // Every entry kept in the cubbyhole mount, for all tokens.
  std::size_t CubbyholeEntries() {
    auto mount = core_.mounts().Find(MountKind::kSecrets, "cubbyhole/");
    EXPECT_NE(mount, nullptr);
    if (mount == nullptr) return 0;
    auto keys = storage::ListRecursive(*mount->view, "");
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? keys->size() : 0;
  }

  void Stash(const std::string& token, const std::string& path) {
    auto written = Write("cubbyhole/" + path, {{"v", path}}, token);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }
};

TEST_F(CoreTokensTest, UnknownAndEmptyTokensAreDenied) {
  for (const std::string& token : {std::string(), std::string("hvs.AAAAAAAAAAAAAAAAAAAAAAAA"),
                                   std::string("not-a-token"), root_ + "x"}) {
    ExpectDenied(Read("secret/data/x", token), "token '" + token.substr(0, 4) + "...'");
    ExpectDenied(Read("auth/token/lookup-self", token), "lookup-self");
    ExpectDenied(Read("sys/mounts", token), "sys/mounts");
  }
}

TEST_F(CoreTokensTest, ExpiredTokenIsDenied) {
  const std::string token = CreateToken({"reader"}, {{"ttl", "1h"}});
  ASSERT_TRUE(Read("secret/data/x", token).ok());
  clock_.Advance(hours(1) - seconds(1));
  ASSERT_TRUE(Read("secret/data/x", token).ok());
  clock_.Advance(seconds(2));
  ExpectDenied(Read("secret/data/x", token), "expired");
  ExpectDenied(Read("auth/token/lookup-self", token), "expired lookup-self");
  EXPECT_TRUE(Read("secret/data/x", root_).ok()) << "root never expires";
}

TEST_F(CoreTokensTest, UseLimitedTokensWorkExactlyThatManyTimes) {
  const std::string once = CreateToken({"reader"}, {{"num_uses", 1}});
  auto first = Read("secret/data/x", once);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->data["data"]["a"], 1);
  ExpectDenied(Read("secret/data/x", once), "second use of a one-use token");
  ExpectDenied(Read("auth/token/lookup-self", once), "the token is gone");

  const std::string twice = CreateToken({"reader"}, {{"num_uses", 2}});
  EXPECT_TRUE(Read("secret/data/x", twice).ok());
  EXPECT_TRUE(Read("secret/data/x", twice).ok());
  ExpectDenied(Read("secret/data/x", twice), "third use of a two-use token");
}

TEST_F(CoreTokensTest, RevokingATokenDeletesItsCubbyholeOnly) {
  const std::string a = CreateToken({"default"});
  const std::string b = CreateToken({"default"});
  Stash(a, "one");
  Stash(a, "dir/two");
  Stash(b, "mine");
  ASSERT_EQ(CubbyholeEntries(), 3u);
  // Each token sees only its own.
  EXPECT_EQ(Read("cubbyhole/mine", a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Read("cubbyhole/mine", b)->data["v"], "mine");

  ASSERT_TRUE(Write("auth/token/revoke-self", nullptr, a).ok());
  EXPECT_EQ(CubbyholeEntries(), 1u);
  ExpectDenied(Read("cubbyhole/one", a), "revoked");
  EXPECT_EQ(Read("cubbyhole/mine", b)->data["v"], "mine");

  ASSERT_TRUE(Write("auth/token/revoke", {{"token", b}}, root_).ok());
  EXPECT_EQ(CubbyholeEntries(), 0u);
}

TEST_F(CoreTokensTest, RevokingAParentDeletesItsChildrensCubbyholes) {
  SetPolicy("creator", R"(path "auth/token/create" { capabilities = ["create", "update"] })");
  const std::string parent = CreateToken({"creator"});
  auto child = Write("auth/token/create", {{"policies", {"creator"}}}, parent);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  const std::string child_token = child->auth["client_token"];
  Stash(parent, "p");
  Stash(child_token, "c");
  ASSERT_EQ(CubbyholeEntries(), 2u);

  ASSERT_TRUE(Write("auth/token/revoke", {{"token", parent}}, root_).ok());
  EXPECT_EQ(CubbyholeEntries(), 0u);
  ExpectDenied(Read("cubbyhole/c", child_token), "child of a revoked parent");
}

// The last use of a token revokes it as the request starts (and empties its
// cubbyhole then); what that same request writes to the cubbyhole must not
// outlive the token.
TEST_F(CoreTokensTest, LastUseLeavesNoCubbyholeBehind) {
  const std::string once = CreateToken({"default"}, {{"num_uses", 1}});
  Stash(once, "written-by-the-last-use");
  ExpectDenied(Read("cubbyhole/written-by-the-last-use", once), "used up");
  EXPECT_EQ(CubbyholeEntries(), 0u);

  const std::string twice = CreateToken({"default"}, {{"num_uses", 2}});
  Stash(twice, "first");
  EXPECT_EQ(CubbyholeEntries(), 1u);
  Stash(twice, "second");
  EXPECT_EQ(CubbyholeEntries(), 0u);
}

TEST_F(CoreTokensTest, ReapingRevokesExpiredTokensAndTheirCubbyholes) {
  const std::string short_lived = CreateToken({"reader"}, {{"ttl", "1h"}});
  const std::string long_lived = CreateToken({"reader"}, {{"ttl", "3h"}});
  Stash(short_lived, "s");
  Stash(long_lived, "l");
  auto reaped = core_.ReapExpiredTokens();
  ASSERT_TRUE(reaped.ok()) << reaped.status().ToString();
  EXPECT_EQ(*reaped, 0u) << "nothing has expired yet";

  clock_.Advance(hours(2));
  reaped = core_.ReapExpiredTokens();
  ASSERT_TRUE(reaped.ok()) << reaped.status().ToString();
  EXPECT_EQ(*reaped, 1u);
  EXPECT_EQ(CubbyholeEntries(), 1u);
  EXPECT_EQ(Read("cubbyhole/l", long_lived)->data["v"], "l");
  auto accessors = Call(Operation::kList, "auth/token/accessors", nullptr, root_);
  ASSERT_TRUE(accessors.ok());
  EXPECT_EQ(accessors->data["keys"].size(), 2u);  // root and long_lived

  clock_.Advance(hours(2));
  EXPECT_EQ(*core_.ReapExpiredTokens(), 1u);
  EXPECT_EQ(CubbyholeEntries(), 0u);
  EXPECT_TRUE(Read("secret/data/x", root_).ok());
}

}  // namespace
}  // namespace tresor::core

#include "engines/auth/token/token_engine.h"

#include <gtest/gtest.h>

#include "engines/auth/token/token_engine_for_test.h"

namespace tresor::engines::token {
namespace {

using logical::Operation;

class TokenEngineTest : public TokenEngineTestBase {};

TEST_F(TokenEngineTest, CreateReturnsVaultAuthBlock) {
  auto r = Post("create",
                {{"policies", {"web", "db"}},
                 {"meta", {{"user", "alice"}}},
                 {"ttl", "1h"},
                 {"display_name", "ci job"},
                 {"num_uses", 0}},
                root_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->data.is_null());
  const nlohmann::json& auth = r->auth;
  EXPECT_EQ(auth["client_token"].get<std::string>().rfind("hvs.", 0), 0u);
  EXPECT_EQ(auth["accessor"].get<std::string>().size(), 24u);
  EXPECT_EQ(auth["policies"], nlohmann::json({"db", "default", "web"}));
  EXPECT_EQ(auth["token_policies"], auth["policies"]);
  EXPECT_EQ(auth["metadata"], nlohmann::json({{"user", "alice"}}));
  EXPECT_EQ(auth["lease_duration"], 3600);
  EXPECT_EQ(auth["renewable"], true);
  EXPECT_EQ(auth["entity_id"], "");
  EXPECT_EQ(auth["token_type"], "service");
  EXPECT_EQ(auth["orphan"], false);
  EXPECT_EQ(auth["num_uses"], 0);
}

TEST_F(TokenEngineTest, LookupReturnsVaultData) {
  auto [token, accessor] = MustCreate(
      {{"policies", "web"}, {"ttl", 600}, {"display_name", "x"}, {"explicit_max_ttl", "2h"}});
  clock_.Advance(std::chrono::seconds(100));
  auto r = Post("lookup", {{"token", token}}, root_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const nlohmann::json& d = r->data;
  EXPECT_EQ(d["id"], token);
  EXPECT_EQ(d["accessor"], accessor);
  EXPECT_EQ(d["creation_ttl"], 600);
  EXPECT_EQ(d["ttl"], 500);
  EXPECT_EQ(d["explicit_max_ttl"], 7200);
  EXPECT_EQ(d["display_name"], "token-x");
  EXPECT_EQ(d["policies"], nlohmann::json({"default", "web"}));
  EXPECT_EQ(d["path"], "auth/token/create");
  EXPECT_EQ(d["type"], "service");
  EXPECT_EQ(d["entity_id"], "");
  EXPECT_EQ(d["orphan"], false);
  EXPECT_EQ(d["renewable"], true);
  EXPECT_EQ(d["num_uses"], 0);
  EXPECT_TRUE(d["meta"].is_null());
  EXPECT_TRUE(d["creation_time"].is_number_integer());
  EXPECT_EQ(d["expire_time"], FormatRfc3339(clock_.Now() + std::chrono::seconds(500)));
  EXPECT_TRUE(d["issue_time"].is_string());
}

TEST_F(TokenEngineTest, LookupSelfOfRootAndLookupAccessorHidesId) {
  auto self = Get("lookup-self", root_);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->data["id"], root_);
  EXPECT_TRUE(self->data["expire_time"].is_null());
  EXPECT_EQ(self->data["ttl"], 0);
  EXPECT_EQ(self->data["policies"], nlohmann::json({"root"}));
  EXPECT_EQ(self->data["path"], "auth/token/root");
  EXPECT_EQ(self->data["orphan"], true);
  auto by_accessor = Post("lookup-accessor", {{"accessor", self->data["accessor"]}}, root_);
  ASSERT_TRUE(by_accessor.ok());
  EXPECT_EQ(by_accessor->data["id"], "");
  EXPECT_EQ(by_accessor->data["accessor"], self->data["accessor"]);
}

TEST_F(TokenEngineTest, LookupOfBadTokenIsPermissionDenied) {
  auto r = Post("lookup", {{"token", "hvs.nope"}}, root_);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "bad token");
}

TEST_F(TokenEngineTest, RootChildInheritsRootAndNeverExpires) {
  auto r = Post("create", nlohmann::json::object(), root_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth["policies"], nlohmann::json({"root"}));
  EXPECT_EQ(r->auth["lease_duration"], 0);
  EXPECT_EQ(r->auth["renewable"], false);
}

TEST_F(TokenEngineTest, ChildPoliciesMustBeSubsetOfParent) {
  auto [parent, unused] = MustCreate({{"policies", {"web", "db"}}});
  auto ok = Post("create", {{"policies", {"web"}}}, parent);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->auth["policies"], nlohmann::json({"default", "web"}));
  auto keys_before = AllKeys();
  auto bad = Post("create", {{"policies", {"web", "admin"}}}, parent);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "child policies must be subset of parent");
  EXPECT_EQ(Post("create", {{"policies", {"root"}}}, parent).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AllKeys(), keys_before);
  // Inheriting: no policies asked for gives the parent's.
  auto inherited = Post("create", nlohmann::json::object(), parent);
  ASSERT_TRUE(inherited.ok());
  EXPECT_EQ(inherited->auth["policies"], nlohmann::json({"db", "default", "web"}));
  auto no_default = Post("create", {{"no_default_policy", true}}, parent);
  ASSERT_TRUE(no_default.ok());
  EXPECT_EQ(no_default->auth["policies"], nlohmann::json({"db", "web"}));
}

TEST_F(TokenEngineTest, RootOnlyOptionsAreRefusedToOthers) {
  auto [parent, unused] = MustCreate({{"policies", {"web"}}});
  EXPECT_EQ(Post("create", {{"id", "custom"}}, parent).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Post("create", {{"no_parent", true}}, parent).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Post("create", {{"period", "1h"}}, parent).status().code(),
            StatusCode::kInvalidArgument);
  auto custom = Post("create", {{"id", "my-custom-token"}, {"policies", {"web"}}}, root_);
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->auth["client_token"], "my-custom-token");
  auto dup = Post("create", {{"id", "my-custom-token"}}, root_);
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TokenEngineTest, CreateOrphanAndNoParentMakeOrphans) {
  auto [parent, unused] = MustCreate({{"policies", {"web"}}});
  auto orphan = Post("create-orphan", {{"policies", {"web"}}}, parent);
  ASSERT_TRUE(orphan.ok());
  EXPECT_EQ(orphan->auth["orphan"], true);
  auto no_parent = Post("create", {{"no_parent", true}}, root_);
  ASSERT_TRUE(no_parent.ok());
  EXPECT_EQ(no_parent->auth["orphan"], true);
  auto looked = Post("lookup", {{"token", orphan->auth["client_token"]}}, root_);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->data["path"], "auth/token/create-orphan");
  // Revoking the creator leaves the orphan alone.
  ASSERT_TRUE(Post("revoke", {{"token", parent}}, root_).ok());
  EXPECT_TRUE(Get("lookup-self", orphan->auth["client_token"]).ok());
}

TEST_F(TokenEngineTest, UseLimitedTokensCannotCreateChildren) {
  auto [limited, unused] = MustCreate({{"policies", {"web"}}, {"num_uses", 5}});
  auto r = Post("create", nlohmann::json::object(), limited);
  EXPECT_EQ(r.status().message(), "restricted use token cannot generate child tokens");
}

TEST_F(TokenEngineTest, RenewAndRenewSelf) {
  auto [token, accessor] = MustCreate({{"policies", {"web"}}, {"ttl", "1h"}});
  clock_.Advance(std::chrono::minutes(30));
  auto r = Post("renew", {{"token", token}, {"increment", "2h"}}, root_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->auth["lease_duration"], 7200);
  EXPECT_EQ(r->auth["client_token"], token);
  auto self = Post("renew-self", {{"increment", 60}}, token);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->auth["lease_duration"], 60);
  auto looked = Get("lookup-self", token);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->data["ttl"], 60);
  EXPECT_EQ(looked->data["creation_ttl"], 3600);
  EXPECT_TRUE(looked->data.contains("last_renewal_time"));
  auto by_accessor = Post("renew-accessor", {{"accessor", accessor}}, root_);
  ASSERT_TRUE(by_accessor.ok());
  EXPECT_EQ(by_accessor->auth["client_token"], "");
  EXPECT_EQ(Post("renew-self", nlohmann::json::object(), root_).status().message(),
            "lease is not renewable");
}

TEST_F(TokenEngineTest, PeriodicTokenRenewsToPeriod) {
  auto [token, unused] = MustCreate({{"policies", {"web"}}, {"period", "30m"}});
  auto looked = Get("lookup-self", token);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->data["period"], 1800);
  EXPECT_EQ(looked->data["ttl"], 1800);
  clock_.Advance(std::chrono::minutes(20));
  auto r = Post("renew-self", {{"increment", "10h"}}, token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth["lease_duration"], 1800);
}

TEST_F(TokenEngineTest, RevokeTreeRevokeSelfAndRevokeOrphan) {
  auto [a, a_acc] = MustCreate({{"policies", {"web"}}});
  auto [b, b_acc] = MustCreate({{"policies", {"web"}}}, a);
  auto [c, c_acc] = MustCreate({{"policies", {"web"}}}, b);
  ASSERT_TRUE(Post("revoke-orphan", {{"token", b}}, root_).ok());
  EXPECT_FALSE(Get("lookup-self", b).ok());
  auto orphan = Get("lookup-self", c);
  ASSERT_TRUE(orphan.ok());
  EXPECT_EQ(orphan->data["orphan"], true);
  EXPECT_TRUE(Get("lookup-self", a).ok());

  auto [d, d_acc] = MustCreate({{"policies", {"web"}}}, a);
  auto revoked = Post("revoke-self", nullptr, a);
  ASSERT_TRUE(revoked.ok());
  EXPECT_TRUE(revoked->auth.is_null() && revoked->data.is_null());
  EXPECT_EQ(Get("lookup-self", d).status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get("lookup-self", c).ok());
  // Revoking an unknown token succeeds, as in Vault.
  EXPECT_TRUE(Post("revoke", {{"token", "hvs.unknown"}}, root_).ok());
}

TEST_F(TokenEngineTest, AccessorLookupRevokeAndList) {
  auto [token, accessor] = MustCreate({{"policies", {"web"}}});
  auto list = Call(Operation::kList, "accessors", nullptr, root_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"].size(), 2u);
  auto looked = Post("lookup-accessor", {{"accessor", accessor}}, root_);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->data["policies"], nlohmann::json({"default", "web"}));
  ASSERT_TRUE(Post("revoke-accessor", {{"accessor", accessor}}, root_).ok());
  EXPECT_EQ(Get("lookup-self", token).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Post("lookup-accessor", {{"accessor", accessor}}, root_).status().message(),
            "invalid accessor");
}

TEST_F(TokenEngineTest, SudoPathsAreVaults) {
  auto paths = engine_->SudoPaths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), "accessors*"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "revoke-orphan*"), paths.end());
}

TEST_F(TokenEngineTest, TidyAnswers202WithWarning) {
  auto r = Post("tidy", nullptr, root_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http_status, 202);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("Tidy operation successfully started"), std::string::npos);
}

TEST_F(TokenEngineTest, TtlCappingWarnsAndUnknownFieldsAreReported) {
  auto r = Post("create", {{"ttl", "1000h"}, {"policies", "web"}, {"colour", "blue"}}, root_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth["lease_duration"], 768 * 3600);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("exceeded the effective max_ttl"), std::string::npos);
  EXPECT_EQ(r->warnings[1], "Endpoint ignored these unrecognized parameters: [colour]");
}

TEST_F(TokenEngineTest, WeakTypesClientsSendAreAccepted) {
  auto r = Post("create",
                {{"policies", "web, db"},
                 {"renewable", "false"},
                 {"num_uses", "3"},
                 {"ttl", 120},
                 {"meta", {{"n", 1}}}},
                root_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->auth["policies"], nlohmann::json({"db", "default", "web"}));
  EXPECT_EQ(r->auth["renewable"], false);
  EXPECT_EQ(r->auth["num_uses"], 3);
  EXPECT_EQ(r->auth["lease_duration"], 120);
  EXPECT_EQ(r->auth["metadata"], nlohmann::json({{"n", "1"}}));
}

}  // namespace
}  // namespace tresor::engines::token

// Batch tokens through auth/token/*: what Vault lets them do and what it
// refuses (renew, revoke, children).

#include <gtest/gtest.h>

#include "engines/auth/token/token_engine_for_test.h"

namespace tresor::engines::token {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class TokenEngineBatchTest : public TokenEngineTestBase {
 protected:
  // A batch token created by `as` (root by default, then with policy web
  // unless body names policies) with `body` added.
  nlohmann::json MustCreateBatch(nlohmann::json body = nlohmann::json::object(),
                                 const std::string& as = "") {
    body["type"] = "batch";
    // Root's own policies would make a root token, which a batch token
    // cannot be.
    if (as.empty() && !body.contains("policies")) body["policies"] = {"web"};
    return MustPostAuth("create", std::move(body), as.empty() ? root_ : as);
  }
};

TEST_F(TokenEngineBatchTest, CreateAndLookupShowVaultsBatchShape) {
  std::vector<std::string> keys_before = AllKeys();
  nlohmann::json auth = MustCreateBatch(
      {{"policies", {"web"}}, {"ttl", "30m"}, {"meta", {{"job", "42"}}}, {"renewable", true}});
  EXPECT_EQ(AllKeys(), keys_before);  // nothing stored
  const std::string token = auth["client_token"];
  EXPECT_TRUE(token.starts_with("hvb."));
  EXPECT_EQ(auth["accessor"], "");
  EXPECT_EQ(auth["token_type"], "batch");
  EXPECT_EQ(auth["renewable"], false);  // as Vault, whatever was asked
  EXPECT_EQ(auth["lease_duration"], 1800);
  EXPECT_EQ(auth["orphan"], false);
  EXPECT_EQ(auth["policies"], nlohmann::json({"default", "web"}));

  clock_.Advance(seconds(600));
  auto self = Get("lookup-self", token);
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  const nlohmann::json& d = self->data;
  EXPECT_EQ(d["id"], token);
  EXPECT_EQ(d["accessor"], "");
  EXPECT_EQ(d["type"], "batch");
  EXPECT_EQ(d["renewable"], false);
  EXPECT_EQ(d["ttl"], 1200);
  EXPECT_EQ(d["creation_ttl"], 1800);
  EXPECT_EQ(d["num_uses"], 0);
  EXPECT_EQ(d["path"], "auth/token/create");
  EXPECT_EQ(d["meta"], nlohmann::json({{"job", "42"}}));
  EXPECT_EQ(d["expire_time"], FormatRfc3339(clock_.Now() + seconds(1200)));

  auto looked_up = Post("lookup", {{"token", token}}, root_);
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(looked_up->data["id"], token);
  // Not listed among accessors: it has none.
  auto accessors = Call(logical::Operation::kList, "accessors", nullptr, root_);
  ASSERT_TRUE(accessors.ok());
  EXPECT_EQ(accessors->data["keys"].size(), 1u);  // root's only
}

TEST_F(TokenEngineBatchTest, ExpiredBatchTokenIsABadToken) {
  nlohmann::json auth = MustCreateBatch({{"ttl", "1h"}});
  clock_.Advance(hours(1));
  auto r = Post("lookup", {{"token", auth["client_token"]}}, root_);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(TokenEngineBatchTest, DefaultTtlComesFromTheMount) {
  logical::Request request;
  request.operation = logical::Operation::kUpdate;
  request.path = "create";
  request.data = {{"type", "batch"}, {"policies", "web"}};
  request.client_token = root_;
  request.mount_default_lease_ttl = hours(2);
  request.mount_max_lease_ttl = hours(4);
  auto r = engine_->Handle(request);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->auth["lease_duration"], 7200);
  request.data = {{"type", "batch"}, {"policies", "web"}, {"ttl", "10h"}};
  r = engine_->Handle(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth["lease_duration"], 14400);  // capped at the mount max
}

TEST_F(TokenEngineBatchTest, NotRenewable) {
  std::string token = MustCreateBatch()["client_token"];
  EXPECT_EQ(PostStatus("renew-self", nlohmann::json::object(), token).message(),
            "batch tokens cannot be renewed");
  EXPECT_EQ(PostStatus("renew", {{"token", token}}, root_).message(),
            "batch tokens cannot be renewed");
}

TEST_F(TokenEngineBatchTest, CannotCreateChildren) {
  std::string token = MustCreateBatch()["client_token"];
  for (const char* path : {"create", "create-orphan"}) {
    Status s = PostStatus(path, nlohmann::json::object(), token);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(s.message(), "batch tokens cannot create more tokens") << path;
  }
}

TEST_F(TokenEngineBatchTest, RevokeIsRefusedAndTheTokenStaysUsable) {
  std::string token = MustCreateBatch()["client_token"];
  EXPECT_EQ(PostStatus("revoke", {{"token", token}}, root_).message(),
            "batch tokens cannot be revoked");
  EXPECT_EQ(PostStatus("revoke-self", nlohmann::json::object(), token).message(),
            "batch tokens cannot be revoked");
  EXPECT_EQ(PostStatus("revoke-orphan", {{"token", token}}, root_).message(),
            "batch tokens cannot be revoked");
  EXPECT_TRUE(Get("lookup-self", token).ok());
  // An unknown batch token is answered as any unknown token: 204.
  EXPECT_TRUE(Post("revoke", {{"token", "hvb.AAAA"}}, root_).ok());
}

TEST_F(TokenEngineBatchTest, RevokingTheParentInvalidatesTheBatchChild) {
  auto [parent, accessor] = MustCreate({{"policies", {"web"}}});
  std::string child = MustCreateBatch(nlohmann::json::object(), parent)["client_token"];
  std::string orphan = MustCreateBatch({{"no_parent", true}})["client_token"];
  EXPECT_EQ(Get("lookup-self", child)->data["orphan"], false);
  ASSERT_TRUE(Post("revoke", {{"token", parent}}, root_).ok());
  EXPECT_EQ(Get("lookup-self", child).status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Get("lookup-self", orphan).ok());
}

TEST_F(TokenEngineBatchTest, WhatABatchTokenCannotHave) {
  std::vector<std::string> before = AllKeys();
  for (auto [body, message] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"num_uses", 3}}, "batch tokens cannot have \"num_uses\" set"},
           {{{"period", "1h"}}, "batch tokens cannot have \"period\" set"},
           {{{"explicit_max_ttl", "1h"}}, "batch tokens cannot have \"explicit_max_ttl\" set"},
           {{{"policies", {"root"}}}, "batch tokens cannot be root tokens"},
           {nlohmann::json::object(), "batch tokens cannot be root tokens"},  // inherits root
           {{{"id", "mine"}, {"policies", {"web"}}}, "batch tokens cannot have a custom ID"},
       }) {
    body["type"] = "batch";
    Status s = PostStatus("create", body, root_);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body.dump();
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
  }
  // Zero values are fine, as in Vault.
  EXPECT_TRUE(Post("create",
                   {{"type", "batch"}, {"policies", {"web"}}, {"num_uses", 0}, {"period", "0s"}},
                   root_)
                  .ok());
  EXPECT_EQ(AllKeys(), before);
}

TEST_F(TokenEngineBatchTest, ServiceTokenLookupShowsBoundCidrsOnlyWhenSet) {
  auto [plain, accessor] = MustCreate({{"policies", {"web"}}});
  EXPECT_FALSE(Get("lookup-self", plain)->data.contains("bound_cidrs"));
  EXPECT_FALSE(Get("lookup-self", plain)->data.contains("role"));
  NewToken spec;
  spec.policies = {"web"};
  spec.ttl = hours(1);
  spec.bound_cidrs = {"203.0.113.0/24"};
  auto created = store_->Create(spec);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(Get("lookup-self", created->token)->data["bound_cidrs"],
            nlohmann::json({"203.0.113.0/24"}));
  // And for a batch token from a login (core passes type "batch").
  spec.type = "batch";
  spec.path = "auth/userpass/login/alice";
  created = store_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto d = Get("lookup-self", created->token);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->data["bound_cidrs"], nlohmann::json({"203.0.113.0/24"}));
  EXPECT_EQ(d->data["path"], "auth/userpass/login/alice");
}

}  // namespace
}  // namespace tresor::engines::token

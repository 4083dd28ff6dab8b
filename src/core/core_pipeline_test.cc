// Tests of Core::Handle's pipeline: sys route -> sealed -> token -> ACL
// (with Vault's create/update existence check and sudo paths) -> handler or
// engine, over a real Core (core_pipeline_for_test.h). Token lifetimes
// are in core_tokens_test.cc.
#include <gtest/gtest.h>

#include "core/core_pipeline_for_test.h"

namespace tresor::core {
namespace {

using nlohmann::json;

constexpr char kAppPolicy[] = R"(
path "secret/data/app/*" { capabilities = ["read"] }
path "secret/metadata/app/*" { capabilities = ["list"] }
path "secret/data/shared" { capabilities = ["read", "update", "create", "delete"] }
)";

TEST_F(CorePipelineTest, PolicyAllowsAndDeniesPerPathAndCapability) {
  SetPolicy("app", kAppPolicy);
  Put("app/db", {{"password", "p"}});
  Put("other/db", {{"password", "q"}});
  const std::string token = CreateToken({"app"});

  auto read = Read("secret/data/app/db", token);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["data"]["password"], "p");
  auto list = Call(Operation::kList, "secret/metadata/app/", nullptr, token);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->data["keys"], json::array({"db"}));
  EXPECT_TRUE(Write("secret/data/shared", {{"data", {{"a", 1}}}}, token).ok());
  EXPECT_TRUE(Call(Operation::kDelete, "secret/data/shared", nullptr, token).ok());

  ExpectDenied(Read("secret/data/other/db", token), "another path");
  ExpectDenied(Write("secret/data/app/db", {{"data", {{"x", 1}}}}, token), "update without it");
  ExpectDenied(Call(Operation::kDelete, "secret/data/app/db", nullptr, token), "delete");
  ExpectDenied(Call(Operation::kList, "secret/metadata/", nullptr, token), "list above the rule");
  ExpectDenied(Read("secret/metadata/app/db", token), "read where only list is granted");
  ExpectDenied(Read("sys/mounts", token), "sys/mounts");
  ExpectDenied(Read("sys/policy/app", token), "sys/policy");
  // A path without a mount (or sys endpoint) is checked by policy first, as
  // in Vault: a 404 here would tell the token which mounts exist.
  ExpectDenied(Read("nope/x", token), "a path without a mount");
  ExpectDenied(Read("sys/no-such-endpoint", token), "an unknown sys path");
  // The default policy still lets a token look itself up.
  auto self = Read("auth/token/lookup-self", token);
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->data["policies"], json::array({"app", "default"}));
  // The other secret is untouched by the denied calls.
  EXPECT_EQ(Read("secret/data/app/db", root_)->data["data"]["password"], "p");
}

TEST_F(CorePipelineTest, WritesNeedCreateWhenMissingAndUpdateWhenPresent) {
  SetPolicy("creator", R"(path "secret/data/c/*" { capabilities = ["create"] })");
  SetPolicy("updater", R"(path "secret/data/u/*" { capabilities = ["update"] })");
  const std::string token = CreateToken({"creator", "updater"});
  const json body = {{"data", {{"k", "v"}}}};

  EXPECT_TRUE(Write("secret/data/c/new", body, token).ok()) << "create of a missing secret";
  ExpectDenied(Write("secret/data/c/new", body, token), "the same path again is an update");
  ExpectDenied(Write("secret/data/u/new", body, token), "a missing secret needs create");
  EXPECT_FALSE(Read("secret/data/u/new", root_).ok());
  Put("u/existing", {{"k", "old"}});
  EXPECT_TRUE(Write("secret/data/u/existing", body, token).ok());
  EXPECT_EQ(Read("secret/data/u/existing", root_)->data["data"]["k"], "v");
  // A secret whose latest version is deleted no longer exists: create again.
  ASSERT_TRUE(Call(Operation::kDelete, "secret/data/c/new", nullptr, root_).ok());
  EXPECT_TRUE(Write("secret/data/c/new", body, token).ok());
}

TEST_F(CorePipelineTest, SudoPathsRefuseATokenWithoutSudo) {
  const char* kAll = R"(["create", "read", "update", "delete", "list"])";
  const char* kAllSudo = R"(["create", "read", "update", "delete", "list", "sudo"])";
  auto policy = [](const char* caps) {
    std::string text;
    for (const char* path : {"auth/token/accessors", "sys/remount", "sys/auth/*", "sys/mounts/*",
                             "auth/token/revoke-orphan"}) {
      text += std::string("path \"") + path + "\" { capabilities = " + caps + " }\n";
    }
    return text;
  };
  SetPolicy("nosudo", policy(kAll));
  SetPolicy("sudo", policy(kAllSudo));
  const std::string plain = CreateToken({"nosudo"});
  const std::string sudo = CreateToken({"sudo"});
  ASSERT_TRUE(Write("sys/mounts/kv", {{"type", "kv"}}, plain).ok()) << "sys/mounts needs no sudo";

  ExpectDenied(Call(Operation::kList, "auth/token/accessors", nullptr, plain), "accessors");
  ExpectDenied(Write("sys/remount", {{"from", "kv"}, {"to", "kv2"}}, plain), "remount");
  ExpectDenied(Write("sys/auth/x", {{"type", "token"}}, plain), "sys/auth/x");
  ExpectDenied(Read("sys/auth/token/tune", plain), "sys/auth/token/tune");
  ExpectDenied(Write("auth/token/revoke-orphan", {{"token", sudo}}, plain), "revoke-orphan");
  EXPECT_NE(Read("secret/data/app", root_).status().code(), StatusCode::kPermissionDenied);

  auto accessors = Call(Operation::kList, "auth/token/accessors", nullptr, sudo);
  ASSERT_TRUE(accessors.ok()) << accessors.status().ToString();
  EXPECT_EQ(accessors->data["keys"].size(), 3u);  // root, plain, sudo
  EXPECT_TRUE(Write("sys/remount", {{"from", "kv"}, {"to", "kv2"}}, sudo).ok());
  EXPECT_TRUE(Read("sys/auth/token/tune", sudo).ok());
  // Past the sudo check, the handler's own refusal shows.
  EXPECT_EQ(Write("sys/auth/x", {{"type", "token"}}, sudo).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Call(Operation::kList, "auth/token/accessors", nullptr, root_).ok());
}

TEST_F(CorePipelineTest, SealedAnswersBeforeAnyTokenCheck) {
  Put("x", {{"a", 1}});
  ASSERT_TRUE(core_.lifecycle().Seal().ok());
  for (const std::string& token : {std::string(), std::string("hvs.bogus"), root_}) {
    for (std::string path : {"secret/data/x", "sys/mounts", "auth/token/lookup-self", "nope/x",
                             "sys/internal/ui/mounts/secret", "sys/no-such-endpoint"}) {
      auto r = Read(path, token);
      EXPECT_EQ(r.status().code(), StatusCode::kSealed) << path;
      EXPECT_EQ(r.status().message(), "Vault is sealed") << path;
    }
  }
  EXPECT_EQ(core_.ReapExpiredTokens().status().code(), StatusCode::kSealed);
  EXPECT_TRUE(core_.mounts().List(MountKind::kSecrets).empty()) << "sealing unloads the mounts";
  // Unsealing loads everything back.
  Unseal();
  auto read = Read("secret/data/x", root_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["data"]["a"], 1);
}

TEST_F(CorePipelineTest, RoutingMissesAndMountChangesThroughTheApi) {
  auto no_mount = Read("nope/x", root_);
  EXPECT_EQ(no_mount.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_mount.status().message(), "no handler for route \"nope/x\". route entry not found.");
  EXPECT_EQ(Read("sys/no-such-endpoint", root_).status().code(), StatusCode::kNotFound);
  // The "sys/" mount row has no engine; only core's own sys routes answer.
  EXPECT_EQ(Read("sys", root_).status().code(), StatusCode::kNotFound);

  Put("moving", {{"a", 1}});
  ASSERT_TRUE(Write("sys/remount", {{"from", "secret"}, {"to", "moved"}}, root_).ok());
  EXPECT_EQ(Read("secret/data/moving", root_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Read("moved/data/moving", root_)->data["data"]["a"], 1);
  ASSERT_TRUE(Call(Operation::kDelete, "sys/mounts/moved", nullptr, root_).ok());
  EXPECT_EQ(Read("moved/data/moving", root_).status().code(), StatusCode::kNotFound);
  // Enabled again at the old path, the mount is new and empty.
  ASSERT_TRUE(Write("sys/mounts/moved", {{"type", "kv-v2"}}, root_).ok());
  EXPECT_EQ(Read("moved/data/moving", root_).status().code(), StatusCode::kNotFound);
}

TEST_F(CorePipelineTest, UiMountsNeedsAccessUnderTheMount) {
  ASSERT_TRUE(Write("sys/mounts/private", {{"type", "kv"}}, root_).ok());
  SetPolicy("app", kAppPolicy);
  const std::string token = CreateToken({"app"});

  auto described = Read("sys/internal/ui/mounts/secret/data/app/db", token);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->data["type"], "kv");
  EXPECT_EQ(described->data["path"], "secret/");
  EXPECT_EQ(described->data["options"]["version"], "2");
  ExpectDenied(Read("sys/internal/ui/mounts/private", token), "mount without access");
  ExpectDenied(Read("sys/internal/ui/mounts/nope/x", token), "no mount");
  ExpectDenied(Read("sys/internal/ui/mounts/nope/x", root_), "no mount, even for root");
  ExpectDenied(Read("sys/internal/ui/mounts/secret", "hvs.unknown"), "unknown token");
  auto v1 = Read("sys/internal/ui/mounts/private", root_);
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE(v1->data["options"].is_null());
}

TEST_F(CorePipelineTest, PolicyChangesTakeEffectAtOnce) {
  Put("x", {{"a", 1}});
  SetPolicy("p", R"(path "secret/data/x" { capabilities = ["read"] })");
  const std::string token = CreateToken({"p"});
  ASSERT_TRUE(Read("secret/data/x", token).ok());  // the ACL is now cached

  SetPolicy("p", R"(path "secret/data/y" { capabilities = ["read"] })");
  ExpectDenied(Read("secret/data/x", token), "after the policy moved to another path");
  SetPolicy("p", R"(path "secret/data/x" { capabilities = ["read"] })");
  EXPECT_TRUE(Read("secret/data/x", token).ok());
  ASSERT_TRUE(Call(Operation::kDelete, "sys/policy/p", nullptr, root_).ok());
  ExpectDenied(Read("secret/data/x", token), "after the policy was deleted");
  // Through the newer API too.
  ASSERT_TRUE(Write("sys/policies/acl/p",
                    {{"policy", R"(path "secret/data/x" { capabilities = ["deny"] })"}}, root_)
                  .ok());
  ExpectDenied(Read("secret/data/x", token), "after a deny");
  ASSERT_TRUE(Write("sys/policies/acl/p",
                    {{"policy", R"(path "secret/data/*" { capabilities = ["read"] })"}}, root_)
                  .ok());
  EXPECT_TRUE(Read("secret/data/x", token).ok());
}

// The hot path (make bench's kv2-read-acl50): with the token and its ACL
// cached, a KV v2 read by a non-root token reads storage once (the secret's
// record).
TEST_F(CorePipelineTest, WarmKvV2ReadDoesOnePhysicalGet) {
  Put("foo", {{"a", 1}});
  SetPolicy("reader", R"(path "secret/data/*" { capabilities = ["read"] })");
  const std::string token = CreateToken({"reader"});
  ASSERT_TRUE(Read("secret/data/foo", token).ok());  // warms token, ACL and KV config caches

  const std::size_t before = physical_.GetCountForTest();
  auto read = Read("secret/data/foo", token);
  const std::size_t gets = physical_.GetCountForTest() - before;
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["data"]["a"], 1);
  EXPECT_EQ(gets, 1u);

  // Root's reads are no dearer, and a read of a missing secret costs one too.
  std::size_t mark = physical_.GetCountForTest();
  ASSERT_TRUE(Read("secret/data/foo", root_).ok());
  EXPECT_EQ(physical_.GetCountForTest() - mark, 1u);
  mark = physical_.GetCountForTest();
  EXPECT_EQ(Read("secret/data/missing", token).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(physical_.GetCountForTest() - mark, 1u);
}

}  // namespace
}  // namespace tresor::core

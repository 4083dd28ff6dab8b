// Tests of the sys/mounts, sys/auth and sys/remount handlers, called through
// the SysRouter they register on, over a MountTable on an in-memory backend.
// What reaches a handler here has passed core's token and ACL checks (those
// are core_pipeline_test.cc's business). Every refusal is checked for its
// code (InvalidArgument is HTTP 400), its message, and for changing nothing.
#include "core/sys_mount_handlers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/engine_factory.h"
#include "engines/auth/token/token_store.h"
#include "storage/inmem/inmem_backend.h"
#include "storage/prefix_view.h"

namespace tresor::core {
namespace {

using nlohmann::json;

class SysMountHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mounts_.Load().ok());
    RegisterMountHandlers(router_, mounts_, policies_);
  }

  StatusOr<Response> Call(Operation op, const std::string& path, json data = nullptr,
                          std::vector<std::string> policies = {"root"}) {
    const SysRoute* route = router_.Find(path);
    if (route == nullptr) return NotFoundError("no route for " + path);
    Request req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.client_token_policies = std::move(policies);
    return route->Dispatch(req);
  }
  StatusOr<Response> Post(const std::string& path, json data) {
    return Call(Operation::kUpdate, path, std::move(data));
  }

  // Everything a refused request must leave alone: both listings and both
  // stored tables.
  json State() {
    auto secrets = Call(Operation::kRead, "sys/mounts");
    auto auth = Call(Operation::kRead, "sys/auth");
    EXPECT_TRUE(secrets.ok() && auth.ok());
    return {{"secrets", secrets.ok() ? secrets->data : json()},
            {"auth", auth.ok() ? auth->data : json()},
            {"core/mounts", **barrier_.Get("core/mounts")},
            {"core/auth", **barrier_.Get("core/auth")}};
  }

  struct Refusal {
    Operation op;
    std::string path;
    json body;
    // The message must start with this (the rest may quote the input).
    std::string message;
    StatusCode code = StatusCode::kInvalidArgument;
  };
  void ExpectRefusedAndNothingChanged(const std::vector<Refusal>& cases) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.path + " " + c.body.dump());
      const json before = State();
      auto r = Call(c.op, c.path, c.body);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), c.code);
      EXPECT_EQ(r.status().message().substr(0, c.message.size()), c.message)
          << r.status().message();
      EXPECT_EQ(State(), before);
    }
  }

  storage::InmemBackend barrier_;
  FakeClock clock_;
  storage::PrefixView token_view_{barrier_, "sys/token/"};
  engines::token::TokenStore tokens_{token_view_, clock_};
  MountTable mounts_{barrier_, clock_, BuiltinEngineFactory(tokens_)};
  policy::PolicyStore policies_{barrier_};
  SysRouter router_;
};

TEST_F(SysMountHandlersTest, EnableListReadTuneDisable) {
  auto enabled = Post(
      "sys/mounts/kv",
      {{"type", "kv-v2"},
       {"description", "team kv"},
       {"config",
        {{"default_lease_ttl", "1h"}, {"max_lease_ttl", 7200}, {"listing_visibility", "unauth"}}},
       {"local", "true"}});
  ASSERT_TRUE(enabled.ok()) << enabled.status().ToString();
  EXPECT_TRUE(enabled->warnings.empty());

  auto list = Call(Operation::kRead, "sys/mounts");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->shape, Response::Shape::kEnvelopeWithTopLevelData);
  const json& kv = list->data["kv/"];
  EXPECT_EQ(kv["type"], "kv");
  EXPECT_EQ(kv["options"]["version"], "2");
  EXPECT_EQ(kv["description"], "team kv");
  EXPECT_EQ(kv["config"]["default_lease_ttl"], 3600);
  EXPECT_EQ(kv["config"]["max_lease_ttl"], 7200);
  EXPECT_EQ(kv["local"], true);
  EXPECT_TRUE(list->data.contains("sys/"));
  EXPECT_TRUE(list->data.contains("cubbyhole/"));
  EXPECT_TRUE(Call(Operation::kRead, "sys/auth")->data.contains("token/"));

  EXPECT_EQ(Call(Operation::kRead, "sys/mounts/kv")->data["accessor"], kv["accessor"]);
  ASSERT_TRUE(Post("sys/mounts/kv/tune", {{"max_lease_ttl", "3h"}, {"description", "new"}}).ok());
  auto tune = Call(Operation::kRead, "sys/mounts/kv/tune");
  ASSERT_TRUE(tune.ok());
  EXPECT_EQ(tune->data["max_lease_ttl"], 3 * 3600);
  EXPECT_EQ(tune->data["default_lease_ttl"], 3600);
  EXPECT_EQ(tune->data["description"], "new");
  ASSERT_TRUE(
      Post("sys/mounts/kv/tune", {{"default_lease_ttl", "system"}, {"max_lease_ttl", "system"}})
          .ok());
  tune = Call(Operation::kRead, "sys/mounts/kv/tune");
  EXPECT_EQ(tune->data["max_lease_ttl"], kSystemMaxLeaseTtl.count());
  EXPECT_EQ(tune->data["default_lease_ttl"], kSystemDefaultLeaseTtl.count());

  auto unknown_field = Post("sys/mounts/other", {{"type", "kv"}, {"bogus", 1}});
  ASSERT_TRUE(unknown_field.ok());
  ASSERT_EQ(unknown_field->warnings.size(), 1u);
  EXPECT_NE(unknown_field->warnings[0].find("bogus"), std::string::npos);

  ASSERT_TRUE(Call(Operation::kDelete, "sys/mounts/kv").ok());
  EXPECT_FALSE(Call(Operation::kRead, "sys/mounts")->data.contains("kv/"));
  // Disabling what is not there is a success, as in Vault.
  EXPECT_TRUE(Call(Operation::kDelete, "sys/mounts/kv").ok());
}

TEST_F(SysMountHandlersTest, RoutesNeedingSudoAreMarked) {
  EXPECT_FALSE(router_.Find("sys/mounts/x")->sudo);
  EXPECT_TRUE(router_.Find("sys/auth/x")->sudo);
  EXPECT_TRUE(router_.Find("sys/auth/x/tune")->sudo);
  EXPECT_TRUE(router_.Find("sys/remount")->sudo);
  EXPECT_TRUE(router_.Find("sys/internal/ui/mounts/x")->any_token);
}

TEST_F(SysMountHandlersTest, EnableBadInputIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Post("sys/mounts/taken", {{"type", "kv"}}).ok());
  const Operation kPost = Operation::kUpdate;
  ExpectRefusedAndNothingChanged({
      {kPost, "sys/mounts/x", nullptr, "type: field is required"},
      {kPost, "sys/mounts/x", json::object(), "type: field is required"},
      {kPost, "sys/mounts/x", {{"type", ""}}, "type: field is required"},
      {kPost, "sys/mounts/x", {{"type", 5}}, "type: expected a string"},
      {kPost, "sys/mounts/x", json::array({1}), "the request body must be a JSON object"},
      {kPost, "sys/mounts/x", {{"type", "x"}}, "plugin not found in the catalog: x"},
      {kPost, "sys/mounts/x", {{"type", "token"}}, "plugin not found in the catalog: token"},
      {kPost, "sys/mounts/x", {{"type", "cubbyhole"}}, "cannot enable another \"cubbyhole\""},
      {kPost, "sys/mounts/x", {{"type", "system"}}, "cannot enable another \"system\""},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"plugin_name", "vault-plugin-x"}},
       "plugin_name: external plugins are not supported"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"description", 5}},
       "description: expected a string"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"description", {{"a", 1}}}},
       "description: expected a string"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"options", "version=2"}},
       "options: expected an object"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"options", {{"version", {"2"}}}}},
       "options: expected string values"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"options", {{"version", "3"}}}},
       "kv: version must be \"1\" or \"2\""},
      {kPost, "sys/mounts/x", {{"type", "kv"}, {"config", "1h"}}, "config: expected an object"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", json::array()}},
       "config: expected an object"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"default_lease_ttl", "abc"}}}},
       "default_lease_ttl: "},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"max_lease_ttl", "1 hour"}}}},
       "max_lease_ttl: "},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"max_lease_ttl", -5}}}},
       "max_lease_ttl: must not be negative"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"max_lease_ttl", 1.5}}}},
       "max_lease_ttl: expected whole seconds"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"default_lease_ttl", true}}}},
       "default_lease_ttl: expected a duration"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"default_lease_ttl", "2h"}, {"max_lease_ttl", "1h"}}}},
       "the default lease TTL cannot be greater than the max lease TTL"},
      // A default above the system's max (768h) with no max of its own.
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"config", {{"default_lease_ttl", "1000h"}}}},
       "the default lease TTL cannot be greater than the max lease TTL"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"local", "maybe"}},
       "local: expected true or false"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"local", json::array()}},
       "local: expected a boolean"},
      {kPost,
       "sys/mounts/x",
       {{"type", "kv"}, {"seal_wrap", "yes please"}},
       "seal_wrap: expected true or false"},
      {kPost, "sys/mounts/taken", {{"type", "kv"}}, "path is already in use at taken/"},
      {kPost, "sys/mounts/taken/inner", {{"type", "kv"}}, "path is already in use at taken/"},
      {kPost, "sys/auth/x", {{"type", "kv"}}, "plugin not found in the catalog: kv"},
      {kPost, "sys/auth/x", {{"type", "kv-v2"}}, "plugin not found in the catalog: kv-v2"},
      {kPost, "sys/auth/x", {{"type", "token"}}, "cannot enable another \"token\""},
      {kPost, "sys/auth/token", {{"type", "token"}}, "cannot enable another \"token\""},
  });
}

TEST_F(SysMountHandlersTest, BadMountPathsAreRefused) {
  const Operation kPost = Operation::kUpdate;
  const json kv = {{"type", "kv"}};
  ExpectRefusedAndNothingChanged({
      {kPost, "sys/mounts/", kv, "path cannot be empty"},
      {kPost, "sys/mounts//", kv, "path cannot be empty"},
      {kPost, "sys/mounts/..", kv, "invalid mount path \"..\""},
      {kPost, "sys/mounts/a/../b", kv, "invalid mount path \"a/../b\""},
      {kPost, "sys/mounts/./a", kv, "invalid mount path \"./a\""},
      {kPost, "sys/mounts/a//b", kv, "invalid mount path \"a//b\""},
      {kPost, "sys/mounts/*", kv, "invalid mount path \"*\": '*' and '+' are not allowed"},
      {kPost, "sys/mounts/a*", kv, "invalid mount path \"a*\""},
      {kPost, "sys/mounts/a/+/b", kv, "invalid mount path \"a/+/b\""},
      {kPost, "sys/mounts/sys", kv, "cannot mount at \"sys/\": \"sys/\" is reserved"},
      {kPost, "sys/mounts/sys/x", kv, "cannot mount at \"sys/x/\""},
      {kPost, "sys/mounts/auth/x", kv, "cannot mount at \"auth/x/\""},
      {kPost, "sys/mounts/cubbyhole", kv, "cannot mount at \"cubbyhole/\""},
      {kPost, "sys/mounts/identity", kv, "cannot mount at \"identity/\""},
      {kPost, "sys/mounts/audit", kv, "cannot mount at \"audit/\""},
      {Operation::kDelete, "sys/mounts/..", nullptr, "invalid mount path"},
      {Operation::kRead, "sys/mounts/a//b", nullptr, "invalid mount path"},
  });
}

TEST_F(SysMountHandlersTest, TuneAndDisableRefusals) {
  ASSERT_TRUE(Post("sys/mounts/kv", {{"type", "kv"}, {"options", {{"version", "2"}}}}).ok());
  const Operation kPost = Operation::kUpdate;
  ExpectRefusedAndNothingChanged({
      {kPost,
       "sys/mounts/nope/tune",
       {{"description", "x"}},
       "cannot tune \"nope/\": no mount at that path"},
      {Operation::kRead, "sys/mounts/nope/tune", nullptr,
       "cannot fetch sysview for path \"nope/\""},
      {Operation::kRead, "sys/mounts/nope", nullptr, "no mount at \"nope/\""},
      {kPost, "sys/mounts/kv/tune", {{"default_lease_ttl", "abc"}}, "default_lease_ttl: "},
      {kPost,
       "sys/mounts/kv/tune",
       {{"max_lease_ttl", true}},
       "max_lease_ttl: expected a duration"},
      {kPost,
       "sys/mounts/kv/tune",
       {{"default_lease_ttl", "10h"}, {"max_lease_ttl", "1h"}},
       "the default lease TTL cannot be greater than the max lease TTL"},
      {kPost, "sys/mounts/kv/tune", {{"description", 1}}, "description: expected a string"},
      {kPost, "sys/mounts/kv/tune", {{"options", "x"}}, "options: expected an object"},
      {kPost,
       "sys/mounts/kv/tune",
       {{"options", {{"version", "1"}}}},
       "changing the version of a KV mount (2 to 1) is not supported"},
      {kPost, "sys/mounts/kv/tune", json::array(), "the request body must be a JSON object"},
      {Operation::kDelete, "sys/mounts/kv/tune", nullptr, "delete is not supported",
       StatusCode::kUnsupportedOperation},
      {Operation::kList, "sys/mounts/kv", nullptr, "list is not supported",
       StatusCode::kUnsupportedOperation},
      {Operation::kDelete, "sys/mounts/sys", nullptr, "cannot disable \"sys/\": it is built in"},
      {Operation::kDelete, "sys/mounts/cubbyhole", nullptr, "cannot disable \"cubbyhole/\""},
      {Operation::kDelete, "sys/auth/token", nullptr, "cannot disable \"auth/token/\""},
  });
}

TEST_F(SysMountHandlersTest, RemountMovesAndReportsStatus) {
  ASSERT_TRUE(Post("sys/mounts/kv", {{"type", "kv"}}).ok());
  auto moved = Post("sys/remount", {{"from", "kv"}, {"to", "/team/kv/"}});
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  const std::string id = moved->data["migration_id"];
  EXPECT_FALSE(id.empty());
  auto list = Call(Operation::kRead, "sys/mounts");
  EXPECT_TRUE(list->data.contains("team/kv/"));
  EXPECT_FALSE(list->data.contains("kv/"));

  auto status = Call(Operation::kRead, "sys/remount/status/" + id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->data["migration_info"]["source_mount"], "kv/");
  EXPECT_EQ(status->data["migration_info"]["target_mount"], "team/kv/");
  EXPECT_EQ(status->data["migration_info"]["status"], "success");
  auto unknown = Call(Operation::kRead, "sys/remount/status/no-such-id");
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SysMountHandlersTest, RemountBadInputIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Post("sys/mounts/kv", {{"type", "kv"}}).ok());
  ASSERT_TRUE(Post("sys/mounts/other", {{"type", "kv"}}).ok());
  const Operation kPost = Operation::kUpdate;
  const std::string kRemount = "sys/remount";
  ExpectRefusedAndNothingChanged({
      {kPost, kRemount, nullptr, "from: field is required"},
      {kPost, kRemount, {{"to", "x"}}, "from: field is required"},
      {kPost, kRemount, {{"from", ""}, {"to", "x"}}, "from: field is required"},
      {kPost, kRemount, {{"from", "kv"}}, "to: field is required"},
      {kPost, kRemount, {{"from", 5}, {"to", "x"}}, "from: expected a string"},
      {kPost, kRemount, {{"from", "kv"}, {"to", {"x"}}}, "to: expected a string"},
      {kPost,
       kRemount,
       {{"from", "kv"}, {"to", "auth/kv"}},
       "cannot move a mount between secrets engines and auth methods"},
      {kPost,
       kRemount,
       {{"from", "auth/token"}, {"to", "token"}},
       "cannot move a mount between secrets engines and auth methods"},
      {kPost, kRemount, {{"from", "kv"}, {"to", "other"}}, "path is already in use at other/"},
      {kPost, kRemount, {{"from", "kv"}, {"to", "other/sub"}}, "path is already in use at other/"},
      {kPost, kRemount, {{"from", "nope"}, {"to", "x"}}, "no mount at \"nope/\""},
      {kPost, kRemount, {{"from", "kv"}, {"to", "sys/kv"}}, "cannot mount at \"sys/kv/\""},
      {kPost, kRemount, {{"from", "kv"}, {"to", "a/../b"}}, "invalid mount path"},
      {kPost, kRemount, {{"from", "kv"}, {"to", "*"}}, "invalid mount path"},
      {kPost,
       kRemount,
       {{"from", "auth/token"}, {"to", "auth/tok2"}},
       "cannot move \"auth/token/\": it is built in"},
      {kPost, kRemount, {{"from", "cubbyhole"}, {"to", "c2"}}, "cannot move \"cubbyhole/\""},
      {kPost, kRemount, {{"from", "sys"}, {"to", "s2"}}, "cannot move \"sys/\""},
      {Operation::kRead, kRemount, nullptr, "read is not supported",
       StatusCode::kUnsupportedOperation},
  });
}

TEST_F(SysMountHandlersTest, UiMountsDescribesOnlyMountsTheTokenReaches) {
  ASSERT_TRUE(Post("sys/mounts/secret", {{"type", "kv-v2"}}).ok());
  ASSERT_TRUE(Post("sys/mounts/private", {{"type", "kv"}}).ok());
  ASSERT_TRUE(
      policies_.SetPolicy("app", "path \"secret/data/app/*\" { capabilities = [\"read\"] }").ok());

  auto described =
      Call(Operation::kRead, "sys/internal/ui/mounts/secret/data/app/x", nullptr, {"app"});
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ(described->data["type"], "kv");
  EXPECT_EQ(described->data["path"], "secret/");
  EXPECT_EQ(described->data["options"]["version"], "2");
  // The bare mount path works too ("secret" routes to "secret/").
  EXPECT_TRUE(Call(Operation::kRead, "sys/internal/ui/mounts/secret", nullptr, {"app"}).ok());

  for (std::string path : {"sys/internal/ui/mounts/private/x", "sys/internal/ui/mounts/nope/x",
                           "sys/internal/ui/mounts/"}) {
    auto denied = Call(Operation::kRead, path, nullptr, {"app"});
    EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << path;
    EXPECT_EQ(denied.status().message(), "permission denied") << path;
  }
  // Root reaches every mount; a path without a mount is still 403.
  auto private_mount = Call(Operation::kRead, "sys/internal/ui/mounts/private");
  ASSERT_TRUE(private_mount.ok());
  EXPECT_TRUE(private_mount->data["options"].is_null());
  EXPECT_EQ(Call(Operation::kRead, "sys/internal/ui/mounts/nope").status().code(),
            StatusCode::kPermissionDenied);

  // The list shows only the mounts the policies reach.
  auto listed = Call(Operation::kRead, "sys/internal/ui/mounts", nullptr, {"app"});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_TRUE(listed->data["secret"].contains("secret/"));
  EXPECT_FALSE(listed->data["secret"].contains("private/"));
  EXPECT_TRUE(listed->data["auth"].is_object());
  auto all = Call(Operation::kRead, "sys/internal/ui/mounts");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->data["secret"].contains("private/"));
}

}  // namespace
}  // namespace tresor::core

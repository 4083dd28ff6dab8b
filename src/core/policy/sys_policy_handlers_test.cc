// Tests of core/sys_policy_handlers.cc, calling the registered handlers with
// core::Request objects (kept beside the policy code they exercise).
#include "core/sys_policy_handlers.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

using nlohmann::json;

class SysPolicyHandlersTest : public ::testing::Test {
 protected:
  SysPolicyHandlersTest() {
    auto policies_of = [this](const std::string& token) -> StatusOr<std::vector<std::string>> {
      auto it = tokens_.find(token);
      if (it == tokens_.end()) return NotFoundError("unknown token");
      return it->second;
    };
    // A token's accessor here is "accessor-of-" and the token.
    auto policies_of_accessor =
        [policies_of](const std::string& accessor) -> StatusOr<std::vector<std::string>> {
      constexpr std::string_view kPrefix = "accessor-of-";
      if (accessor.rfind(kPrefix, 0) != 0) return NotFoundError("unknown accessor");
      return policies_of(accessor.substr(kPrefix.size()));
    };
    RegisterPolicyHandlers(router_, {store_, policies_of, policies_of_accessor});
  }

  StatusOr<Response> Call(Operation op, const std::string& path, json data = nullptr,
                          std::vector<std::string> caller_policies = {}) {
    const SysRoute* route = router_.Find(path);
    if (route == nullptr) return NotFoundError("no route");
    auto handler = route->handlers.find(op);
    if (handler == route->handlers.end()) return UnsupportedOperationError("no handler");
    Request req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.client_token_policies = std::move(caller_policies);
    return handler->second(req);
  }

  storage::InmemBackend barrier_;
  policy::PolicyStore store_{barrier_};
  std::map<std::string, std::vector<std::string>> tokens_;
  SysRouter router_;
};

constexpr char kPolicy[] = "path \"secret/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n";

TEST_F(SysPolicyHandlersTest, LegacyApiRoundTripShapedLikeVault) {
  auto put = Call(Operation::kUpdate, "sys/policy/MyApp", {{"policy", kPolicy}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(put->data.is_null());
  EXPECT_TRUE(put->warnings.empty());

  auto get = Call(Operation::kRead, "sys/policy/myapp");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_EQ(get->shape, Response::Shape::kEnvelopeWithTopLevelData);
  EXPECT_EQ(get->data, json({{"name", "myapp"}, {"rules", kPolicy}}));

  for (Operation op : {Operation::kRead, Operation::kList}) {
    auto list = Call(op, "sys/policy");
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_EQ(list->shape, Response::Shape::kEnvelopeWithTopLevelData);
    json names = {"default", "myapp", "root"};
    EXPECT_EQ(list->data, json({{"keys", names}, {"policies", names}}));
  }

  ASSERT_TRUE(Call(Operation::kDelete, "sys/policy/myapp").ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/policy/myapp").status().code(), StatusCode::kNotFound);
}

TEST_F(SysPolicyHandlersTest, AclApiRoundTripShapedLikeVault) {
  auto put = Call(Operation::kCreate, "sys/policies/acl/ops", {{"policy", kPolicy}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();

  auto get = Call(Operation::kRead, "sys/policies/acl/ops");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->shape, Response::Shape::kEnvelope);
  EXPECT_EQ(get->data, json({{"name", "ops"}, {"policy", kPolicy}}));

  auto list = Call(Operation::kList, "sys/policies/acl");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->shape, Response::Shape::kEnvelope);
  EXPECT_EQ(list->data, json({{"keys", {"default", "ops", "root"}}}));
  EXPECT_EQ(Call(Operation::kRead, "sys/policies/acl").status().code(),
            StatusCode::kUnsupportedOperation);

  ASSERT_TRUE(Call(Operation::kDelete, "sys/policies/acl/ops").ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/policies/acl/ops").status().code(), StatusCode::kNotFound);
}

TEST_F(SysPolicyHandlersTest, WriteAcceptsRulesOnLegacyApiAndBase64) {
  auto rules = Call(Operation::kUpdate, "sys/policy/a", {{"rules", kPolicy}});
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  EXPECT_EQ(rules->warnings.size(), 1u);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/policies/acl/b", {{"rules", kPolicy}}).status().code(),
            StatusCode::kInvalidArgument);

  ASSERT_TRUE(
      Call(Operation::kUpdate, "sys/policies/acl/c", {{"policy", Base64Encode(kPolicy)}}).ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/policies/acl/c")->data["policy"], kPolicy);
}

TEST_F(SysPolicyHandlersTest, BadRequestsAre400) {
  struct Case {
    Operation op;
    std::string path;
    json data;
    std::string want_message;  // empty: only the code is checked
  };
  const std::vector<Case> cases = {
      {Operation::kUpdate,
       "sys/policy/x",
       {{"policy", "path \"a\" {\n  capabilities = [\"reed\"]\n}"}},
       "failed to parse policy: line 2: unknown capability \"reed\""},
      {Operation::kUpdate, "sys/policies/acl/x", {{"policy", "path \"a\" {"}}, ""},
      {Operation::kUpdate, "sys/policies/acl/x", json::object(),
       "'policy' parameter not supplied or empty"},
      {Operation::kUpdate,
       "sys/policies/acl/x",
       {{"policy", ""}},
       "'policy' parameter not supplied or empty"},
      {Operation::kUpdate,
       "sys/policies/acl/x",
       {{"policy", 7}},
       "policy: expected a string, got an integer"},
      {Operation::kUpdate,
       "sys/policy/",
       {{"policy", kPolicy}},
       "policy name must be provided in the URL"},
      {Operation::kUpdate, "sys/policies/acl/a/b", {{"policy", kPolicy}}, ""},
      {Operation::kRead, "sys/policy/a/b", nullptr, ""},
      {Operation::kUpdate, "sys/policy/root", {{"policy", kPolicy}}, ""},
      {Operation::kDelete, "sys/policy/root", nullptr, ""},
      {Operation::kDelete, "sys/policies/acl/default", nullptr, ""},
  };
  for (const Case& c : cases) {
    auto r = Call(c.op, c.path, c.data);
    ASSERT_FALSE(r.ok()) << c.path << " " << c.data.dump();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.path << " " << c.data.dump();
    if (!c.want_message.empty()) {
      EXPECT_EQ(r.status().message(), c.want_message);
    }
  }
  EXPECT_EQ(*store_.ListPolicies(), (std::vector<std::string>{"default", "root"}));
}

TEST_F(SysPolicyHandlersTest, CapabilitiesOfAnotherToken) {
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/policy/app", {{"policy", kPolicy}}).ok());
  tokens_["hvs.app"] = {"app", "default"};
  tokens_["hvs.root"] = {"root"};

  auto one =
      Call(Operation::kUpdate, "sys/capabilities", {{"token", "hvs.app"}, {"path", "secret/foo"}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->shape, Response::Shape::kEnvelopeWithTopLevelData);
  EXPECT_EQ(one->data,
            json({{"capabilities", {"list", "read"}}, {"secret/foo", {"list", "read"}}}));

  auto by_accessor = Call(Operation::kUpdate, "sys/capabilities-accessor",
                          {{"accessor", "accessor-of-hvs.app"}, {"path", "secret/foo"}});
  ASSERT_TRUE(by_accessor.ok()) << by_accessor.status().ToString();
  EXPECT_EQ(by_accessor->data, one->data);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities-accessor",
                 {{"accessor", "nope"}, {"path", "a"}}).status().message(),
            "invalid accessor");
  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities-accessor", {{"path", "a"}})
                .status().code(),
            StatusCode::kInvalidArgument);

  auto many = Call(Operation::kUpdate, "sys/capabilities",
                   {{"token", "hvs.app"}, {"paths", {"secret/foo", "cubbyhole/x", "sys/seal"}}});
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->data, json({{"secret/foo", {"list", "read"}},
                              {"cubbyhole/x", {"create", "delete", "list", "read", "update"}},
                              {"sys/seal", {"deny"}}}));

  auto comma =
      Call(Operation::kUpdate, "sys/capabilities", {{"token", "hvs.root"}, {"paths", "a, b"}});
  ASSERT_TRUE(comma.ok());
  EXPECT_EQ(comma->data, json({{"a", {"root"}}, {"b", {"root"}}}));

  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities", {{"token", "hvs.nope"}, {"path", "a"}})
                .status()
                .message(),
            "invalid token");
  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities", {{"path", "a"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities", {{"token", "hvs.app"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "sys/capabilities", {{"token", "hvs.app"}, {"paths", {1}}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SysPolicyHandlersTest, CapabilitiesSelfUsesTheCallersPolicies) {
  const SysRoute* route = router_.Find("sys/capabilities-self");
  ASSERT_NE(route, nullptr);
  EXPECT_TRUE(route->any_token);
  EXPECT_FALSE(route->unauthenticated);

  ASSERT_TRUE(Call(Operation::kUpdate, "sys/policy/app", {{"policy", kPolicy}}).ok());
  auto self = Call(Operation::kUpdate, "sys/capabilities-self", {{"path", "secret/x"}}, {"app"});
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->data, json({{"capabilities", {"list", "read"}}, {"secret/x", {"list", "read"}}}));

  auto none = Call(Operation::kUpdate, "sys/capabilities-self", {{"path", "secret/x"}}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->data["capabilities"], json({"deny"}));

  // A policy change shows at once.
  ASSERT_TRUE(Call(Operation::kDelete, "sys/policy/app").ok());
  auto after = Call(Operation::kUpdate, "sys/capabilities-self", {{"path", "secret/x"}}, {"app"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->data["capabilities"], json({"deny"}));
}

TEST_F(SysPolicyHandlersTest, RoutesNeedATokenAndNoSudo) {
  for (const char* path : {"sys/policy", "sys/policy/x", "sys/policies/acl", "sys/policies/acl/x",
                           "sys/capabilities"}) {
    const SysRoute* route = router_.Find(path);
    ASSERT_NE(route, nullptr) << path;
    EXPECT_FALSE(route->unauthenticated) << path;
    EXPECT_FALSE(route->sudo) << path;
    EXPECT_FALSE(route->any_token) << path;
  }
}

}  // namespace
}  // namespace tresor::core

namespace tresor::core {
namespace {

TEST_F(SysPolicyHandlersTest, ResultantAclListsTheCallersRules) {
  ASSERT_TRUE(store_.SetPolicy("app", "path \"secret/data/app\" { capabilities = [\"read\"] }\n"
                                      "path \"secret/+/team/*\" { capabilities = [\"list\"] }")
                  .ok());
  auto r = Call(Operation::kRead, "sys/internal/ui/resultant-acl", nullptr, {"app", "default"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data["root"], false);
  EXPECT_EQ(r->data["exact_paths"]["secret/data/app"]["capabilities"], json({"read"}));
  EXPECT_EQ(r->data["exact_paths"]["auth/token/lookup-self"]["capabilities"], json({"read"}));
  EXPECT_TRUE(r->data["glob_paths"].contains("cubbyhole/"));
  EXPECT_TRUE(r->data["glob_paths"].contains("secret/+/team/*"));
  auto root = Call(Operation::kRead, "sys/internal/ui/resultant-acl", nullptr, {"root"});
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->data["root"], true);
}

}  // namespace
}  // namespace tresor::core

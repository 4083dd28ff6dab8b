// auth/token/roles/* and auth/token/create/<role>: the endpoints and every
// rule a role applies to the tokens created against it.

#include <gtest/gtest.h>

#include "engines/auth/token/token_engine_for_test.h"

namespace tresor::engines::token {
namespace {

using logical::Operation;
using std::chrono::hours;

class TokenRolesTest : public TokenEngineTestBase {
 protected:
  void PutRole(const std::string& name, nlohmann::json body) {
    auto r = Post("roles/" + name, std::move(body), root_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // A non-root token holding only `policies` (and default).
  std::string Holder(std::vector<std::string> policies) {
    return MustCreate({{"policies", policies}}).first;
  }
  nlohmann::json MustCreateAgainst(const std::string& role, nlohmann::json body,
                                   const std::string& as) {
    return MustPostAuth("create/" + role, std::move(body), as);
  }
  nlohmann::json LookupData(const std::string& token) {
    auto r = Post("lookup", {{"token", token}}, root_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data : nlohmann::json();
  }
};

TEST_F(TokenRolesTest, CrudAndList) {
  EXPECT_EQ(Call(Operation::kList, "roles", nullptr, root_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Get("roles/ci", root_).status().code(), StatusCode::kNotFound);
  PutRole("ci", {{"allowed_policies", "web,db"}, {"orphan", true}, {"path_suffix", "v1"}});
  PutRole("batchy", {{"token_type", "batch"}, {"orphan", true}, {"renewable", false}});

  auto list = Call(Operation::kList, "roles", nullptr, root_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], nlohmann::json({"batchy", "ci"}));

  auto read = Get("roles/ci", root_);
  ASSERT_TRUE(read.ok());
  const nlohmann::json& d = read->data;
  EXPECT_EQ(d["name"], "ci");
  EXPECT_EQ(d["allowed_policies"], nlohmann::json({"db", "web"}));
  EXPECT_EQ(d["orphan"], true);
  EXPECT_EQ(d["renewable"], true);
  EXPECT_EQ(d["path_suffix"], "v1");
  EXPECT_EQ(d["token_type"], "default-service");
  EXPECT_EQ(d["token_period"], 0);
  EXPECT_FALSE(d.contains("token_bound_cidrs"));

  // An update keeps the fields it does not name.
  PutRole("ci", {{"renewable", false}});
  read = Get("roles/ci", root_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data["allowed_policies"], nlohmann::json({"db", "web"}));
  EXPECT_EQ(read->data["renewable"], false);

  // Existence check: create vs update for ACL policy.
  logical::Request probe;
  probe.operation = Operation::kUpdate;
  probe.path = "roles/ci";
  EXPECT_EQ(*engine_->Exists(probe), std::optional<bool>(true));
  probe.path = "roles/nope";
  EXPECT_EQ(*engine_->Exists(probe), std::optional<bool>(false));
  probe.path = "create";
  EXPECT_EQ(*engine_->Exists(probe), std::optional<bool>());

  ASSERT_TRUE(Call(Operation::kDelete, "roles/ci", nullptr, root_).ok());
  ASSERT_TRUE(Call(Operation::kDelete, "roles/ci", nullptr, root_).ok());  // no error again
  EXPECT_EQ(Get("roles/ci", root_).status().code(), StatusCode::kNotFound);
  list = Call(Operation::kList, "roles", nullptr, root_);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], nlohmann::json({"batchy"}));
}

TEST_F(TokenRolesTest, WriteWarnsAboutUnknownFieldsAndDeprecatedAliases) {
  auto r = Post("roles/w", {{"token_ttl", "1h"}, {"period", 60}, {"token_period", 30}}, root_);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_NE(r->warnings[0].find("ignoring the deprecated value"), std::string::npos);
  EXPECT_NE(r->warnings[1].find("token_ttl"), std::string::npos);
}

TEST_F(TokenRolesTest, BadRoleRequestsChangeNothing) {
  PutRole("keep", {{"allowed_policies", "web"}});
  std::vector<std::string> before = AllKeys();
  for (auto [op, path, body, code] :
       std::vector<std::tuple<Operation, std::string, nlohmann::json, StatusCode>>{
           {Operation::kUpdate,
            "roles/keep",
            {{"token_type", "gold"}},
            StatusCode::kInvalidArgument},
           {Operation::kUpdate,
            "roles/keep",
            {{"token_num_uses", -2}},
            StatusCode::kInvalidArgument},
           {Operation::kUpdate, "roles/bad name", {{"orphan", true}}, StatusCode::kInvalidArgument},
           {Operation::kUpdate, "roles/a/b", nlohmann::json::object(),
            StatusCode::kInvalidArgument},
           {Operation::kUpdate, "roles/x", nlohmann::json::array(), StatusCode::kInvalidArgument},
           {Operation::kRead, "roles", nullptr, StatusCode::kUnsupportedOperation},
           {Operation::kList, "roles/keep", nullptr, StatusCode::kUnsupportedOperation},
           {Operation::kRead, "roles/-x", nullptr, StatusCode::kInvalidArgument},
       }) {
    auto r = Call(op, path, body, root_);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), code) << path << ": " << r.status().ToString();
  }
  EXPECT_EQ(AllKeys(), before);
  auto kept = Get("roles/keep", root_);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->data["allowed_policies"], nlohmann::json({"web"}));
}

TEST_F(TokenRolesTest, CreateAgainstUnknownRole) {
  Status s = PostStatus("create/nope", nlohmann::json::object(), root_);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown role nope");
  s = PostStatus("create", {{"role_name", "nope"}}, root_);
  EXPECT_EQ(s.message(), "unknown role nope");
  EXPECT_EQ(PostStatus("create/a b", nlohmann::json::object(), root_).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TokenRolesTest, RoleSetsPathOrphanRoleNameAndBoundCidrs) {
  PutRole("ci", {{"orphan", true},
                 {"path_suffix", "v2"},
                 {"token_bound_cidrs", {"10.0.0.0/8"}},
                 {"allowed_policies", "web"}});
  std::string holder = Holder({"ops"});  // holds neither web nor sudo
  nlohmann::json auth = MustCreateAgainst("ci", nlohmann::json::object(), holder);
  EXPECT_EQ(auth["orphan"], true);
  EXPECT_EQ(auth["policies"], nlohmann::json({"default", "web"}));
  nlohmann::json d = LookupData(auth["client_token"]);
  EXPECT_EQ(d["path"], "auth/token/create/ci/v2");
  EXPECT_EQ(d["role"], "ci");
  EXPECT_EQ(d["bound_cidrs"], nlohmann::json({"10.0.0.0/8"}));
  EXPECT_EQ(d["orphan"], true);
}

TEST_F(TokenRolesTest, RoleNameInTheBodyOfCreate) {
  PutRole("ci", {{"allowed_policies", "web"}});
  auto r = Post("create", {{"role_name", "ci"}}, root_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(LookupData(r->auth["client_token"])["path"], "auth/token/create/ci");
  EXPECT_EQ(PostStatus("create/ci", {{"role_name", "other"}}, root_).message(),
            "role_name \"other\" differs from the role in the path");
  EXPECT_NE(PostStatus("create-orphan", {{"role_name", "ci"}}, root_)
                .message()
                .find("role_name is not accepted on create-orphan"),
            std::string::npos);
}

TEST_F(TokenRolesTest, NonOrphanRoleChildIsRevokedWithItsParent) {
  PutRole("kids", {{"allowed_policies", "web"}});
  std::string parent = Holder({"ops"});
  nlohmann::json auth = MustCreateAgainst("kids", nlohmann::json::object(), parent);
  EXPECT_EQ(auth["orphan"], false);
  ASSERT_TRUE(Post("revoke-self", nlohmann::json::object(), parent).ok());
  EXPECT_EQ(Post("lookup", {{"token", auth["client_token"]}}, root_).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(TokenRolesTest, PolicyRulesOfARole) {
  PutRole("limited", {{"allowed_policies", {"web", "db"}}, {"disallowed_policies", "db"}});
  std::string holder = Holder({"ops"});
  // The allowed set is the default; a subset may be asked for.
  EXPECT_EQ(PostStatus("create/limited", nlohmann::json::object(), holder).message(),
            "token policy \"db\" is disallowed by this role");
  nlohmann::json auth = MustCreateAgainst("limited", {{"policies", {"web"}}}, holder);
  EXPECT_EQ(auth["policies"], nlohmann::json({"default", "web"}));
  EXPECT_NE(PostStatus("create/limited", {{"policies", {"ops"}}}, holder)
                .message()
                .find("must be subset of the role's allowed policies"),
            std::string::npos);
  // A role without policy lists keeps the usual subset rule.
  PutRole("plain", {{"orphan", false}});
  EXPECT_EQ(PostStatus("create/plain", {{"policies", {"web"}}}, holder).message(),
            "child policies must be subset of parent");
  auth = MustCreateAgainst("plain", nlohmann::json::object(), holder);
  EXPECT_EQ(auth["policies"], nlohmann::json({"default", "ops"}));
  // The role's token_no_default_policy drops default.
  PutRole("nodefault", {{"allowed_policies", "web"}, {"token_no_default_policy", true}});
  auth = MustCreateAgainst("nodefault", nlohmann::json::object(), holder);
  EXPECT_EQ(auth["policies"], nlohmann::json({"web"}));
  // Only a root parent may get a root token, role or not.
  PutRole("rooty", {{"allowed_policies", "root"}});
  EXPECT_EQ(PostStatus("create/rooty", nlohmann::json::object(), holder).message(),
            "root tokens may not be created without parent token being root");
}

TEST_F(TokenRolesTest, GlobPolicies) {
  PutRole("teams", {{"allowed_policies_glob", "team-*"}, {"disallowed_policies_glob", "*-admin"}});
  std::string holder = Holder({"ops"});
  nlohmann::json auth = MustCreateAgainst("teams", {{"policies", {"team-a", "team-b"}}}, holder);
  EXPECT_EQ(auth["policies"], nlohmann::json({"default", "team-a", "team-b"}));
  EXPECT_FALSE(Post("create/teams", {{"policies", {"team-admin"}}}, holder).ok());
  EXPECT_FALSE(Post("create/teams", {{"policies", {"ops"}}}, holder).ok());
}

TEST_F(TokenRolesTest, PeriodAndExplicitMaxFromTheRoleTakeTheLesser) {
  PutRole("periodic", {{"token_period", "2h"}, {"allowed_policies", "web"}});
  std::string holder = Holder({"ops"});
  // A role's period needs no root.
  nlohmann::json auth = MustCreateAgainst("periodic", nlohmann::json::object(), holder);
  EXPECT_EQ(auth["lease_duration"], 7200);
  nlohmann::json d = LookupData(auth["client_token"]);
  EXPECT_EQ(d["period"], 7200);
  // Asking for a period still needs root; root gets the lesser one.
  EXPECT_EQ(PostStatus("create/periodic", {{"period", "1h"}}, holder).message(),
            "root privileges required to create periodic token");
  auto r = Post("create/periodic", {{"period", "1h"}}, root_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth["lease_duration"], 3600);
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_EQ(r->warnings[0],
            "Period specified both during creation call and in role; using the lesser value of "
            "3600 seconds");

  PutRole("capped", {{"explicit_max_ttl", "1h"}, {"allowed_policies", "web"}});
  r = Post("create/capped", {{"ttl", "5h"}, {"explicit_max_ttl", "3h"}}, holder);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->auth["lease_duration"], 3600);
  EXPECT_EQ(LookupData(r->auth["client_token"])["explicit_max_ttl"], 3600);
}

TEST_F(TokenRolesTest, RenewableAndNumUsesFromTheRole) {
  PutRole("fixed", {{"renewable", false}, {"token_num_uses", 3}, {"allowed_policies", "web"}});
  std::string holder = Holder({"ops"});
  nlohmann::json auth = MustCreateAgainst("fixed", {{"renewable", true}}, holder);
  EXPECT_EQ(auth["renewable"], false);
  EXPECT_EQ(auth["num_uses"], 3);
  auth = MustCreateAgainst("fixed", {{"num_uses", 2}}, holder);  // the lower limit wins
  EXPECT_EQ(auth["num_uses"], 2);
  auth = MustCreateAgainst("fixed", {{"num_uses", 9}}, holder);
  EXPECT_EQ(auth["num_uses"], 3);
}

TEST_F(TokenRolesTest, OrphanDecidedByTheRoleNotNoParent) {
  PutRole("parented", {{"allowed_policies", "web"}});
  Status s = PostStatus("create/parented", {{"no_parent", true}}, root_);
  EXPECT_NE(s.message().find("set orphan on the role instead"), std::string::npos);
  PutRole("orphans", {{"allowed_policies", "web"}, {"orphan", true}});
  std::string holder = Holder({"ops"});
  // Consistent with the role: accepted, even from a non-root caller.
  EXPECT_EQ(MustCreateAgainst("orphans", {{"no_parent", true}}, holder)["orphan"], true);
}

TEST_F(TokenRolesTest, TokenTypeOfTheRole) {
  PutRole("svc", {{"token_type", "service"}, {"allowed_policies", "web"}});
  PutRole("bat", {{"token_type", "batch"},
                  {"orphan", true},
                  {"renewable", false},
                  {"allowed_policies", "web"}});
  PutRole("dflt-bat", {{"token_type", "default-batch"}, {"allowed_policies", "web"}});
  std::string holder = Holder({"ops"});
  EXPECT_EQ(MustCreateAgainst("svc", nlohmann::json::object(), holder)["token_type"], "service");
  EXPECT_EQ(PostStatus("create/svc", {{"type", "batch"}}, holder).message(),
            "type \"batch\": role \"svc\" makes service tokens only");
  nlohmann::json auth = MustCreateAgainst("bat", nlohmann::json::object(), holder);
  EXPECT_EQ(auth["token_type"], "batch");
  EXPECT_TRUE(auth["client_token"].get<std::string>().starts_with("hvb."));
  EXPECT_EQ(auth["accessor"], "");
  EXPECT_EQ(auth["renewable"], false);
  // default-batch: batch unless the caller asks for service.
  EXPECT_EQ(MustCreateAgainst("dflt-bat", nlohmann::json::object(), holder)["token_type"], "batch");
  EXPECT_EQ(MustCreateAgainst("dflt-bat", {{"type", "service"}}, holder)["token_type"], "service");
  // A default-batch role's use limit cannot go on a batch token.
  PutRole("dflt-bat", {{"token_num_uses", 2}});
  EXPECT_NE(PostStatus("create/dflt-bat", nlohmann::json::object(), holder)
                .message()
                .find("batch tokens cannot have \"num_uses\" set"),
            std::string::npos);
}

TEST_F(TokenRolesTest, ChildrenWithoutARoleInheritTheParentsBoundCidrs) {
  PutRole("bound", {{"token_bound_cidrs", "192.0.2.0/24"}, {"allowed_policies", "web"}});
  nlohmann::json bound = MustCreateAgainst("bound", nlohmann::json::object(), root_);
  auto child = Post("create", {{"policies", {"web"}}}, bound["client_token"]);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(LookupData(child->auth["client_token"])["bound_cidrs"],
            nlohmann::json({"192.0.2.0/24"}));
  // A non-expiring root token is never bound (as Vault).
  PutRole("root-bound", {{"token_bound_cidrs", "192.0.2.0/24"}});
  auto root_child = Post("create/root-bound", nlohmann::json::object(), root_);
  ASSERT_TRUE(root_child.ok());
  EXPECT_FALSE(LookupData(root_child->auth["client_token"]).contains("bound_cidrs"));
}

}  // namespace
}  // namespace tresor::engines::token

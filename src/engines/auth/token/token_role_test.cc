#include "engines/auth/token/token_role.h"

#include <gtest/gtest.h>

namespace tresor::engines::token {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr seconds kMaxTtl = hours(768);

// Applies `body` to `role` as a POST to auth/token/roles/<name> does.
StatusOr<std::vector<std::string>> Apply(const nlohmann::json& body, TokenRole* role) {
  logical::Request request;
  request.operation = logical::Operation::kUpdate;
  request.data = body;
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  return ApplyRoleFields(fields, kMaxTtl, role);
}

TEST(TokenRoleTest, DefaultsAreVaults) {
  TokenRole role;
  ASSERT_TRUE(Apply(nlohmann::json::object(), &role).ok());
  EXPECT_FALSE(role.orphan);
  EXPECT_TRUE(role.renewable);
  EXPECT_EQ(role.token_type, "default-service");
  EXPECT_EQ(role.token_period, seconds(0));
  EXPECT_EQ(role.token_num_uses, 0);
}

TEST(TokenRoleTest, FieldsAreReadWithVaultsTypingAndSanitised) {
  TokenRole role;
  auto warnings = Apply({{"allowed_policies", " Web, db ,web"},
                         {"disallowed_policies", {"Root", "admin", "admin"}},
                         {"allowed_policies_glob", "team-*"},
                         {"disallowed_policies_glob", {"*-admin"}},
                         {"orphan", "true"},
                         {"renewable", false},
                         {"path_suffix", "v2/blue"},
                         {"token_period", "1h"},
                         {"token_explicit_max_ttl", 7200},
                         {"token_type", "default-batch"},
                         {"token_bound_cidrs", "10.0.0.0/8, 192.0.2.7,2001:db8::/32"},
                         {"token_num_uses", "3"},
                         {"token_no_default_policy", 1}},
                        &role);
  ASSERT_TRUE(warnings.ok()) << warnings.status().ToString();
  EXPECT_TRUE(warnings->empty());
  EXPECT_EQ(role.allowed_policies, (std::vector<std::string>{"db", "web"}));
  // Unlike allowed policies, "root" does not swallow the others here.
  EXPECT_EQ(role.disallowed_policies, (std::vector<std::string>{"admin", "root"}));
  EXPECT_EQ(role.allowed_policies_glob, std::vector<std::string>{"team-*"});
  EXPECT_EQ(role.disallowed_policies_glob, std::vector<std::string>{"*-admin"});
  EXPECT_TRUE(role.orphan);
  EXPECT_FALSE(role.renewable);
  EXPECT_EQ(role.path_suffix, "v2/blue");
  EXPECT_EQ(role.token_period, hours(1));
  EXPECT_EQ(role.token_explicit_max_ttl, hours(2));
  EXPECT_EQ(role.token_type, "default-batch");
  EXPECT_EQ(role.token_bound_cidrs,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}));
  EXPECT_EQ(role.token_num_uses, 3);
  EXPECT_TRUE(role.token_no_default_policy);
}

TEST(TokenRoleTest, AnUpdateKeepsWhatItDoesNotName) {
  TokenRole role;
  ASSERT_TRUE(Apply({{"allowed_policies", {"web"}}, {"orphan", true}}, &role).ok());
  ASSERT_TRUE(Apply({{"renewable", false}}, &role).ok());
  EXPECT_EQ(role.allowed_policies, std::vector<std::string>{"web"});
  EXPECT_TRUE(role.orphan);
  EXPECT_FALSE(role.renewable);
}

TEST(TokenRoleTest, DeprecatedAliasesWorkAndLoseToTokenNames) {
  TokenRole role;
  auto warnings =
      Apply({{"period", "2h"}, {"explicit_max_ttl", "3h"}, {"bound_cidrs", "10.1.0.0/16"}}, &role);
  ASSERT_TRUE(warnings.ok());
  EXPECT_TRUE(warnings->empty());
  EXPECT_EQ(role.token_period, hours(2));
  EXPECT_EQ(role.token_explicit_max_ttl, hours(3));
  EXPECT_EQ(role.token_bound_cidrs, std::vector<std::string>{"10.1.0.0/16"});

  warnings = Apply({{"period", "2h"}, {"token_period", "1h"}}, &role);
  ASSERT_TRUE(warnings.ok());
  EXPECT_EQ(role.token_period, hours(1));
  ASSERT_EQ(warnings->size(), 1u);
  EXPECT_EQ((*warnings)[0],
            "Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated "
            "value");
}

TEST(TokenRoleTest, ExplicitMaxAboveTheMountMaxWarns) {
  TokenRole role;
  auto warnings = Apply({{"token_explicit_max_ttl", "1000h"}}, &role);
  ASSERT_TRUE(warnings.ok());
  ASSERT_EQ(warnings->size(), 1u);
  EXPECT_NE((*warnings)[0].find("greater than system/mount allowed value of 2764800"),
            std::string::npos);
}

struct BadRole {
  const char* name;
  const char* body;
  const char* message;
};

class TokenRoleBadInputTest : public ::testing::TestWithParam<BadRole> {};

TEST_P(TokenRoleBadInputTest, IsRefusedNamingTheField) {
  TokenRole role;
  auto warnings = Apply(nlohmann::json::parse(GetParam().body), &role);
  ASSERT_FALSE(warnings.ok());
  EXPECT_EQ(warnings.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(warnings.status().message().find(GetParam().message), std::string::npos)
      << warnings.status().message();
}

const BadRole kBadRoles[] = {
    {"orphan_word", R"({"orphan": "maybe"})", "orphan: expected true or false"},
    {"renewable_list", R"({"renewable": []})", "renewable"},
    {"allowed_number", R"({"allowed_policies": 5})", "allowed_policies: expected a list"},
    {"disallowed_object", R"({"disallowed_policies": {}})", "disallowed_policies"},
    {"allowed_glob_number", R"({"allowed_policies_glob": 1})", "allowed_policies_glob"},
    {"disallowed_glob_bool", R"({"disallowed_policies_glob": true})", "disallowed_policies_glob"},
    {"suffix_dotdot", R"({"path_suffix": "a/../b"})", "path_suffix"},
    {"suffix_slash_first", R"({"path_suffix": "/a"})", "path_suffix"},
    {"suffix_space", R"({"path_suffix": "a b"})", "path_suffix"},
    {"suffix_number", R"({"path_suffix": 5})", "path_suffix: expected a string"},
    {"period_bad", R"({"token_period": "1x"})", "token_period"},
    {"period_negative", R"({"period": "-5s"})", "period"},
    {"explicit_bad", R"({"token_explicit_max_ttl": [1]})", "token_explicit_max_ttl"},
    {"type_unknown", R"({"token_type": "gold"})", "token_type: expected"},
    {"type_default", R"({"token_type": "default"})", "token_type: expected"},
    {"type_number", R"({"token_type": 1})", "token_type: expected a string"},
    {"cidr_garbage", R"({"token_bound_cidrs": ["not-an-ip"]})",
     "token_bound_cidrs: \"not-an-ip\" is not a valid CIDR block"},
    {"cidr_prefix_too_long", R"({"token_bound_cidrs": "10.0.0.0/33"})", "token_bound_cidrs"},
    {"cidr_v6_prefix", R"({"bound_cidrs": ["2001:db8::/129"]})", "token_bound_cidrs"},
    {"cidr_empty_prefix", R"({"token_bound_cidrs": ["10.0.0.0/"]})", "token_bound_cidrs"},
    {"num_uses_negative", R"({"token_num_uses": -1})", "token_num_uses cannot be negative"},
    {"num_uses_word", R"({"token_num_uses": "many"})", "token_num_uses: expected an integer"},
    {"no_default_word", R"({"token_no_default_policy": "perhaps"})", "token_no_default_policy"},
    {"entity_aliases", R"({"allowed_entity_aliases": ["bob"]})", "allowed_entity_aliases is not"},
    {"batch_not_orphan", R"({"token_type": "batch", "renewable": false})", "non-orphan"},
    {"batch_renewable", R"({"token_type": "batch", "orphan": true})", "renewable"},
    {"batch_periodic",
     R"({"token_type": "batch", "orphan": true, "renewable": false, "token_period": 60})",
     "periodic"},
    {"batch_explicit_max",
     R"({"token_type": "batch", "orphan": true, "renewable": false, "explicit_max_ttl": 60})",
     "explicit max TTL"},
    {"batch_num_uses",
     R"({"token_type": "batch", "orphan": true, "renewable": false, "token_num_uses": 2})",
     "use-limited"},
};

INSTANTIATE_TEST_SUITE_P(EveryField, TokenRoleBadInputTest, ::testing::ValuesIn(kBadRoles),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TokenRoleTest, ValidBatchRole) {
  TokenRole role;
  ASSERT_TRUE(Apply({{"token_type", "batch"}, {"orphan", true}, {"renewable", false}}, &role).ok());
  EXPECT_EQ(role.token_type, "batch");
}

TEST(TokenRoleTest, RoleNames) {
  for (const char* ok : {"a", "ci", "ci-role", "ci.role_2", "_x_"}) {
    EXPECT_TRUE(ValidateRoleName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "-a", "a-", ".a", "a.", "a/b", "a b", "..", "é"}) {
    EXPECT_EQ(ValidateRoleName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TokenRoleTest, StoredFormRoundTrips) {
  TokenRole role;
  ASSERT_TRUE(Apply({{"allowed_policies", {"web"}},
                     {"disallowed_policies_glob", {"*admin"}},
                     {"orphan", true},
                     {"path_suffix", "v1"},
                     {"token_period", 60},
                     {"token_type", "service"},
                     {"token_bound_cidrs", {"10.0.0.0/8"}},
                     {"token_num_uses", 4}},
                    &role)
                  .ok());
  role.name = "ci";
  auto parsed = ParseTokenRole(SerializeTokenRole(role));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(SerializeTokenRole(*parsed), SerializeTokenRole(role));
  EXPECT_EQ(ParseTokenRole("{\"name\": 1}").status().code(), StatusCode::kCorruption);

  nlohmann::json data = TokenRoleData(role);
  EXPECT_EQ(data["name"], "ci");
  EXPECT_EQ(data["token_period"], 60);
  EXPECT_EQ(data["period"], 60);
  EXPECT_EQ(data["token_bound_cidrs"], nlohmann::json({"10.0.0.0/8"}));
  EXPECT_EQ(data["token_num_uses"], 4);
  EXPECT_EQ(data["token_type"], "service");
}

TEST(TokenRoleTest, GlobMatching) {
  EXPECT_TRUE(PolicyGlobMatch("*", ""));
  EXPECT_TRUE(PolicyGlobMatch("team-*", "team-a"));
  EXPECT_TRUE(PolicyGlobMatch("*-admin", "db-admin"));
  EXPECT_TRUE(PolicyGlobMatch("a*b*c", "axxbyyc"));
  EXPECT_TRUE(PolicyGlobMatch("exact", "exact"));
  EXPECT_FALSE(PolicyGlobMatch("exact", "exactly"));
  EXPECT_FALSE(PolicyGlobMatch("team-*", "teams"));
  EXPECT_FALSE(PolicyGlobMatch("a*b*c", "axxbyy"));
  EXPECT_TRUE(PolicyGlobMatch("**a", "bba"));
}

// Vault's policy rules for a role that lists policies.
class RolePoliciesTest : public ::testing::Test {
 protected:
  StatusOr<std::vector<std::string>> Policies(const nlohmann::json& role_body,
                                              std::vector<std::string> requested,
                                              bool no_default = false) {
    TokenRole role;
    auto applied = Apply(role_body, &role);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    EXPECT_TRUE(RoleRestrictsPolicies(role));
    return RolePolicies(role, requested, no_default, parent_);
  }
  std::vector<std::string> parent_ = {"default", "parent-only"};
};

TEST_F(RolePoliciesTest, AllowedPoliciesAreTheDefaultAndTheLimit) {
  auto p = Policies({{"allowed_policies", {"web", "db"}}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"db", "default", "web"}));
  p = Policies({{"allowed_policies", {"web", "db"}}}, {"web"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"default", "web"}));
  // Not held by the parent, and still fine: that is what roles are for.
  EXPECT_TRUE(Policies({{"allowed_policies", {"web"}}}, {"WEB"}).ok());
  p = Policies({{"allowed_policies", {"web"}}}, {"admin"});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("must be subset of the role's allowed policies"),
            std::string::npos);
}

TEST_F(RolePoliciesTest, GlobsAllowAndDisallow) {
  EXPECT_TRUE(Policies({{"allowed_policies_glob", {"team-*"}}}, {"team-a", "team-b"}).ok());
  EXPECT_FALSE(Policies({{"allowed_policies_glob", {"team-*"}}}, {"ops"}).ok());
  auto p =
      Policies({{"allowed_policies_glob", {"team-*"}}, {"disallowed_policies_glob", {"*-admin"}}},
               {"team-admin"});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("token policy \"team-admin\" is disallowed by this role"),
            std::string::npos);
}

TEST_F(RolePoliciesTest, DisallowedOnlyRoleStartsFromTheParent) {
  auto p = Policies({{"disallowed_policies", {"admin"}}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<std::string>{"default", "parent-only"}));
  EXPECT_FALSE(Policies({{"disallowed_policies", {"admin"}}}, {"admin"}).ok());
  EXPECT_TRUE(Policies({{"disallowed_policies", {"admin"}}}, {"anything"}).ok());
}

TEST_F(RolePoliciesTest, DefaultComesUnlessSomethingSaysNo) {
  auto p = Policies({{"allowed_policies", {"web"}}}, {}, /*no_default=*/true);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, std::vector<std::string>{"web"});
  p = Policies({{"allowed_policies", {"web"}}, {"token_no_default_policy", true}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, std::vector<std::string>{"web"});
  p = Policies({{"allowed_policies", {"web"}}, {"disallowed_policies", {"default"}}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, std::vector<std::string>{"web"});
  // Asked for explicitly while disallowed: refused.
  EXPECT_FALSE(
      Policies({{"allowed_policies", {"web"}}, {"disallowed_policies", {"default"}}}, {"default"})
          .ok());
}

}  // namespace
}  // namespace tresor::engines::token

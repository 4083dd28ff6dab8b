// The bad-input table: every endpoint, every kind of malformed request. Each
// row must be refused with the expected code and a message that says what
// is wrong, and must leave storage exactly as it was.

#include <gtest/gtest.h>

#include "engines/auth/token/token_engine_for_test.h"

namespace tresor::engines::token {
namespace {

using logical::Operation;

struct BadInput {
  const char* name;
  Operation op;
  const char* path;
  const char* body;  // JSON text
  StatusCode code;
  const char* message_part;
};

const BadInput kBadInputs[] = {
    // Bodies that are not objects.
    {"create_array_body", Operation::kUpdate, "create", "[1]", StatusCode::kInvalidArgument,
     "must be a JSON object"},
    {"revoke_string_body", Operation::kUpdate, "revoke", "\"x\"", StatusCode::kInvalidArgument,
     "must be a JSON object"},
    // create
    {"create_policies_number", Operation::kUpdate, "create", R"({"policies": 5})",
     StatusCode::kInvalidArgument, "policies: expected a list of strings"},
    {"create_policies_list_of_ints", Operation::kUpdate, "create", R"({"policies": [1]})",
     StatusCode::kInvalidArgument, "policies"},
    {"create_meta_list", Operation::kUpdate, "create", R"({"meta": ["a"]})",
     StatusCode::kInvalidArgument, "meta: expected an object"},
    {"create_meta_nested", Operation::kUpdate, "create", R"({"meta": {"a": {"b": 1}}})",
     StatusCode::kInvalidArgument, "meta"},
    {"create_ttl_unknown_unit", Operation::kUpdate, "create", R"({"ttl": "5 fortnights"})",
     StatusCode::kInvalidArgument, "ttl"},
    {"create_ttl_negative", Operation::kUpdate, "create", R"({"ttl": -5})",
     StatusCode::kInvalidArgument, "ttl: must not be negative"},
    {"create_ttl_negative_string", Operation::kUpdate, "create", R"({"ttl": "-1h"})",
     StatusCode::kInvalidArgument, "ttl"},
    {"create_ttl_bool", Operation::kUpdate, "create", R"({"ttl": true})",
     StatusCode::kInvalidArgument, "ttl: expected a duration"},
    {"create_ttl_fraction", Operation::kUpdate, "create", R"({"ttl": 1.5})",
     StatusCode::kInvalidArgument, "ttl"},
    {"create_explicit_max_bad", Operation::kUpdate, "create", R"({"explicit_max_ttl": "x"})",
     StatusCode::kInvalidArgument, "explicit_max_ttl"},
    {"create_period_bad", Operation::kUpdate, "create", R"({"period": [1]})",
     StatusCode::kInvalidArgument, "period"},
    {"create_num_uses_negative", Operation::kUpdate, "create", R"({"num_uses": -1})",
     StatusCode::kInvalidArgument, "number of uses cannot be negative"},
    {"create_num_uses_word", Operation::kUpdate, "create", R"({"num_uses": "many"})",
     StatusCode::kInvalidArgument, "num_uses: expected an integer"},
    {"create_renewable_word", Operation::kUpdate, "create", R"({"renewable": "maybe"})",
     StatusCode::kInvalidArgument, "renewable: expected true or false"},
    {"create_no_parent_list", Operation::kUpdate, "create", R"({"no_parent": []})",
     StatusCode::kInvalidArgument, "no_parent: expected a boolean"},
    {"create_display_name_number", Operation::kUpdate, "create", R"({"display_name": 3})",
     StatusCode::kInvalidArgument, "display_name: expected a string"},
    {"create_id_with_space", Operation::kUpdate, "create", R"({"id": "a b"})",
     StatusCode::kInvalidArgument, "token ID"},
    {"create_batch_with_uses", Operation::kUpdate, "create", R"({"type": "batch", "num_uses": 2})",
     StatusCode::kInvalidArgument, "batch tokens cannot have \"num_uses\" set"},
    {"create_batch_root", Operation::kUpdate, "create", R"({"type": "batch"})",
     StatusCode::kInvalidArgument, "batch tokens cannot be root tokens"},
    {"create_bad_type", Operation::kUpdate, "create", R"({"type": "gold"})",
     StatusCode::kInvalidArgument, "token_type"},
    {"create_entity_alias", Operation::kUpdate, "create", R"({"entity_alias": "bob"})",
     StatusCode::kInvalidArgument, "entity_alias is not supported"},
    {"create_role_name_unknown", Operation::kUpdate, "create", R"({"role_name": "r"})",
     StatusCode::kInvalidArgument, "unknown role r"},
    {"create_role_name_number", Operation::kUpdate, "create", R"({"role_name": 5})",
     StatusCode::kInvalidArgument, "role_name: expected a string"},
    {"create_against_unknown_role", Operation::kUpdate, "create/some-role", "{}",
     StatusCode::kInvalidArgument, "unknown role some-role"},
    {"create_against_bad_role_name", Operation::kUpdate, "create/-x", "{}",
     StatusCode::kInvalidArgument, "invalid role name"},
    {"create_against_role_with_get", Operation::kRead, "create/some-role", "null",
     StatusCode::kUnsupportedOperation, "not supported"},
    // roles
    {"role_type_unknown", Operation::kUpdate, "roles/r", R"({"token_type": "gold"})",
     StatusCode::kInvalidArgument, "token_type: expected"},
    {"role_bad_name", Operation::kUpdate, "roles/a.", "{}", StatusCode::kInvalidArgument,
     "invalid role name"},
    {"role_batch_not_orphan", Operation::kUpdate, "roles/r",
     R"({"token_type": "batch", "renewable": false})", StatusCode::kInvalidArgument,
     "'token_type' cannot be 'batch'"},
    {"role_cidr", Operation::kUpdate, "roles/r", R"({"token_bound_cidrs": "10.0.0.0/40"})",
     StatusCode::kInvalidArgument, "token_bound_cidrs"},
    {"role_suffix", Operation::kUpdate, "roles/r", R"({"path_suffix": "../x"})",
     StatusCode::kInvalidArgument, "path_suffix"},
    {"role_array_body", Operation::kUpdate, "roles/r", "[1]", StatusCode::kInvalidArgument,
     "must be a JSON object"},
    {"role_missing", Operation::kRead, "roles/nope", "null", StatusCode::kNotFound, ""},
    {"roles_read", Operation::kRead, "roles", "null", StatusCode::kUnsupportedOperation,
     "not supported"},
    {"create_orphan_bad_ttl", Operation::kUpdate, "create-orphan", R"({"ttl": "1y"})",
     StatusCode::kInvalidArgument, "ttl"},
    {"create_with_get", Operation::kRead, "create", "null", StatusCode::kUnsupportedOperation,
     "not supported"},
    // lookup
    {"lookup_token_number", Operation::kUpdate, "lookup", R"({"token": 5})",
     StatusCode::kInvalidArgument, "token: expected a string"},
    {"lookup_unknown", Operation::kUpdate, "lookup", R"({"token": "hvs.unknown"})",
     StatusCode::kPermissionDenied, "bad token"},
    {"lookup_accessor_missing", Operation::kUpdate, "lookup-accessor", "{}",
     StatusCode::kInvalidArgument, "missing accessor"},
    {"lookup_accessor_list", Operation::kUpdate, "lookup-accessor", R"({"accessor": ["a"]})",
     StatusCode::kInvalidArgument, "accessor: expected a string"},
    {"lookup_accessor_unknown", Operation::kUpdate, "lookup-accessor", R"({"accessor": "nope"})",
     StatusCode::kInvalidArgument, "invalid accessor"},
    {"lookup_accessor_get", Operation::kRead, "lookup-accessor", "null",
     StatusCode::kUnsupportedOperation, "not supported"},
    // renew
    {"renew_missing_token", Operation::kUpdate, "renew", "{}", StatusCode::kInvalidArgument,
     "missing token ID"},
    {"renew_unknown_token", Operation::kUpdate, "renew", R"({"token": "hvs.unknown"})",
     StatusCode::kInvalidArgument, "token not found"},
    {"renew_bad_increment", Operation::kUpdate, "renew",
     R"({"token": "hvs.unknown", "increment": "soon"})", StatusCode::kInvalidArgument, "increment"},
    {"renew_negative_increment", Operation::kUpdate, "renew-self", R"({"increment": -60})",
     StatusCode::kInvalidArgument, "increment: must not be negative"},
    {"renew_accessor_missing", Operation::kUpdate, "renew-accessor", "{}",
     StatusCode::kInvalidArgument, "missing accessor"},
    // revoke
    {"revoke_missing_token", Operation::kUpdate, "revoke", "{}", StatusCode::kInvalidArgument,
     "missing token ID"},
    {"revoke_empty_token", Operation::kUpdate, "revoke", R"({"token": ""})",
     StatusCode::kInvalidArgument, "missing token ID"},
    {"revoke_token_object", Operation::kUpdate, "revoke", R"({"token": {}})",
     StatusCode::kInvalidArgument, "token: expected a string"},
    {"revoke_with_get", Operation::kRead, "revoke", "null", StatusCode::kUnsupportedOperation,
     "not supported"},
    {"revoke_accessor_missing", Operation::kUpdate, "revoke-accessor", "{}",
     StatusCode::kInvalidArgument, "missing accessor"},
    {"revoke_accessor_unknown", Operation::kUpdate, "revoke-accessor", R"({"accessor": "nope"})",
     StatusCode::kInvalidArgument, "invalid accessor"},
    {"revoke_orphan_missing", Operation::kUpdate, "revoke-orphan", "{}",
     StatusCode::kInvalidArgument, "missing token ID"},
    {"revoke_orphan_unknown", Operation::kUpdate, "revoke-orphan", R"({"token": "hvs.unknown"})",
     StatusCode::kInvalidArgument, "token to revoke not found"},
    // accessors, tidy, unknown paths
    {"accessors_with_get", Operation::kRead, "accessors", "null", StatusCode::kUnsupportedOperation,
     "not supported"},
    {"tidy_with_get", Operation::kRead, "tidy", "null", StatusCode::kUnsupportedOperation,
     "not supported"},
    {"unknown_path", Operation::kUpdate, "frobnicate", "{}", StatusCode::kNotFound,
     "unsupported path"},
};

class TokenBadInputTest : public TokenEngineTestBase,
                          public ::testing::WithParamInterface<BadInput> {};

TEST_P(TokenBadInputTest, RefusedWithActionableMessageAndNothingChanged) {
  const BadInput& row = GetParam();
  auto [child, accessor] = MustCreate({{"policies", {"web"}}, {"ttl", "1h"}});
  std::vector<std::string> keys_before = AllKeys();
  auto child_before = Get("lookup-self", child);
  ASSERT_TRUE(child_before.ok());

  auto r = Call(row.op, row.path, nlohmann::json::parse(row.body), root_);
  ASSERT_FALSE(r.ok()) << row.name << " was accepted";
  EXPECT_EQ(r.status().code(), row.code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(row.message_part), std::string::npos) << r.status().message();

  EXPECT_EQ(AllKeys(), keys_before);
  auto child_after = Get("lookup-self", child);
  ASSERT_TRUE(child_after.ok());
  EXPECT_EQ(child_after->data, child_before->data);
}

INSTANTIATE_TEST_SUITE_P(AllEndpoints, TokenBadInputTest, ::testing::ValuesIn(kBadInputs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(TokenEngineTestBase, ErrorMessagesNeverEchoTheToken) {
  const std::string secret = "hvs.SECRETSECRETSECRETSECRE";
  for (const char* path : {"lookup", "renew", "revoke-orphan"}) {
    auto r = Post(path, {{"token", secret}}, root_);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().message().find("SECRET"), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace tresor::engines::token

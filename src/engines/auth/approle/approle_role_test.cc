// Roles: CRUD, LIST, role IDs, the per-field paths and bad input.
#include <regex>

#include "engines/auth/approle/approle_engine_for_test.h"

namespace tresor::engines::approle {
namespace {

using logical::Operation;
using nlohmann::json;

class AppRoleRoleTest : public AppRoleTestBase {};

TEST_F(AppRoleRoleTest, CreateReadListDelete) {
  EXPECT_EQ(Call(Operation::kList, "role").status().code(), StatusCode::kNotFound);
  auto created = Call(Operation::kCreate, "role/Web-App",
                      {{"token_policies", "Reader,writer"},
                       {"token_ttl", "10m"},
                       {"token_max_ttl", "30m"},
                       {"token_num_uses", 5},
                       {"secret_id_num_uses", 3},
                       {"secret_id_ttl", "1h"},
                       {"secret_id_bound_cidrs", "10.0.0.0/8,127.0.0.1"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->warnings.empty());

  auto read = Get("role/web-app");  // names are case-insensitive
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const json& data = read->data;
  EXPECT_EQ(data["bind_secret_id"], true);
  EXPECT_EQ(data["token_policies"], json({"reader", "writer"}));
  EXPECT_EQ(data["policies"], json({"reader", "writer"}));
  EXPECT_EQ(data["token_ttl"], 600);
  EXPECT_EQ(data["token_max_ttl"], 1800);
  EXPECT_EQ(data["token_num_uses"], 5);
  EXPECT_EQ(data["secret_id_num_uses"], 3);
  EXPECT_EQ(data["secret_id_ttl"], 3600);
  EXPECT_EQ(data["secret_id_bound_cidrs"], json({"10.0.0.0/8", "127.0.0.1"}));
  EXPECT_EQ(data["local_secret_ids"], false);
  EXPECT_EQ(data["token_type"], "default");
  EXPECT_FALSE(data.contains("role_id"));  // only role-id shows it

  MustCreateRole("other");
  auto list = Call(Operation::kList, "role");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], json({"other", "web-app"}));

  ASSERT_TRUE(Call(Operation::kDelete, "role/WEB-APP").ok());
  EXPECT_EQ(Get("role/web-app").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Call(Operation::kDelete, "role/web-app").ok());  // deleting again is fine
}

TEST_F(AppRoleRoleTest, RoleIdsAreUuidsAndCanBeSet) {
  std::string role_id = MustCreateRole("a");
  EXPECT_TRUE(std::regex_match(
      role_id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << role_id;
  EXPECT_NE(MustCreateRole("b"), role_id);
  // An update keeps the role ID.
  ASSERT_TRUE(Post("role/a", {{"token_ttl", 60}}).ok());
  EXPECT_EQ(Get("role/a/role-id")->data["role_id"], role_id);

  ASSERT_TRUE(Post("role/a/role-id", {{"role_id", "custom-id"}}).ok());
  EXPECT_EQ(Get("role/a/role-id")->data["role_id"], "custom-id");
  ASSERT_TRUE(Post("role/c", {{"role_id", "given-at-creation"}}).ok());
  EXPECT_EQ(Get("role/c/role-id")->data["role_id"], "given-at-creation");

  auto taken = Post("role/b/role-id", {{"role_id", "custom-id"}});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().message(), "role_id already in use");
  auto missing = Post("role/b/role-id", json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing role_id");
  auto no_role = Post("role/nope/role-id", {{"role_id", "x"}});
  EXPECT_EQ(no_role.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_role.status().message(), "role \"nope\" does not exist");
}

TEST_F(AppRoleRoleTest, FieldPathsReadSetAndReset) {
  MustCreateRole("r", {{"token_policies", "a"}, {"token_ttl", 60}, {"period", "1h"}});
  auto policies = Get("role/r/policies");
  ASSERT_TRUE(policies.ok());
  EXPECT_EQ(policies->data, json({{"token_policies", {"a"}}, {"policies", {"a"}}}));
  ASSERT_TRUE(Post("role/r/policies", {{"policies", "b,c"}}).ok());
  EXPECT_EQ(Get("role/r")->data["token_policies"], json({"b", "c"}));

  EXPECT_EQ(Get("role/r/period")->data, json({{"token_period", 3600}, {"period", 3600}}));
  ASSERT_TRUE(Call(Operation::kDelete, "role/r/period").ok());
  EXPECT_EQ(Get("role/r")->data["token_period"], 0);

  for (auto [path, field, value, expected] :
       {std::tuple{"secret-id-num-uses", "secret_id_num_uses", json(7), json(7)},
        {"secret-id-ttl", "secret_id_ttl", json("2m"), json(120)},
        {"token-ttl", "token_ttl", json("5m"), json(300)},
        {"token-max-ttl", "token_max_ttl", json(900), json(900)},
        {"token-num-uses", "token_num_uses", json(2), json(2)},
        {"secret-id-bound-cidrs", "secret_id_bound_cidrs", json("10.0.0.0/8"),
         json({"10.0.0.0/8"})},
        {"token-bound-cidrs", "token_bound_cidrs", json({"192.168.0.0/16"}),
         json({"192.168.0.0/16"})},
        {"bind-secret-id", "bind_secret_id", json(false), json(false)}}) {
    SCOPED_TRACE(path);
    auto set = Post(std::string("role/r/") + path, {{field, value}});
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    auto got = Get(std::string("role/r/") + path);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->data, json({{field, expected}}));
  }
  // Deleting bind-secret-id restores its default, true.
  ASSERT_TRUE(Call(Operation::kDelete, "role/r/bind-secret-id").ok());
  EXPECT_EQ(Get("role/r")->data["bind_secret_id"], true);
  ASSERT_TRUE(Call(Operation::kDelete, "role/r/token-bound-cidrs").ok());
  EXPECT_EQ(Get("role/r")->data["token_bound_cidrs"], json::array());

  // A field path takes its own field only; others are named in a warning.
  auto other = Post("role/r/token-ttl", {{"token_ttl", 30}, {"token_max_ttl", 1}});
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_EQ(other->warnings.size(), 1u);
  EXPECT_NE(other->warnings[0].find("[token_max_ttl]"), std::string::npos);
  EXPECT_EQ(Get("role/r")->data["token_max_ttl"], 900);

  auto missing = Post("role/r/token-ttl", {{"ttl", 30}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing token_ttl");
  EXPECT_EQ(Get("role/r/local-secret-ids")->data, json({{"local_secret_ids", false}}));
  EXPECT_EQ(Post("role/r/local-secret-ids", {{"local_secret_ids", true}}).status().code(),
            StatusCode::kUnsupportedOperation);
  EXPECT_EQ(Get("role/none/token-ttl").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Post("role/none/token-ttl", {{"token_ttl", 1}}).status().code(), StatusCode::kNotFound);
}

TEST_F(AppRoleRoleTest, LocalSecretIdsIsSetOnlyAtCreation) {
  MustCreateRole("local", {{"local_secret_ids", true}});
  EXPECT_EQ(Get("role/local")->data["local_secret_ids"], true);
  EXPECT_TRUE(Post("role/local", {{"local_secret_ids", true}}).ok());  // unchanged: fine
  auto changed = Post("role/local", {{"local_secret_ids", false}});
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().message(),
            "local_secret_ids can only be modified during role creation");
}

TEST_F(AppRoleRoleTest, UnknownFieldsGetVaultsWarning) {
  auto created = Call(Operation::kCreate, "role/w", {{"enable_local_secret_ids", false}});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->warnings.size(), 1u);
  EXPECT_EQ(created->warnings[0],
            "Endpoint ignored these unrecognized parameters: [enable_local_secret_ids]");
  auto adjusted = Post("role/w", {{"token_type", "default-service"}});
  ASSERT_TRUE(adjusted.ok());
  ASSERT_EQ(adjusted->warnings.size(), 1u);
  EXPECT_EQ(adjusted->warnings[0], "default-service has no useful meaning; adjusting to service");
  EXPECT_EQ(Get("role/w")->data["token_type"], "service");
}

TEST_F(AppRoleRoleTest, BadInputIsRefusedAndChangesNothing) {
  MustCreateRole("exists");
  const std::vector<std::string> before = AllKeys();
  struct Case {
    std::string path;
    json body;
    const char* fragment;
  };
  const Case cases[] = {
      {"role/bad name", json::object(), "role_name: only letters"},
      {"role/-x", json::object(), "role_name: only letters"},
      {"role/" + std::string(4097, 'a'), json::object(), "role_name is longer than maximum"},
      {"role/n", {{"bind_secret_id", false}}, "at least one constraint should be enabled"},
      {"role/n", {{"bind_secret_id", "maybe"}}, "bind_secret_id: expected true or false"},
      {"role/n", {{"secret_id_num_uses", -1}}, "secret_id_num_uses cannot be negative"},
      {"role/n", {{"secret_id_num_uses", "x"}}, "secret_id_num_uses: expected an integer"},
      {"role/n", {{"secret_id_ttl", "1x"}}, "secret_id_ttl: invalid duration"},
      {"role/n",
       {{"secret_id_bound_cidrs", "10.0.0.0/99"}},
       "secret_id_bound_cidrs: \"10.0.0.0/99\" is not a valid CIDR block"},
      {"role/n",
       {{"token_bound_cidrs", json::array({"x"})}},
       "token_bound_cidrs: \"x\" is not a valid CIDR block"},
      {"role/n",
       {{"token_ttl", "2h"}, {"token_max_ttl", "1h"}},
       "token_ttl cannot be greater than token_max_ttl"},
      {"role/n", {{"token_type", "nope"}}, "token_type: invalid value"},
      {"role/n", {{"token_num_uses", -3}}, "token_num_uses cannot be negative"},
      {"role/n", {{"role_id", ""}}, "role_id: must not be empty"},
      {"role/n", {{"role_id", std::string(4097, 'r')}}, "role_id is longer than maximum"},
      {"role/n", {{"token_policies", {1, 2}}}, "token_policies: expected a list of strings"},
      {"role/exists/bind-secret-id",
       {{"bind_secret_id", false}},
       "at least one constraint should be enabled"},
      {"role/exists/secret-id-num-uses",
       {{"secret_id_num_uses", -2}},
       "secret_id_num_uses cannot be negative"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path.substr(0, 40) + " " + c.body.dump().substr(0, 80));
    auto result = Post(c.path, c.body);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(c.fragment), std::string::npos)
        << result.status().message();
  }
  EXPECT_EQ(AllKeys(), before);
  EXPECT_EQ(Call(Operation::kDelete, "role").status().code(), StatusCode::kUnsupportedOperation);
  EXPECT_EQ(Call(Operation::kList, "role/exists").status().code(),
            StatusCode::kUnsupportedOperation);
  EXPECT_EQ(Get("role/exists/nosuch").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Get("nosuch").status().code(), StatusCode::kNotFound);
}

TEST_F(AppRoleRoleTest, ExistsTellsCreateFromUpdate) {
  logical::Request request;
  request.operation = Operation::kUpdate;
  request.path = "role/e";
  auto before = engine_->Exists(request);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, std::optional<bool>(false));
  MustCreateRole("e");
  EXPECT_EQ(*engine_->Exists(request), std::optional<bool>(true));
  request.path = "role/e/secret-id";
  EXPECT_EQ(*engine_->Exists(request), std::optional<bool>());
  EXPECT_EQ(engine_->UnauthenticatedPaths(), std::vector<std::string>{"login"});
}

TEST_F(AppRoleRoleTest, AFailedWriteLeavesTheRoleAsItWas) {
  std::string role_id = MustCreateRole("f", {{"token_ttl", 60}});
  const std::string before = Dump();
  storage_.SetFailWrites(true);
  EXPECT_FALSE(Post("role/f", {{"role_id", "new-id"}, {"token_ttl", 90}}).ok());
  storage_.SetFailWrites(false);
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(Get("role/f/role-id")->data["role_id"], role_id);
}

}  // namespace
}  // namespace tresor::engines::approle

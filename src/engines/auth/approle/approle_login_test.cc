// login: what the Login carries, and every way it is refused (wrong IDs,
// expiry on the fake clock, use counts, CIDR blocks), including concurrent
// logins racing for the last uses.
#include <atomic>
#include <thread>

#include "engines/auth/approle/approle_engine_for_test.h"

namespace tresor::engines::approle {
namespace {

using logical::Operation;
using nlohmann::json;
using std::chrono::seconds;

constexpr char kInvalid[] = "invalid role or secret ID";

class AppRoleLoginTest : public AppRoleTestBase {};

TEST_F(AppRoleLoginTest, LoginCarriesTheRolesTokenFieldsAndMetadata) {
  std::string role_id = MustCreateRole("web", {{"token_policies", "reader"},
                                               {"token_ttl", "20m"},
                                               {"token_max_ttl", "1h"},
                                               {"token_num_uses", 4},
                                               {"token_period", 0},
                                               {"token_type", "service"},
                                               {"token_bound_cidrs", "127.0.0.0/8"}});
  json issued = MustIssueSecretId("web", {{"metadata", R"({"host": "h1"})"}});
  auto login = Login(role_id, issued["secret_id"]);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  ASSERT_TRUE(login->login.has_value());
  const auto& l = *login->login;
  EXPECT_EQ(l.policies, (std::vector<std::string>{"default", "reader"}));
  EXPECT_EQ(l.metadata, (std::map<std::string, std::string>{{"host", "h1"}, {"role_name", "web"}}));
  EXPECT_EQ(l.display_name, "approle");
  EXPECT_EQ(l.ttl_seconds, 1200);
  EXPECT_EQ(l.max_ttl_seconds, 3600);
  EXPECT_EQ(l.num_uses, 4);
  EXPECT_EQ(l.token_type, "service");
  EXPECT_EQ(l.bound_cidrs, (std::vector<std::string>{"127.0.0.0/8"}));
  EXPECT_TRUE(login->auth.is_null());  // core mints the token, never the engine

  // A secret ID's own token_bound_cidrs replace the role's.
  json narrow = MustIssueSecretId("web", {{"token_bound_cidrs", "127.0.0.1"}});
  auto narrowed = Login(role_id, narrow["secret_id"]);
  ASSERT_TRUE(narrowed.ok());
  EXPECT_EQ(narrowed->login->bound_cidrs, (std::vector<std::string>{"127.0.0.1"}));
}

TEST_F(AppRoleLoginTest, WrongIdsGetOneAnswer) {
  std::string role_id = MustCreateRole("a");
  json issued = MustIssueSecretId("a");
  MustCreateRole("b");
  json other = MustIssueSecretId("b");
  const std::vector<std::string> before = AllKeys();
  for (auto [rid, sid] :
       {std::pair{std::string("no-such-role-id"), issued["secret_id"].get<std::string>()},
        {role_id, std::string("no-such-secret")},
        {role_id, other["secret_id"].get<std::string>()},  // another role's
        {role_id, std::string(5000, 's')},
        {std::string(5000, 'r'), issued["secret_id"].get<std::string>()}}) {
    SCOPED_TRACE(rid.substr(0, 20) + " " + sid.substr(0, 20));
    auto refused = Login(rid, sid);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message(), kInvalid);
  }
  auto no_role_id = Call(Operation::kCreate, "login", {{"secret_id", "x"}});
  EXPECT_EQ(no_role_id.status().message(), "missing role_id");
  auto no_secret = Call(Operation::kCreate, "login", {{"role_id", role_id}});
  EXPECT_EQ(no_secret.status().message(), "missing secret_id");
  auto bad_type = Call(Operation::kCreate, "login", {{"role_id", 5}});
  EXPECT_EQ(bad_type.status().message(), "role_id: expected a string, got an integer");
  EXPECT_EQ(Get("login").status().code(), StatusCode::kUnsupportedOperation);
  EXPECT_EQ(AllKeys(), before);
}

TEST_F(AppRoleLoginTest, SecretIdExpiresWithItsTtl) {
  std::string role_id = MustCreateRole("t", {{"secret_id_ttl", "10m"}});
  json issued = MustIssueSecretId("t");
  clock_.Advance(seconds(599));
  EXPECT_TRUE(Login(role_id, issued["secret_id"]).ok());
  clock_.Advance(seconds(1));
  auto expired = Login(role_id, issued["secret_id"]);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(), kInvalid);
  // A shorter ttl given at issue wins.
  json quick = MustIssueSecretId("t", {{"ttl", 30}});
  clock_.Advance(seconds(30));
  EXPECT_EQ(Login(role_id, quick["secret_id"]).status().message(), kInvalid);
}

TEST_F(AppRoleLoginTest, UsesAreCountedAndTheLastOneDeletesTheSecretId) {
  std::string role_id = MustCreateRole("u", {{"secret_id_num_uses", 2}});
  json issued = MustIssueSecretId("u");
  ASSERT_TRUE(Login(role_id, issued["secret_id"]).ok());
  auto lookup = Post("role/u/secret-id/lookup", {{"secret_id", issued["secret_id"]}});
  EXPECT_EQ(lookup->data["secret_id_num_uses"], 1);
  ASSERT_TRUE(Login(role_id, issued["secret_id"]).ok());
  EXPECT_EQ(Login(role_id, issued["secret_id"]).status().message(), kInvalid);
  EXPECT_EQ(Call(Operation::kList, "role/u/secret-id").status().code(), StatusCode::kNotFound);
  for (const std::string& key : AllKeys()) EXPECT_FALSE(key.starts_with("accessor/")) << key;
}

TEST_F(AppRoleLoginTest, ConcurrentLoginsConsumeEachUseOnce) {
  constexpr int kUses = 5;
  std::string role_id = MustCreateRole("c", {{"secret_id_num_uses", kUses}});
  const std::string secret_id = MustIssueSecretId("c")["secret_id"];
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4 * kUses; ++i) {
    threads.emplace_back([&] {
      auto result = Login(role_id, secret_id);
      if (result.ok()) {
        ++succeeded;
      } else if (result.status().message() == kInvalid) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded.load(), kUses);
  EXPECT_EQ(refused.load(), 3 * kUses);
}

TEST_F(AppRoleLoginTest, CidrRestrictionsRefuseWithoutConsumingAUse) {
  std::string role_id =
      MustCreateRole("n", {{"secret_id_bound_cidrs", "10.0.0.0/8"}, {"secret_id_num_uses", 1}});
  json issued = MustIssueSecretId("n");
  auto outside = Login(role_id, issued["secret_id"], "127.0.0.1:5555");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outside.status().message(),
            "source address \"127.0.0.1\" unauthorized by CIDR restrictions on the role");
  EXPECT_EQ(Post("role/n/secret-id/lookup", {{"secret_id", issued["secret_id"]}})
                ->data["secret_id_num_uses"],
            1);
  EXPECT_TRUE(Login(role_id, issued["secret_id"], "10.1.2.3:5555").ok());

  json pinned = MustIssueSecretId("n", {{"cidr_list", "10.9.9.9/32"}});
  auto elsewhere = Login(role_id, pinned["secret_id"], "10.1.2.3:5555");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.status().message(),
            "source address \"10.1.2.3\" unauthorized through CIDR restrictions on the secret ID");
  EXPECT_TRUE(Login(role_id, pinned["secret_id"], "[::ffff:10.9.9.9]:1").ok());

  // A role narrowed after issuing: the secret ID's blocks no longer fit.
  json wide = MustIssueSecretId("n", {{"cidr_list", "10.0.0.0/16"}});
  ASSERT_TRUE(
      Post("role/n/secret-id-bound-cidrs", {{"secret_id_bound_cidrs", "10.0.0.0/24"}}).ok());
  auto narrowed = Login(role_id, wide["secret_id"], "10.0.0.1:1");
  ASSERT_FALSE(narrowed.ok());
  EXPECT_NE(narrowed.status().message().find("no longer within the role's"), std::string::npos);
}

TEST_F(AppRoleLoginTest, RoleWithoutBindSecretIdLogsInWithTheRoleIdAlone) {
  std::string role_id = MustCreateRole(
      "open", {{"bind_secret_id", false}, {"secret_id_bound_cidrs", "127.0.0.1/32"}});
  auto login = Call(Operation::kCreate, "login", {{"role_id", role_id}});
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->login->metadata, (std::map<std::string, std::string>{{"role_name", "open"}}));
  EXPECT_FALSE(Call(Operation::kCreate, "login", {{"role_id", role_id}}, "10.0.0.1:1").ok());
}

TEST_F(AppRoleLoginTest, ANewRoleIdReplacesTheOld) {
  std::string old_id = MustCreateRole("r");
  json issued = MustIssueSecretId("r");
  ASSERT_TRUE(Post("role/r/role-id", {{"role_id", "new-role-id"}}).ok());
  EXPECT_EQ(Login(old_id, issued["secret_id"]).status().message(), kInvalid);
  EXPECT_TRUE(Login("new-role-id", issued["secret_id"]).ok());
  ASSERT_TRUE(Call(Operation::kDelete, "role/r").ok());
  EXPECT_EQ(Login("new-role-id", issued["secret_id"]).status().message(), kInvalid);
}

TEST_F(AppRoleLoginTest, AFailedWriteConsumesNoUse) {
  std::string role_id = MustCreateRole("w", {{"secret_id_num_uses", 1}});
  json issued = MustIssueSecretId("w");
  storage_.SetFailWrites(true);
  auto failed = Login(role_id, issued["secret_id"]);
  storage_.SetFailWrites(false);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Login(role_id, issued["secret_id"]).ok());
}

}  // namespace
}  // namespace tresor::engines::approle

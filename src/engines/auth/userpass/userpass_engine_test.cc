#include "engines/auth/userpass/userpass_engine.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::userpass {
namespace {

using logical::Operation;
using nlohmann::json;

class UserpassTest : public testing::Test {
 protected:
  UserpassTest()
      : context_{storage_, SystemClock::Get(), {}}, engine_(NewUserpassEngine(context_)) {}

  StatusOr<logical::Response> Call(Operation op, std::string path, json data = nullptr) {
    logical::Request request;
    request.operation = op;
    request.path = std::move(path);
    request.data = std::move(data);
    request.mount_point = "auth/userpass/";
    return engine_->Handle(request);
  }

  storage::InmemBackend storage_;
  logical::EngineContext context_;
  std::unique_ptr<logical::Engine> engine_;
};

TEST_F(UserpassTest, LoginNamesTheUsersPoliciesAndTtls) {
  ASSERT_TRUE(Call(Operation::kCreate, "users/Alice",
                   {{"password", "s3cret"},
                    {"token_policies", "reader,writer"},
                    {"token_ttl", "1h"},
                    {"token_max_ttl", 7200}})
                  .ok());
  auto login = Call(Operation::kUpdate, "login/alice", {{"password", "s3cret"}});
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  ASSERT_TRUE(login->login.has_value());
  EXPECT_EQ(login->login->policies, (std::vector<std::string>{"default", "reader", "writer"}));
  EXPECT_EQ(login->login->display_name, "userpass-alice");
  EXPECT_EQ(login->login->metadata.at("username"), "alice");
  EXPECT_EQ(login->login->ttl_seconds, 3600);
  EXPECT_EQ(login->login->max_ttl_seconds, 7200);
  EXPECT_TRUE(login->auth.is_null());  // core mints the token, never the engine
}

TEST_F(UserpassTest, LoginCarriesEveryTokenField) {
  ASSERT_TRUE(Call(Operation::kCreate, "users/hana",
                   {{"password", "pw"},
                    {"token_policies", "reader"},
                    {"token_num_uses", 3},
                    {"token_period", "30m"},
                    {"token_explicit_max_ttl", "2h"},
                    {"token_type", "service"},
                    {"bound_cidrs", "127.0.0.1/32"},
                    {"token_no_default_policy", true}})
                  .ok());
  auto login = Call(Operation::kUpdate, "login/hana", {{"password", "pw"}});
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->login->policies, (std::vector<std::string>{"reader"}));
  EXPECT_TRUE(login->login->no_default_policy);
  EXPECT_EQ(login->login->num_uses, 3);
  EXPECT_EQ(login->login->period_seconds, 1800);
  EXPECT_EQ(login->login->max_ttl_seconds, 7200);
  EXPECT_EQ(login->login->token_type, "service");
  EXPECT_EQ(login->login->bound_cidrs, (std::vector<std::string>{"127.0.0.1/32"}));

  auto read = Call(Operation::kRead, "users/hana");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data["token_num_uses"], 3);
  EXPECT_EQ(read->data["token_period"], 1800);
  EXPECT_EQ(read->data["token_explicit_max_ttl"], 7200);
  EXPECT_EQ(read->data["token_bound_cidrs"], json({"127.0.0.1/32"}));
  EXPECT_EQ(read->data["bound_cidrs"], json({"127.0.0.1/32"}));
  EXPECT_EQ(read->data["token_no_default_policy"], true);

  // An update that names one field leaves the others alone.
  auto update = Call(Operation::kUpdate, "users/hana", {{"token_num_uses", 0}});
  ASSERT_TRUE(update.ok()) << update.status().ToString();
  EXPECT_TRUE(update->warnings.empty());
  login = Call(Operation::kUpdate, "login/hana", {{"password", "pw"}});
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->login->num_uses, 0);
  EXPECT_EQ(login->login->period_seconds, 1800);
}

TEST_F(UserpassTest, UsersStoredInTheFirstFormStillLoad) {
  ASSERT_TRUE(storage_
                  .Put("user/ivan", json({{"password_hash", ""},
                                          {"token_policies", {"old"}},
                                          {"token_ttl", 60},
                                          {"token_max_ttl", 120}})
                                        .dump())
                  .ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "users/ivan/password", {{"password", "pw"}}).ok());
  auto login = Call(Operation::kUpdate, "login/ivan", {{"password", "pw"}});
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->login->policies, (std::vector<std::string>{"default", "old"}));
  EXPECT_EQ(login->login->ttl_seconds, 60);
  EXPECT_EQ(login->login->max_ttl_seconds, 120);
  EXPECT_EQ(login->login->num_uses, 0);
  EXPECT_TRUE(login->login->bound_cidrs.empty());
  auto read = Call(Operation::kRead, "users/ivan");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data["token_type"], "default");
}

TEST_F(UserpassTest, UnknownFieldsAreNamedInAWarning) {
  auto created = Call(Operation::kCreate, "users/jo", {{"password", "p"}, {"colour", "blue"}});
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->warnings.size(), 1u);
  EXPECT_EQ(created->warnings[0], "Endpoint ignored these unrecognized parameters: [colour]");
  // The policies endpoint takes policies only.
  auto policies =
      Call(Operation::kUpdate, "users/jo/policies", {{"policies", "a"}, {"token_ttl", "1h"}});
  ASSERT_TRUE(policies.ok());
  ASSERT_EQ(policies->warnings.size(), 1u);
  EXPECT_NE(policies->warnings[0].find("[token_ttl]"), std::string::npos);
}

TEST_F(UserpassTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  ASSERT_TRUE(Call(Operation::kCreate, "users/bob", {{"password", "right"}}).ok());
  auto wrong = Call(Operation::kUpdate, "login/bob", {{"password", "wrong"}});
  auto unknown = Call(Operation::kUpdate, "login/nobody", {{"password", "right"}});
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  EXPECT_EQ(wrong.status().message(), "invalid username or password");
}

TEST_F(UserpassTest, PasswordIsStoredOnlyAsAHash) {
  ASSERT_TRUE(Call(Operation::kCreate, "users/carol", {{"password", "plain-text-pw"}}).ok());
  auto stored = storage_.Get("user/carol");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->find("plain-text-pw"), std::string::npos);
  auto read = Call(Operation::kRead, "users/carol");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->data.contains("password"));
  EXPECT_FALSE(read->data.contains("password_hash"));
}

TEST_F(UserpassTest, PasswordAndPolicyEndpointsChangeOnlyTheirField) {
  ASSERT_TRUE(
      Call(Operation::kCreate, "users/dan", {{"password", "one"}, {"policies", {"a"}}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "users/dan/password", {{"password", "two"}}).ok());
  EXPECT_FALSE(Call(Operation::kUpdate, "login/dan", {{"password", "one"}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "users/dan/policies", {{"token_policies", {"b"}}}).ok());
  auto login = Call(Operation::kUpdate, "login/dan", {{"password", "two"}});
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->login->policies, (std::vector<std::string>{"b", "default"}));
  EXPECT_FALSE(Call(Operation::kUpdate, "users/nobody/password", {{"password", "x"}}).ok());
}

TEST_F(UserpassTest, ListAndDelete) {
  EXPECT_EQ(Call(Operation::kList, "users").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(Call(Operation::kCreate, "users/erin", {{"password", "p"}}).ok());
  ASSERT_TRUE(Call(Operation::kCreate, "users/frank", {{"password", "p"}}).ok());
  auto list = Call(Operation::kList, "users");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], json({"erin", "frank"}));
  ASSERT_TRUE(Call(Operation::kDelete, "users/erin").ok());
  EXPECT_FALSE(Call(Operation::kUpdate, "login/erin", {{"password", "p"}}).ok());
  EXPECT_EQ(Call(Operation::kRead, "users/erin").status().code(), StatusCode::kNotFound);
}

TEST_F(UserpassTest, BadInputIsRefusedAndChangesNothing) {
  struct Case {
    const char* path;
    json body;
    const char* fragment;
  };
  const Case cases[] = {
      {"users/gina", json::object(), "password: field is required"},
      {"users/gina", {{"password", 5}}, "password: expected a string"},
      {"users/gina", {{"password", "p"}, {"token_ttl", "1x"}}, "token_ttl"},
      {"users/gina",
       {{"password", "p"}, {"token_ttl", "2h"}, {"token_max_ttl", "1h"}},
       "token_ttl cannot be greater than token_max_ttl"},
      {"users/gina", {{"password", "p"}, {"token_policies", 7}}, "token_policies"},
      {"users/gina", {{"password", "p"}, {"token_num_uses", -1}}, "token_num_uses"},
      {"users/gina", {{"password", "p"}, {"token_type", "odd"}}, "token_type: invalid value"},
      {"users/gina",
       {{"password", "p"}, {"token_bound_cidrs", "300.0.0.0/8"}},
       "token_bound_cidrs: \"300.0.0.0/8\" is not a valid CIDR block"},
      {"users/gina",
       {{"password", "p"}, {"token_type", "batch"}, {"token_period", 60}},
       "token_type cannot be batch"},
      {"login/gina", json::object(), "password: field is required"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto result = Call(Operation::kCreate, c.path, c.body);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(c.fragment), std::string::npos)
        << result.status().message();
  }
  EXPECT_EQ(Call(Operation::kList, "users").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(engine_->UnauthenticatedPaths() == std::vector<std::string>{"login/*"});
}

}  // namespace
}  // namespace tresor::engines::userpass

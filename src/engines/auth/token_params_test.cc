#include "engines/auth/token_params.h"

#include <gtest/gtest.h>

namespace tresor::engines::auth {
namespace {

using nlohmann::json;
using std::chrono::seconds;

FieldReader ReaderOf(json body) {
  auto reader = FieldReader::FromObject(body, "body");
  EXPECT_TRUE(reader.ok());
  return *reader;
}

// Parses body onto `params`; the status, with warnings collected.
Status Parse(json body, TokenParams& params, const TokenFieldAliases& aliases,
             std::vector<std::string>* warnings = nullptr) {
  FieldReader reader = ReaderOf(std::move(body));
  std::vector<std::string> collected;
  Status status = ParseTokenFields(reader, aliases, params, collected);
  if (warnings != nullptr) *warnings = collected;
  return status;
}

TEST(TokenParamsTest, ReadsEveryField) {
  TokenParams params;
  ASSERT_TRUE(Parse({{"token_policies", "Reader, writer,reader"},
                     {"token_ttl", "1h"},
                     {"token_max_ttl", 7200},
                     {"token_explicit_max_ttl", "3h"},
                     {"token_period", 0},
                     {"token_num_uses", "4"},
                     {"token_type", "service"},
                     {"token_bound_cidrs", "10.0.0.0/8, 127.0.0.1"},
                     {"token_no_default_policy", "true"}},
                    params, kAppRoleTokenAliases)
                  .ok());
  EXPECT_EQ(params.policies, (std::vector<std::string>{"reader", "writer"}));
  EXPECT_EQ(params.ttl, seconds(3600));
  EXPECT_EQ(params.max_ttl, seconds(7200));
  EXPECT_EQ(params.explicit_max_ttl, seconds(10800));
  EXPECT_EQ(params.num_uses, 4);
  EXPECT_EQ(params.type, "service");
  EXPECT_EQ(params.bound_cidrs, (std::vector<std::string>{"10.0.0.0/8", "127.0.0.1"}));
  EXPECT_TRUE(params.no_default_policy);
}

TEST(TokenParamsTest, AbsentFieldsKeepTheirValues) {
  TokenParams params;
  params.policies = {"a"};
  params.ttl = seconds(60);
  params.num_uses = 3;
  ASSERT_TRUE(Parse({{"token_max_ttl", "2h"}}, params, kUserpassTokenAliases).ok());
  EXPECT_EQ(params.policies, (std::vector<std::string>{"a"}));
  EXPECT_EQ(params.ttl, seconds(60));
  EXPECT_EQ(params.num_uses, 3);
  EXPECT_EQ(params.max_ttl, seconds(7200));
}

TEST(TokenParamsTest, AliasesOnlyWhereAllowedAndTheTokenFieldWins) {
  TokenParams userpass;
  ASSERT_TRUE(Parse({{"policies", "old"}, {"ttl", 30}, {"max_ttl", 60}, {"bound_cidrs", "::1"}},
                    userpass, kUserpassTokenAliases)
                  .ok());
  EXPECT_EQ(userpass.policies, (std::vector<std::string>{"old"}));
  EXPECT_EQ(userpass.ttl, seconds(30));
  EXPECT_EQ(userpass.max_ttl, seconds(60));
  EXPECT_EQ(userpass.bound_cidrs, (std::vector<std::string>{"::1"}));

  TokenParams both;
  ASSERT_TRUE(Parse({{"policies", "old"}, {"token_policies", "new"}}, both, kUserpassTokenAliases)
                  .ok());
  EXPECT_EQ(both.policies, (std::vector<std::string>{"new"}));

  // AppRole knows "period" but not "ttl": the latter stays unread, and so
  // gets the unrecognised-parameters warning.
  FieldReader reader = ReaderOf({{"period", "1h"}, {"ttl", 30}});
  TokenParams approle;
  std::vector<std::string> warnings;
  ASSERT_TRUE(ParseTokenFields(reader, kAppRoleTokenAliases, approle, warnings).ok());
  EXPECT_EQ(approle.period, seconds(3600));
  EXPECT_EQ(approle.ttl, seconds(0));
  ASSERT_TRUE(reader.UnusedFieldsWarning().has_value());
  EXPECT_NE(reader.UnusedFieldsWarning()->find("[ttl]"), std::string::npos);
}

TEST(TokenParamsTest, DefaultServiceAndDefaultBatchAreAdjustedWithAWarning) {
  TokenParams params;
  std::vector<std::string> warnings;
  ASSERT_TRUE(Parse({{"token_type", "default-batch"}}, params, kAppRoleTokenAliases, &warnings)
                  .ok());
  EXPECT_EQ(params.type, "batch");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "default-batch has no useful meaning; adjusting to batch");
  ASSERT_TRUE(Parse({{"token_type", "default-service"}}, params, kAppRoleTokenAliases).ok());
  EXPECT_EQ(params.type, "service");
  ASSERT_TRUE(Parse({{"token_type", "default"}}, params, kAppRoleTokenAliases).ok());
  EXPECT_EQ(params.type, "default");
}

TEST(TokenParamsTest, BadInputNamesTheField) {
  struct Case {
    json body;
    const char* fragment;
  };
  const Case cases[] = {
      {{{"token_ttl", "1x"}}, "token_ttl: invalid duration"},
      {{{"token_max_ttl", -5}}, "token_max_ttl: must not be negative"},
      {{{"token_period", "-5s"}}, "token_period: invalid duration"},
      {{{"token_explicit_max_ttl", true}}, "token_explicit_max_ttl: expected"},
      {{{"token_num_uses", -1}}, "token_num_uses cannot be negative"},
      {{{"token_num_uses", "many"}}, "token_num_uses: expected an integer"},
      {{{"token_type", "weird"}}, "token_type: invalid value \"weird\""},
      {{{"token_type", 5}}, "token_type: expected a string"},
      {{{"token_policies", 7}}, "token_policies: expected a list of strings"},
      {{{"token_bound_cidrs", "10.0.0.0/33"}}, "token_bound_cidrs: \"10.0.0.0/33\" is not a valid"},
      {{{"bound_cidrs", "nope"}}, "bound_cidrs: \"nope\" is not a valid CIDR block"},
      {{{"token_no_default_policy", "maybe"}}, "token_no_default_policy: expected true or false"},
      {{{"token_ttl", "2h"}, {"token_max_ttl", "1h"}},
       "token_ttl cannot be greater than token_max_ttl"},
      {{{"token_type", "batch"}, {"token_period", "1h"}}, "token_type cannot be batch"},
      {{{"token_type", "batch"}, {"token_num_uses", 2}}, "token_type cannot be batch"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    TokenParams params;
    Status status = Parse(c.body, params, kUserpassTokenAliases);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(c.fragment), std::string::npos) << status.message();
  }
}

TEST(TokenParamsTest, StoredFormRoundTripsAndOldEntriesLoad) {
  TokenParams params;
  params.policies = {"a", "b"};
  params.ttl = seconds(10);
  params.max_ttl = seconds(20);
  params.explicit_max_ttl = seconds(30);
  params.period = seconds(40);
  params.num_uses = 5;
  params.type = "service";
  params.bound_cidrs = {"10.0.0.0/8"};
  params.no_default_policy = true;
  json stored = json::object();
  WriteTokenFields(params, stored);
  EXPECT_EQ(stored["token_period"], 40);
  EXPECT_EQ(stored["token_type"], "service");
  auto back = ReadTokenFields(json::parse(stored.dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->policies, params.policies);
  EXPECT_EQ(back->explicit_max_ttl, params.explicit_max_ttl);
  EXPECT_EQ(back->period, params.period);
  EXPECT_EQ(back->num_uses, 5);
  EXPECT_EQ(back->bound_cidrs, params.bound_cidrs);
  EXPECT_TRUE(back->no_default_policy);

  // The first userpass entries had three token fields only.
  auto old = ReadTokenFields(
      {{"password_hash", "x"}, {"token_policies", {"r"}}, {"token_ttl", 5}, {"token_max_ttl", 9}});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->policies, (std::vector<std::string>{"r"}));
  EXPECT_EQ(old->ttl, seconds(5));
  EXPECT_EQ(old->max_ttl, seconds(9));
  EXPECT_EQ(old->type, "default");
  EXPECT_TRUE(old->bound_cidrs.empty());

  auto corrupt = ReadTokenFields({{"token_ttl", "soon"}});
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kCorruption);
}

TEST(TokenParamsTest, FillLoginAddsDefaultAndCapsByTheExplicitMax) {
  TokenParams params;
  params.policies = {"reader"};
  params.ttl = seconds(60);
  params.max_ttl = seconds(600);
  params.explicit_max_ttl = seconds(300);
  params.period = seconds(0);
  params.num_uses = 2;
  params.type = "service";
  params.bound_cidrs = {"10.0.0.0/8"};
  logical::Response::Login login;
  FillLogin(params, login);
  EXPECT_EQ(login.policies, (std::vector<std::string>{"default", "reader"}));
  EXPECT_FALSE(login.no_default_policy);
  EXPECT_EQ(login.ttl_seconds, 60);
  EXPECT_EQ(login.max_ttl_seconds, 300);
  EXPECT_EQ(login.num_uses, 2);
  EXPECT_EQ(login.token_type, "service");
  EXPECT_EQ(login.bound_cidrs, params.bound_cidrs);

  params.no_default_policy = true;
  params.max_ttl = seconds(0);
  params.period = seconds(90);
  FillLogin(params, login);
  EXPECT_EQ(login.policies, (std::vector<std::string>{"reader"}));
  EXPECT_TRUE(login.no_default_policy);
  EXPECT_EQ(login.max_ttl_seconds, 300);  // the explicit max alone
  EXPECT_EQ(login.period_seconds, 90);
}

}  // namespace
}  // namespace tresor::engines::auth

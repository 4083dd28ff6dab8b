#include "core/policy/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/policy/default_policy.h"

namespace tresor::core::policy {
namespace {

TEST(PolicyParseTest, KeepsRawTextAndReadsRules) {
  const std::string text =
      "# comment kept verbatim\n"
      "path \"secret/data/*\" {\n"
      "  capabilities = [\"create\", \"read\", \"update\", \"patch\", \"delete\", \"list\"]\n"
      "  comment = \"app secrets\"\n"
      "}\n"
      "path \"/sys/seal\" { capabilities = [\"update\", \"sudo\"] }\n";
  auto policy = ParsePolicy("app", text);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->name, "app");
  EXPECT_EQ(policy->raw, text);
  ASSERT_EQ(policy->rules.size(), 2u);
  EXPECT_EQ(policy->rules[0].pattern.text(), "secret/data/*");
  EXPECT_EQ(policy->rules[0].line, 2);
  EXPECT_EQ(policy->rules[0].capabilities, kCreate | kRead | kUpdate | kPatch | kDelete | kList);
  EXPECT_EQ(policy->rules[1].pattern.text(), "sys/seal");  // leading '/' dropped
  EXPECT_EQ(policy->rules[1].capabilities, kUpdate | kSudo);
}

TEST(PolicyParseTest, DeprecatedPolicyFormMapsLikeVault) {
  struct Case {
    std::string old;
    CapabilitySet want;
  };
  const CapabilitySet write = kCreate | kRead | kUpdate | kDelete | kList;
  const std::vector<Case> cases = {
      {"deny", kDeny}, {"read", kRead | kList}, {"write", write}, {"sudo", write | kSudo}};
  for (const Case& c : cases) {
    auto policy = ParsePolicy("old", "path \"a\" { policy = \"" + c.old + "\" }");
    ASSERT_TRUE(policy.ok()) << c.old << ": " << policy.status().ToString();
    EXPECT_EQ(policy->rules.at(0).capabilities, c.want) << c.old;
  }
  // Both forms in one block are combined; deny still wins.
  auto both = ParsePolicy("x", "path \"a\" {\n policy = \"read\"\n capabilities = [\"update\"]\n}");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->rules[0].capabilities, kRead | kList | kUpdate);
  auto denied = ParsePolicy("x", "path \"a\" {\n policy = \"deny\"\n capabilities = [\"read\"]\n}");
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->rules[0].capabilities, kDeny);
}

TEST(PolicyParseTest, JsonFormParsesToTheSameRules) {
  const std::string json = R"({"path": {
      "secret/*": {"capabilities": ["read", "list"]},
      "sys/+/x": {"policy": "write"}}})";
  auto policy = ParsePolicy("j", json);
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->raw, json);
  ASSERT_EQ(policy->rules.size(), 2u);
  EXPECT_EQ(policy->rules[0].pattern.text(), "secret/*");
  EXPECT_EQ(policy->rules[0].capabilities, kRead | kList);
  EXPECT_EQ(policy->rules[1].pattern.kind(), PathPattern::Kind::kSegment);
  // The list-of-objects JSON shape is accepted too.
  auto listed = ParsePolicy("j", R"({"path": [{"a": {"capabilities": ["read"]}}]})");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed->rules.at(0).capabilities, kRead);
}

TEST(PolicyParseTest, AcceptsSingleStringCapabilitiesNameAndEmptyText) {
  auto single = ParsePolicy("x", "path \"a\" { capabilities = \"read\" }");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->rules[0].capabilities, kRead);
  auto named = ParsePolicy("x", "name = \"ignored\"\npath \"a\" { capabilities = [] }");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->name, "x");
  EXPECT_EQ(named->rules[0].capabilities, 0u);
  auto empty = ParsePolicy("x", "# nothing yet\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->rules.empty());
}

TEST(PolicyParseTest, ErrorsNameTheLine) {
  struct Case {
    std::string text;
    std::string want;  // the exact message
  };
  const std::vector<Case> cases = {
      {"path \"secret/*\" {\n  capabilities = [\"read\"]\n}\npath \"x\" {\n"
       "  capabilities = [\"read\",\n    \"reed\"]\n}\n",
       "line 6: unknown capability \"reed\""},
      {"path \"a\" {\n  capabilities = [\"read\"]\n  capabilites = [\"read\"]\n}",
       "line 3: unknown key \"capabilites\""},
      {"path \"a\" {\n  capabilities = [\"READ\"]\n}", "line 2: unknown capability \"READ\""},
      {"path \"a\" {\n  allowed_parameters = {\n    \"x\" = []\n  }\n}",
       "line 2: \"allowed_parameters\" is not supported yet"},
      {"\n\npath \"a\" {\n  min_wrapping_ttl = \"-5s\"\n}",
       "line 4: min_wrapping_ttl: invalid duration \"-5s\": durations cannot be negative"},
      {"path \"a\" {\n  max_wrapping_ttl = true\n}",
       "line 2: max_wrapping_ttl: expected a duration (\"5m\") or whole seconds, got a bool"},
      {"path \"a\" {\n  min_wrapping_ttl = \"1h\"\n  max_wrapping_ttl = 60\n}",
       "line 1: max_wrapping_ttl cannot be less than min_wrapping_ttl"},
      {"path \"a\" { required_parameters = [\"x\"] }",
       "line 1: \"required_parameters\" is not supported yet"},
      {"path \"a\" {\n  policy = \"bogus\"\n}", "line 2: invalid policy \"bogus\""},
      {"path \"a\" {\n  policy = [\"read\"]\n}", "line 2: policy: expected a string, got a list"},
      {"path \"a\" {\n  capabilities = [1]\n}",
       "line 2: capabilities: expected a string, got an integer"},
      {"path \"a\" {\n  capabilities = true\n}",
       "line 2: capabilities: expected a list of strings, got a bool"},
      {"path \"a/+*\" { capabilities = [\"read\"] }",
       "line 1: invalid use of wildcards ('+*' is forbidden)"},
      {"\npath \"a/*/b\" { capabilities = [\"read\"] }",
       "line 2: '*' is only allowed at the end of a path"},
      {"path \"\" { capabilities = [\"read\"] }", "line 1: empty path"},
      {"path \"a\" { capabilities = [\"read\"] }\n\n\nfoo = 1", "line 4: unknown key \"foo\""},
      {"path = \"a\"", "line 1: path: expected a block (path \"...\" { ... }), got a string"},
      {"name = 3", "line 1: name: expected a string, got an integer"},
      {"path \"a\" {\n  comment = 1\n}", "line 2: comment: expected a string, got an integer"},
      // JSON has no lines: the path names the rule instead.
      {R"({"path": {"secret/*": {"capabilities": ["reed"]}}})",
       "path \"secret/*\": unknown capability \"reed\""},
      {R"({"path": {"a": {"denied_parameters": {"x": []}}}})",
       "path \"a\": \"denied_parameters\" is not supported yet"},
      {R"({"paths": {}})", "unknown key \"paths\""},
  };
  for (const Case& c : cases) {
    auto policy = ParsePolicy("x", c.text);
    ASSERT_FALSE(policy.ok()) << c.text;
    EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(policy.status().message(), c.want) << c.text;
  }
}

TEST(PolicyParseTest, WrappingTtlBoundsAreDurationsOrSeconds) {
  auto policy = ParsePolicy(
      "x", "path \"a\" {\n  capabilities = [\"read\"]\n  min_wrapping_ttl = \"1m\"\n"
           "  max_wrapping_ttl = 3600\n}");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  EXPECT_EQ(policy->rules.at(0).min_wrapping_ttl.count(), 60);
  EXPECT_EQ(policy->rules.at(0).max_wrapping_ttl.count(), 3600);
}

TEST(PolicyParseTest, SyntaxErrorsCarryTheParsersLineAndColumn) {
  auto unclosed = ParsePolicy("x", "path \"a\" {\n  capabilities = [\"read\"\n");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_EQ(unclosed.status().message().rfind("line 2, column 18: ", 0), 0u)
      << unclosed.status().message();
  auto bad_json = ParsePolicy("x", "{\"path\": ");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().message().rfind("line 1, column", 0), 0u)
      << bad_json.status().message();
}

TEST(PolicyParseTest, LongBadValuesAreCutShortInMessages) {
  std::string huge(10000, 'z');
  auto policy = ParsePolicy("x", "path \"a\" { capabilities = [\"" + huge + "\"] }");
  ASSERT_FALSE(policy.ok());
  EXPECT_LT(policy.status().message().size(), 200u);
}

TEST(PolicyParseTest, DefaultPolicyParses) {
  auto policy = ParsePolicy("default", DefaultPolicyText());
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_GE(policy->rules.size(), 10u);
}

TEST(PolicyNameTest, LowerCasesAndRefusesBadNames) {
  EXPECT_EQ(*NormalizePolicyName("My-Policy_1.x"), "my-policy_1.x");
  const std::vector<std::string> bad_names = {
      "", "a/b", "/", ".", "..", "a\nb", std::string("a\0b", 3)};
  for (const std::string& bad : bad_names) {
    auto name = NormalizePolicyName(bad);
    ASSERT_FALSE(name.ok()) << bad;
    EXPECT_EQ(name.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tresor::core::policy

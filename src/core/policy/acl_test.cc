#include "core/policy/acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tresor::core::policy {
namespace {

using Caps = std::vector<std::string>;

std::shared_ptr<const Acl> AclOf(const std::vector<std::string>& texts) {
  std::vector<Policy> policies;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto parsed = ParsePolicy("p" + std::to_string(i), texts[i]);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) policies.push_back(std::move(*parsed));
  }
  return Acl::Compile(policies);
}

struct CapsCase {
  std::string path;
  Caps want;
};

void ExpectCapabilities(const Acl& acl, const std::vector<CapsCase>& cases) {
  for (const CapsCase& c : cases) {
    EXPECT_EQ(acl.Capabilities(c.path), c.want) << "path \"" << c.path << "\"";
  }
}

TEST(AclTest, GlobsPlusSegmentsAndTrickyPaths) {
  auto acl = AclOf({R"(
path "secret/exact"        { capabilities = ["read"] }
path "secret/glob*"        { capabilities = ["list"] }
path "secret/+/config"     { capabilities = ["update"] }
path "secret/data/a+b"     { capabilities = ["create"] }
path "kv/+/+/leaf"         { capabilities = ["delete"] }
path "app/+/logs/*"        { capabilities = ["read"] }
path "/leading/slash"      { capabilities = ["patch"] }
path "dir/"                { capabilities = ["list"] }
)"});
  ExpectCapabilities(*acl, {
                               {"secret/exact", {"read"}},
                               {"secret/exact/", {"deny"}},  // exact means exact
                               {"secret/exactly", {"deny"}},
                               {"secret/glob", {"list"}},  // the prefix itself
                               {"secret/globber/x/y", {"list"}},
                               {"secret/glo", {"deny"}},
                               {"secret/x/config", {"update"}},
                               {"secret//config", {"update"}},  // '+' takes an empty segment
                               {"secret/x/config/more", {"deny"}},
                               {"secret/x/y/config", {"deny"}},
                               {"secret/config", {"deny"}},
                               {"secret/data/a+b", {"create"}},  // '+' inside a segment is literal
                               {"secret/data/aXb", {"deny"}},
                               {"secret/data/a", {"deny"}},
                               {"kv/a/b/leaf", {"delete"}},
                               {"kv/a/leaf", {"deny"}},
                               {"kv/a/b/c/leaf", {"deny"}},
                               {"app/web/logs/today", {"read"}},
                               {"app/web/logs/", {"read"}},
                               {"app/web/logs", {"deny"}},  // fewer segments than the pattern
                               {"app/web/logsx/today", {"deny"}},
                               {"leading/slash", {"patch"}},
                               {"/leading/slash", {"deny"}},
                               {"dir/", {"list"}},
                               {"dir", {"deny"}},
                               {"SECRET/exact", {"deny"}},  // paths are case-sensitive
                               {"Secret/Glob", {"deny"}},
                               {"", {"deny"}},
                           });
}

TEST(AclTest, PrecedenceBetweenOverlappingRules) {
  auto acl = AclOf({R"(
path "secret/*"          { capabilities = ["read"] }
path "secret/data/*"     { capabilities = ["list"] }
path "secret/+/x"        { capabilities = ["update"] }
path "secret/data/+"     { capabilities = ["create"] }
path "secret/data/x"     { capabilities = ["delete"] }
path "secret/+/+/y"      { capabilities = ["patch"] }
path "secret/data/+/y"   { capabilities = ["sudo"] }
path "a/+/+/d"           { capabilities = ["read"] }
path "a/+/c/d"           { capabilities = ["update"] }
path "l/+/b*"            { capabilities = ["read"] }
path "l/+/bc*"           { capabilities = ["list"] }
path "m/*"               { capabilities = ["read"] }
path "m/+/n*"            { capabilities = ["list"] }
path "g/ab*"             { capabilities = ["read"] }
path "g/abc*"            { capabilities = ["list"] }
)"});
  ExpectCapabilities(*acl, {
                               // An exact rule beats every wildcard rule.
                               {"secret/data/x", {"delete"}},
                               // Same first wildcard position: not ending in '*' wins.
                               {"secret/data/z", {"create"}},
                               {"secret/foo/x", {"update"}},
                               // A later first wildcard wins.
                               {"secret/data/q/y", {"sudo"}},
                               {"secret/other/q/y", {"patch"}},
                               {"secret/foo", {"read"}},
                               {"secret/data/", {"create"}},
                               // Fewer '+' segments win.
                               {"a/b/c/d", {"update"}},
                               {"a/b/e/d", {"read"}},
                               // Longer wins.
                               {"l/x/bcd", {"list"}},
                               {"l/x/bd", {"read"}},
                               // Same position and both globs: fewer '+' wins.
                               {"m/x/nn", {"read"}},
                               // Longest prefix among plain globs.
                               {"g/abcd", {"list"}},
                               {"g/abd", {"read"}},
                           });
}

TEST(AclTest, PriorityOrderMatchesVaultsRules) {
  struct Pair {
    std::string lower;
    std::string higher;
  };
  const std::vector<Pair> pairs = {
      {"foo/+", "foo/a*"},  // first wildcard later
      {"foo/+/bar/baz", "foo/bar/+/baz"},
      {"foo/*", "foo/+"},  // ends in '*'
      {"foo/+/ba*", "foo/+/bar"},
      {"foo/+/+/baz", "foo/bar/+/baz"},
      {"a/+/+/d", "a/+/c/d"},             // more '+' segments
      {"foo/+/bar/b*", "foo/+/bar/ba*"},  // shorter
      {"foo/+/bar", "foo/+/baz"},         // lexical tie-break
  };
  for (const Pair& p : pairs) {
    auto lower = PathPattern::Parse(p.lower);
    auto higher = PathPattern::Parse(p.higher);
    ASSERT_TRUE(lower.ok() && higher.ok());
    EXPECT_TRUE(lower->LowerPriorityThan(*higher)) << p.lower << " < " << p.higher;
    EXPECT_FALSE(higher->LowerPriorityThan(*lower)) << p.higher << " !< " << p.lower;
  }
}

TEST(AclTest, DenyOnTheDecidingRuleBeatsEverything) {
  // Across policies, equal patterns merge and deny wins.
  auto merged = AclOf({R"(path "secret/data/*" { capabilities = ["read", "list", "sudo"] })",
                       R"(path "secret/data/*" { capabilities = ["deny"] })"});
  ExpectCapabilities(*merged, {{"secret/data/x", {"deny"}}});
  EXPECT_FALSE(merged->Allows(Operation::kRead, "secret/data/x", false));

  // Within one rule, deny overrides the rest.
  auto one = AclOf({R"(path "a" { capabilities = ["read", "deny", "update"] })"});
  ExpectCapabilities(*one, {{"a", {"deny"}}});

  // Only the deciding rule counts: a broad deny does not override a more
  // specific grant, and a specific deny overrides a broad grant.
  auto layered = AclOf({R"(path "secret/*" { capabilities = ["deny"] })",
                        R"(path "secret/open" { capabilities = ["read"] }
                           path "kv/*" { capabilities = ["read"] }
                           path "kv/closed/+" { capabilities = ["deny"] })"});
  ExpectCapabilities(*layered, {{"secret/open", {"read"}},
                                {"secret/other", {"deny"}},
                                {"kv/a", {"read"}},
                                {"kv/closed/x", {"deny"}}});
  EXPECT_TRUE(layered->Allows(Operation::kRead, "secret/open", false));
  EXPECT_FALSE(layered->Allows(Operation::kRead, "kv/closed/x", false));
}

TEST(AclTest, EqualPatternsAcrossPoliciesAreUnioned) {
  auto acl = AclOf({R"(path "secret/data/x" { capabilities = ["read"] })",
                    R"(path "secret/data/x" { capabilities = ["update"] }
                       path "secret/data/x" { capabilities = ["list"] })"});
  ExpectCapabilities(*acl, {{"secret/data/x", {"list", "read", "update"}}});
  EXPECT_EQ(acl->RuleCountForTest(), 1u);
}

TEST(AclTest, AllowsChecksTheOperationsCapabilityAndSudo) {
  auto acl = AclOf({R"(
path "secret/data/r" { capabilities = ["read"] }
path "secret/data/w" { capabilities = ["create", "update", "patch", "delete"] }
path "sys/seal"      { capabilities = ["update"] }
path "sys/rotate"    { capabilities = ["update", "sudo"] }
path "empty"         { capabilities = [] }
)"});
  struct Case {
    Operation op;
    std::string path;
    bool sudo;
    bool want;
  };
  const std::vector<Case> cases = {
      {Operation::kRead, "secret/data/r", false, true},
      {Operation::kUpdate, "secret/data/r", false, false},
      {Operation::kList, "secret/data/r", false, false},
      {Operation::kCreate, "secret/data/w", false, true},
      {Operation::kUpdate, "secret/data/w", false, true},
      {Operation::kPatch, "secret/data/w", false, true},
      {Operation::kDelete, "secret/data/w", false, true},
      {Operation::kRead, "secret/data/w", false, false},
      {Operation::kUpdate, "sys/seal", false, true},
      {Operation::kUpdate, "sys/seal", true, false},  // sudo needed, not granted
      {Operation::kUpdate, "sys/rotate", true, true},
      {Operation::kRead, "sys/rotate", true, false},  // sudo alone is not read
      {Operation::kRead, "empty", false, false},
      {Operation::kRead, "nowhere", false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(acl->Allows(c.op, c.path, c.sudo), c.want)
        << OperationName(c.op) << " " << c.path << " sudo=" << c.sudo;
  }
}

TEST(AclTest, ListMatchesWithAndWithoutTrailingSlash) {
  auto acl = AclOf({R"(
path "secret/metadata/"     { capabilities = ["list"] }
path "kv/metadata"          { capabilities = ["list"] }
path "glob/meta*"           { capabilities = ["list"] }
path "+/sys/policies/acl"   { capabilities = ["list"] }
path "wild/+/"              { capabilities = ["list"] }
)"});
  EXPECT_TRUE(acl->Allows(Operation::kList, "secret/metadata", false));
  EXPECT_TRUE(acl->Allows(Operation::kList, "secret/metadata/", false));
  EXPECT_FALSE(acl->Allows(Operation::kRead, "secret/metadata", false));
  EXPECT_TRUE(acl->Allows(Operation::kList, "kv/metadata", false));
  EXPECT_TRUE(acl->Allows(Operation::kList, "glob/metadata", false));
  EXPECT_TRUE(acl->Allows(Operation::kList, "ns/sys/policies/acl", false));
  EXPECT_TRUE(acl->Allows(Operation::kList, "wild/x", false));
  EXPECT_FALSE(acl->Allows(Operation::kList, "wild/x/y", false));
  EXPECT_FALSE(acl->Allows(Operation::kList, "secret/metadata/x", false));
  // sys/capabilities takes the path as given.
  ExpectCapabilities(*acl, {{"secret/metadata", {"deny"}}, {"secret/metadata/", {"list"}}});
}

TEST(AclTest, RootAllowsEverythingAndEmptyAllowsNothing) {
  auto root = Acl::Root();
  EXPECT_TRUE(root->IsRoot());
  EXPECT_TRUE(root->Allows(Operation::kDelete, "sys/anything", true));
  EXPECT_EQ(root->Capabilities("x"), Caps{"root"});
  EXPECT_NE(root->CapabilitiesOn("x") & kSudo, 0u);

  auto empty = Acl::Compile({});
  EXPECT_FALSE(empty->IsRoot());
  EXPECT_FALSE(empty->Allows(Operation::kRead, "cubbyhole/x", false));
  EXPECT_EQ(empty->Capabilities("x"), Caps{"deny"});
}

}  // namespace
}  // namespace tresor::core::policy

#include "common/hcl.h"

#include <gtest/gtest.h>

#include <string>

namespace tresor::hcl {
namespace {

struct ValidCase {
  std::string name;
  std::string input;
  std::string expected;  // Value::DebugString() of the parsed tree
};

TEST(HclParseTest, ValidInputsTable) {
  const ValidCase cases[] = {
      {"empty file", "", "{}"},
      {"only comments", "# a\n// b\n/* c\n d */\n", "{}"},
      {"int", "a = 1", "{a = 1}"},
      {"numbers", "a = -5\nb = 1.5\nc = 1e3\nd = -2.5E-2\ne = 0",
       "{a = -5, b = 1.5, c = 1000.0, d = -0.025, e = 0}"},
      {"int64 limits", "max = 9223372036854775807\nmin = -9223372036854775808",
       "{max = 9223372036854775807, min = -9223372036854775808}"},
      {"bools on one line without commas", "t = true f = false", "{t = true, f = false}"},
      {"escapes", R"(s = "q\"b\\s\/n\nt\t\u00e9\U0001F600")",
       "{s = \"q\\\"b\\\\s/n\\nt\\t\u00e9\U0001F600\"}"},
      {"surrogate pair", R"(s = "\ud83d\ude00")", "{s = \"\U0001F600\"}"},
      {"utf8 passes through", "s = \"gr\u00fc\u00df\"", "{s = \"gr\u00fc\u00df\"}"},
      {"interpolation-like text stays literal", R"(p = "auth/{{identity.entity.id}}/${x}")",
       R"({p = "auth/{{identity.entity.id}}/${x}"})"},
      {"list with trailing comma", R"(l = [1, "two", [3, 4], {x = 1},])",
       R"({l = [1, "two", [3, 4], {x = 1}]})"},
      {"multi-line list with comments", "l = [\n  \"a\", # first\n  // second\n  \"b\"\n]",
       R"({l = ["a", "b"]})"},
      {"empty list and object", "l = []\no = {}", "{l = [], o = {}}"},
      {"block with one label", "listener \"tcp\" {\n  address = \"x\"\n}",
       R"({listener = {tcp = {address = "x"}}})"},
      {"block with two labels", R"(a "b" "c" { d = 1 })", "{a = {b = {c = {d = 1}}}}"},
      {"unlabelled block", "name {\n x = 1\n}", "{name = {x = 1}}"},
      {"object assignment", "name = {\n x = 1\n}", "{name = {x = 1}}"},
      {"identifier label", "listener tcp { }", "{listener = {tcp = {}}}"},
      {"quoted key", R"("my key" = 1)", R"({"my key" = 1})"},
      {"identifier characters", "a-b.c_d9 = 1", "{a-b.c_d9 = 1}"},
      {"commas between entries", "a = 1, b = 2\no { x = 1, y = 2, }",
       "{a = 1, b = 2, o = {x = 1, y = 2}}"},
      {"heredoc", "h = <<EOF\nline1\n  line2\nEOF\nnext = 1",
       R"({h = "line1\n  line2\n", next = 1})"},
      {"indented heredoc", "h = <<-EOT\n    a\n      b\n\n    EOT\n", R"({h = "a\n  b\n\n"})"},
      {"empty heredoc", "h = <<EOF\nEOF", R"({h = ""})"},
      {"heredoc keeps quotes and hashes", "h = <<EOF\n\"x\" # not a comment\nEOF",
       R"({h = "\"x\" # not a comment\n"})"},
      {"CRLF line endings", "a = 1\r\nb = <<EOF\r\nx\r\nEOF\r\n", R"({a = 1, b = "x\n"})"},
      {"repeated blocks stay separate and ordered", "path \"a\" {}\npath \"b\" {}\npath \"a\" {}",
       "{path = {a = {}}, path = {b = {}}, path = {a = {}}}"},
      {"nested objects", "a { b { c = [ { d = true } ] } }", "{a = {b = {c = [{d = true}]}}}"},
      {"newline between key and '='", "a\n= 1", "{a = 1}"},
  };
  for (const ValidCase& c : cases) {
    StatusOr<Value> parsed = ParseHcl(c.input);
    ASSERT_TRUE(parsed.ok()) << c.name << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->DebugString(), c.expected) << c.name;
  }
}

struct InvalidCase {
  std::string input;
  int line;
  int column;
  std::string fragment;
};

TEST(HclParseTest, InvalidInputsTable) {
  const InvalidCase cases[] = {
      {"a = \"abc", 1, 5, "unterminated string"},
      {"a = 1\nb = \"abc\n\"", 2, 5, "unterminated string"},
      {"a 1", 1, 3, "missing '=' after key \"a\""},
      {"a = 1\n}", 2, 1, "unexpected '}' with no matching '{'"},
      {"a = {\n  b = 1\n", 1, 5, "'{' is never closed"},
      {"listener \"tcp\" {\n  address = 1\n", 1, 16, "'{' is never closed"},
      {"a = [1, 2", 1, 5, "'[' is never closed"},
      {"a = [1 2]", 1, 8, "expected ',' or ']'"},
      {"a = <<EOF\nfoo\n", 1, 5, "unterminated heredoc"},
      {"a = <<\nfoo", 1, 5, "heredoc needs a name"},
      {"a = <<EOF foo\nEOF", 1, 11, "must start on the next line"},
      {R"(a = "\q")", 1, 6, R"(invalid escape sequence '\q')"},
      {R"(a = "\u12")", 1, 6, "needs exactly 4 hex digits"},
      {R"(a = "\ud800")", 1, 6, "unpaired surrogate"},
      {R"(a = "\ud800\u0041")", 1, 6, "must be followed by"},
      {R"(a = "\U00110000")", 1, 6, "beyond U+10FFFF"},
      {"a = 10s", 1, 5, "invalid number \"10s\"; if it is text"},
      {"a = 1.2.3", 1, 5, "invalid number"},
      {"a = -", 1, 5, "invalid number \"-\""},
      {"a = 99999999999999999999", 1, 5, "out of range for a 64-bit integer"},
      {"a = 1e999", 1, 5, "out of range"},
      {"a = foo", 1, 5, "put it in double quotes"},
      {"a = 'x'", 1, 5, "double quotes, not single quotes"},
      {"a = ", 1, 5, "found end of input"},
      {"a = }", 1, 5, "expected a value for \"a\""},
      {"= 1", 1, 1, "missing a key before '='"},
      {"a = 1,, b = 2", 1, 7, "expected a key"},
      {"a = 1\n/* open", 2, 1, "unterminated comment"},
      {"a \"b\" = 1", 1, 7, "expected '{' to open the block \"a\""},
      {"a = @", 1, 5, "found '@'"},
      {"foo\nbar = 1", 1, 4, "missing '=' after key \"foo\""},
      {"ok = 1\nalso = 2\n  bad = [1, 2,, 3]", 3, 15, "expected a value"},
      {"a = \"\xff\"", 1, 6, "invalid UTF-8"},
      {"a = " + std::string(200, '['), 1, 105, "nesting deeper than 100"},
      {[] {
         std::string s;
         for (int i = 0; i < 200; ++i) s += "a {\n";
         return s;
       }(),
       101, 3, "nesting deeper than 100"},
  };
  for (const InvalidCase& c : cases) {
    StatusOr<Value> parsed = ParseHcl(c.input);
    ASSERT_FALSE(parsed.ok()) << c.input << " parsed as " << parsed->DebugString();
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    const std::string prefix =
        "line " + std::to_string(c.line) + ", column " + std::to_string(c.column) + ": ";
    EXPECT_EQ(parsed.status().message().rfind(prefix, 0), 0u)
        << c.input << "\nwanted prefix: " << prefix << "\ngot: " << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(c.fragment), std::string::npos)
        << c.input << "\nwanted: " << c.fragment << "\ngot: " << parsed.status().message();
  }
}

TEST(HclParseTest, ErrorsDoNotEchoStringValues) {
  StatusOr<Value> parsed = ParseHcl("token = \"s.supersecretvalue");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().find("supersecret"), std::string::npos);
}

constexpr char kVaultConfig[] = R"(# Vault's documented production example.
ui            = true
cluster_addr  = "https://127.0.0.1:8201"
api_addr      = "https://127.0.0.1:8200"
disable_mlock = true

storage "raft" {
  path    = "/path/to/raft/data"
  node_id = "raft_node_id"
}

listener "tcp" {
  address       = "127.0.0.1:8200"
  tls_cert_file = "/path/to/full-chain.pem"
  tls_key_file  = "/path/to/private-key.pem"
}

listener "tcp" {
  address     = "10.0.0.1:8200"
  tls_disable = 1
}

seal "awskms" {
  region     = "us-east-1"
  kms_key_id = "alias/vault"
}

telemetry {
  statsite_address = "127.0.0.1:8125"
  disable_hostname = true
}
)";

TEST(HclParseTest, VaultServerConfig) {
  StatusOr<Value> parsed = ParseHcl(kVaultConfig);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->DebugString(),
            "{ui = true, cluster_addr = \"https://127.0.0.1:8201\", "
            "api_addr = \"https://127.0.0.1:8200\", disable_mlock = true, "
            "storage = {raft = {path = \"/path/to/raft/data\", node_id = \"raft_node_id\"}}, "
            "listener = {tcp = {address = \"127.0.0.1:8200\", "
            "tls_cert_file = \"/path/to/full-chain.pem\", "
            "tls_key_file = \"/path/to/private-key.pem\"}}, "
            "listener = {tcp = {address = \"10.0.0.1:8200\", tls_disable = 1}}, "
            "seal = {awskms = {region = \"us-east-1\", kms_key_id = \"alias/vault\"}}, "
            "telemetry = {statsite_address = \"127.0.0.1:8125\", disable_hostname = true}}");

  // Positions: entries at their key, values where they start, labels too.
  const Value::Object& top = parsed->object();
  ASSERT_EQ(top.size(), 9u);
  EXPECT_EQ(top[0].position.line, 2);
  EXPECT_EQ(top[0].position.column, 1);
  EXPECT_EQ(top[2].value.position().line, 4);
  EXPECT_EQ(top[2].value.position().column, 17);
  const ObjectEntry& second_listener = top[6];
  EXPECT_EQ(second_listener.key, "listener");
  EXPECT_EQ(second_listener.position.line, 18);
  const ObjectEntry& label = second_listener.value.object()[0];
  EXPECT_EQ(label.key, "tcp");
  EXPECT_EQ(label.position.line, 18);
  EXPECT_EQ(label.position.column, 10);
  const ObjectEntry& tls_disable = label.value.object()[1];
  EXPECT_EQ(tls_disable.key, "tls_disable");
  EXPECT_EQ(tls_disable.position.line, 20);
  EXPECT_EQ(tls_disable.position.column, 3);
  EXPECT_EQ(tls_disable.value.position().column, 17);

  EXPECT_EQ(parsed->FindAll("listener").size(), 2u);
  ASSERT_NE(parsed->Find("disable_mlock"), nullptr);
  EXPECT_TRUE(*parsed->Find("disable_mlock")->AsBool());
  EXPECT_EQ(parsed->Find("nope"), nullptr);
}

constexpr char kVaultPolicy[] = R"(
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

path "secret/*" {
  capabilities = ["read", "list"]
}

path "secret/super-secret" {
  capabilities = ["deny"]
}

path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
  min_wrapping_ttl = "1s"
}
)";

TEST(HclParseTest, VaultPolicyToJsonMakesRepeatedKeysArrays) {
  StatusOr<Value> parsed = ParseHcl(kVaultPolicy);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const nlohmann::json expected = nlohmann::json::parse(R"({"path": [
      {"auth/token/lookup-self": {"capabilities": ["read"]}},
      {"secret/*": {"capabilities": ["read", "list"]}},
      {"secret/super-secret": {"capabilities": ["deny"]}},
      {"secret/restricted": {"capabilities": ["create"],
                             "allowed_parameters": {"foo": [], "bar": ["zip", "zap"]},
                             "min_wrapping_ttl": "1s"}}]})");
  EXPECT_EQ(ToJson(*parsed), expected);

  // Each rule also expands into a labelled block pointing at its body.
  std::vector<std::string> paths;
  for (const ObjectEntry* entry : parsed->FindAll("path")) {
    StatusOr<std::vector<Block>> blocks = ExpandBlock(*entry, 1);
    ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
    ASSERT_EQ(blocks->size(), 1u);
    paths.push_back((*blocks)[0].labels[0]);
    EXPECT_NE((*blocks)[0].body->Find("capabilities"), nullptr);
    EXPECT_EQ((*blocks)[0].position.line, entry->position.line);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"auth/token/lookup-self", "secret/*",
                                             "secret/super-secret", "secret/restricted"}));
}

TEST(HclToJsonTest, KeepsScalarTypesAndSingleKeys) {
  StatusOr<Value> parsed = ParseHcl("i = 3\nf = 2.5\nb = false\ns = \"x\"\no { k = [1] }");
  ASSERT_TRUE(parsed.ok());
  const nlohmann::json json = ToJson(*parsed);
  EXPECT_TRUE(json["i"].is_number_integer());
  EXPECT_TRUE(json["f"].is_number_float());
  EXPECT_EQ(json["b"], false);
  EXPECT_EQ(json["s"], "x");
  EXPECT_EQ(json["o"], nlohmann::json::parse(R"({"k": [1]})"));
  EXPECT_TRUE(ToJson(Value::Null()).is_null());
}

TEST(HclJsonTest, ParsesSameTreeInDocumentOrder) {
  StatusOr<Value> parsed = ParseJson(R"({
    "zeta": 1, "alpha": [true, null, 1.5, "s"],
    "listener": [{"tcp": {"address": "127.0.0.1:8200"}}],
    "big": 9223372036854775807, "neg": -3
  })");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->DebugString(),
            "{zeta = 1, alpha = [true, null, 1.5, \"s\"], "
            "listener = [{tcp = {address = \"127.0.0.1:8200\"}}], "
            "big = 9223372036854775807, neg = -3}");
  EXPECT_EQ(parsed->object()[0].position.line, 0);
}

TEST(HclJsonTest, ErrorsCarryPositionAndDoNotEchoInput) {
  StatusOr<Value> parsed = ParseJson("{\n  \"token\": \"s.supersecretvalue\n}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message().rfind("line 2, column", 0), 0u) << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(parsed.status().message().find("supersecret"), std::string::npos)
      << parsed.status().message();

  StatusOr<Value> trailing = ParseJson("{\"a\": 1,}");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("line 1, column 9"), std::string::npos)
      << trailing.status().message();

  StatusOr<Value> huge = ParseJson("{\"a\": 18446744073709551615}");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("out of range"), std::string::npos);

  StatusOr<Value> deep = ParseJson(std::string(500, '[') + std::string(500, ']'));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nesting deeper"), std::string::npos);
}

TEST(HclParseTest, ParsePicksFormatByFileNameAndPrefixesErrors) {
  StatusOr<Value> json = Parse(R"({"a": 1})", "/etc/tresor/server.json");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->DebugString(), "{a = 1}");

  StatusOr<Value> hcl = Parse("a = 1", "server.hcl");
  ASSERT_TRUE(hcl.ok());
  EXPECT_EQ(hcl->DebugString(), "{a = 1}");

  StatusOr<Value> bad = Parse("a = ", "server.hcl");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("server.hcl: line 1, column 5: ", 0), 0u)
      << bad.status().message();
  // HCL text in a .json file is a JSON error.
  EXPECT_FALSE(Parse("a = 1", "x.json").ok());
}

TEST(HclValueTest, CheckedAccessorsNameExpectedAndActualTypes) {
  const Value s = Value::String("x");
  const Value i = Value::Int(7);
  const Value f = Value::Float(0.5);
  EXPECT_EQ(*s.AsString(), "x");
  EXPECT_EQ(*i.AsInt(), 7);
  EXPECT_EQ(*i.AsDouble(), 7.0);
  EXPECT_EQ(*f.AsDouble(), 0.5);
  EXPECT_EQ(s.AsBool().status().message(), "expected a bool, got a string");
  EXPECT_EQ(i.AsString().status().message(), "expected a string, got an integer");
  EXPECT_EQ(f.AsInt().status().message(), "expected an integer, got a fractional number");
  EXPECT_EQ(s.AsDouble().status().message(), "expected a number, got a string");
  EXPECT_EQ(Value::Null().AsList().status().message(), "expected a list, got null");
  EXPECT_EQ(Value::MakeList({}).AsObject().status().message(), "expected an object, got a list");
  EXPECT_TRUE(Value::MakeObject({}).AsObject().ok());
  EXPECT_TRUE(Value::Bool(true).AsBool().ok());
  EXPECT_TRUE(i.IsNumber());
  EXPECT_TRUE(f.IsNumber());
  EXPECT_FALSE(s.IsNumber());
}

TEST(HclExpandBlockTest, NormalisesHclAndJsonShapes) {
  const char* inputs[] = {
      "listener \"tcp\" { a = 1 }\nlistener tcp { a = 2 }",
      "listener { tcp { a = 1 } }\nlistener { tcp = { a = 2 } }",
  };
  for (const char* input : inputs) {
    StatusOr<Value> parsed = ParseHcl(input);
    ASSERT_TRUE(parsed.ok()) << input;
    std::vector<int64_t> seen;
    for (const ObjectEntry* entry : parsed->FindAll("listener")) {
      StatusOr<std::vector<Block>> blocks = ExpandBlock(*entry, 1);
      ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
      for (const Block& block : *blocks) {
        EXPECT_EQ(block.labels, std::vector<std::string>{"tcp"});
        seen.push_back(*block.body->Find("a")->AsInt());
      }
    }
    EXPECT_EQ(seen, (std::vector<int64_t>{1, 2})) << input;
  }

  const char* json_inputs[] = {
      R"({"listener": {"tcp": {"a": 1}, "unix": {"a": 2}}})",
      R"({"listener": [{"tcp": {"a": 1}}, {"unix": {"a": 2}}]})",
      R"({"listener": {"tcp": [{"a": 1}], "unix": [{"a": 2}]}})",
  };
  for (const char* input : json_inputs) {
    StatusOr<Value> parsed = ParseJson(input);
    ASSERT_TRUE(parsed.ok()) << input;
    StatusOr<std::vector<Block>> blocks = ExpandBlock(parsed->object()[0], 1);
    ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
    ASSERT_EQ(blocks->size(), 2u) << input;
    EXPECT_EQ((*blocks)[0].labels, std::vector<std::string>{"tcp"});
    EXPECT_EQ((*blocks)[1].labels, std::vector<std::string>{"unix"});
    EXPECT_EQ(*(*blocks)[1].body->Find("a")->AsInt(), 2);
  }
}

TEST(HclExpandBlockTest, HandlesZeroLabelsEmptyAndWrongShapes) {
  StatusOr<Value> parsed = ParseHcl("retry_join { a = 1 }\nretry_join { a = 2 }\nl {}\ns = \"x\"");
  ASSERT_TRUE(parsed.ok());
  const Value::Object& top = parsed->object();
  StatusOr<std::vector<Block>> unlabelled = ExpandBlock(top[0], 0);
  ASSERT_TRUE(unlabelled.ok());
  ASSERT_EQ(unlabelled->size(), 1u);
  EXPECT_TRUE((*unlabelled)[0].labels.empty());
  EXPECT_EQ(*(*unlabelled)[0].body->Find("a")->AsInt(), 1);

  StatusOr<std::vector<Block>> empty = ExpandBlock(top[2], 1);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  StatusOr<std::vector<Block>> wrong = ExpandBlock(top[3], 1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "expected a block (s \"...\" { ... }), got a string");

  // One label too few: the label's value is a scalar, not a body.
  StatusOr<Value> shallow = ParseHcl("storage \"file\" { path = \"/x\" }");
  ASSERT_TRUE(shallow.ok());
  EXPECT_FALSE(ExpandBlock(shallow->object()[0], 2).ok());
}

}  // namespace
}  // namespace tresor::hcl

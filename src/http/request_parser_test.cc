#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <string>

namespace tresor::http {
namespace {

namespace beast_http = boost::beast::http;

HttpRequest Make(beast_http::verb verb, std::string target, std::string body = "") {
  HttpRequest request{verb, target, 11};
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

HttpRequest MakeCustom(std::string method, std::string target) {
  HttpRequest request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  return request;
}

StatusOr<core::Request> Parse(const HttpRequest& request) {
  return ParseApiRequest(request, "192.0.2.7:5555");
}

TEST(RequestParserTest, HeadersTresorDoesNotHonourAreRefusedNotIgnored) {
  for (auto [name, value] : {std::pair{"X-Vault-Namespace", "team-a/"},
                             {"X-Vault-Namespace", "/team-a/sub"},
                             {"X-Vault-Wrap-TTL", "sixty"},
                             {"X-Vault-Wrap-TTL", "-5"},
                             {"X-Vault-Wrap-Format", "jwt"}}) {
    HttpRequest request = Make(beast_http::verb::get, "/v1/secret/data/app/db");
    request.set(name, value);
    auto parsed = Parse(request);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(parsed.status().message().find(name), std::string::npos) << parsed.status().message();
  }
  // The root namespace, spelled any way Vault's clients spell it, is fine.
  for (const char* root : {"", "/", "root", "root/"}) {
    HttpRequest request = Make(beast_http::verb::get, "/v1/secret/data/app/db");
    request.set("X-Vault-Namespace", root);
    EXPECT_TRUE(Parse(request).ok()) << root;
  }
}

TEST(RequestParserTest, WrapTtlHeaderIsReadAsADurationOrSeconds) {
  for (auto [value, seconds] : {std::pair{"60s", 60}, {"90", 90}, {"5m", 300}, {"0", 0}}) {
    HttpRequest request = Make(beast_http::verb::get, "/v1/secret/data/app/db");
    request.set("X-Vault-Wrap-TTL", value);
    auto parsed = Parse(request);
    ASSERT_TRUE(parsed.ok()) << value << ": " << parsed.status().message();
    EXPECT_EQ(parsed->wrap_ttl.count(), seconds) << value;
  }
  auto unwrapped = Parse(Make(beast_http::verb::get, "/v1/secret/data/app/db"));
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(unwrapped->wrap_ttl.count(), 0);
}

TEST(RequestParserTest, ForwardedClientAddressIsTheLastForwardedForEntry) {
  HttpRequest plain = Make(beast_http::verb::get, "/v1/secret/data/app/db");
  plain.set("X-Forwarded-For", "10.0.0.1");
  auto unforwarded = Parse(plain);
  ASSERT_TRUE(unforwarded.ok());
  EXPECT_EQ(unforwarded->forwarded_client_address, "");  // not from a standby

  HttpRequest forwarded = Make(beast_http::verb::get, "/v1/secret/data/app/db");
  forwarded.set("X-Forwarded-For", "10.0.0.1, 198.51.100.4");
  forwarded.set("X-Tresor-Forwarded", "1");
  auto parsed = Parse(forwarded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->forwarded_client_address, "198.51.100.4");
  EXPECT_EQ(parsed->remote_address, "192.0.2.7:5555");
}

TEST(RequestParserTest, MapsMethodsToOperations) {
  struct Case {
    HttpRequest request;
    core::Operation operation;
    bool head_only;
  };
  const Case cases[] = {
      {Make(beast_http::verb::get, "/v1/secret/foo"), core::Operation::kRead, false},
      {Make(beast_http::verb::head, "/v1/secret/foo"), core::Operation::kRead, true},
      {Make(beast_http::verb::post, "/v1/secret/foo"), core::Operation::kUpdate, false},
      {Make(beast_http::verb::put, "/v1/secret/foo"), core::Operation::kUpdate, false},
      {Make(beast_http::verb::patch, "/v1/secret/foo"), core::Operation::kPatch, false},
      {Make(beast_http::verb::delete_, "/v1/secret/foo"), core::Operation::kDelete, false},
      {MakeCustom("LIST", "/v1/secret/foo"), core::Operation::kList, false},
      {Make(beast_http::verb::get, "/v1/secret/foo?list=true"), core::Operation::kList, false},
      {Make(beast_http::verb::get, "/v1/secret/foo?list=1"), core::Operation::kList, false},
      {Make(beast_http::verb::get, "/v1/secret/foo?list=false"), core::Operation::kRead, false},
  };
  for (const auto& c : cases) {
    auto parsed = Parse(c.request);
    ASSERT_TRUE(parsed.ok()) << c.request.method_string() << " " << c.request.target() << ": "
                             << parsed.status().ToString();
    EXPECT_EQ(parsed->operation, c.operation)
        << c.request.method_string() << " " << c.request.target();
    EXPECT_EQ(parsed->head_only, c.head_only);
    EXPECT_EQ(parsed->path, "secret/foo");
  }
}

TEST(RequestParserTest, ListQueryParameterIsConsumedOthersKept) {
  auto parsed = Parse(Make(beast_http::verb::get, "/v1/secret/?list=true&after=b%20c"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->operation, core::Operation::kList);
  EXPECT_EQ(parsed->query.count("list"), 0u);
  EXPECT_EQ(parsed->query.at("after"), "b c");
}

TEST(RequestParserTest, OtherMethodsAre405) {
  for (auto request :
       {Make(beast_http::verb::options, "/v1/secret/foo"),
        Make(beast_http::verb::trace, "/v1/secret/foo"), MakeCustom("list", "/v1/secret/foo"),
        MakeCustom("FROB", "/v1/secret/foo")}) {
    auto parsed = Parse(request);
    ASSERT_FALSE(parsed.ok()) << request.method_string();
    EXPECT_EQ(parsed.status().code(), StatusCode::kUnsupportedOperation);
  }
}

TEST(RequestParserTest, OnlyV1PathsAreApiRequests) {
  for (const char* target : {"/", "/v1", "/v2/secret/foo", "/ui/", "v1/secret", "/v1x/a"}) {
    auto parsed = Parse(Make(beast_http::verb::get, target));
    ASSERT_FALSE(parsed.ok()) << target;
    EXPECT_EQ(parsed.status().code(), StatusCode::kNotFound) << target;
  }
}

TEST(RequestParserTest, StripsPrefixAndTrailingSlashesAndDecodesPath) {
  const std::pair<const char*, const char*> cases[] = {
      {"/v1/sys/seal-status", "sys/seal-status"},
      {"/v1/secret/metadata/", "secret/metadata"},
      {"/v1/secret/metadata//", "secret/metadata"},
      {"/v1/secret/data/a%20b", "secret/data/a b"},
      {"/v1/", ""},
  };
  for (const auto& [target, path] : cases) {
    auto parsed = Parse(Make(beast_http::verb::get, target));
    ASSERT_TRUE(parsed.ok()) << target;
    EXPECT_EQ(parsed->path, path) << target;
  }
}

TEST(RequestParserTest, RejectsNulInPath) {
  for (std::string target : {std::string("/v1/secret/a%00b"), std::string("/v1/secret/a\0b", 15),
                             std::string("/v1/secret/%00")}) {
    auto parsed = Parse(Make(beast_http::verb::get, target));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
  auto bad_escape = Parse(Make(beast_http::verb::get, "/v1/secret/a%zz"));
  ASSERT_FALSE(bad_escape.ok());
  EXPECT_EQ(bad_escape.status().code(), StatusCode::kInvalidArgument);
}

TEST(RequestParserTest, TokenFromVaultHeaderThenBearer) {
  auto request = Make(beast_http::verb::get, "/v1/auth/token/lookup-self");
  auto parsed = Parse(request);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->client_token, "");

  request.set(beast_http::field::authorization, "Bearer s.bearer");
  parsed = Parse(request);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->client_token, "s.bearer");

  request.set("X-Vault-Token", "s.header");
  parsed = Parse(request);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->client_token, "s.header");

  auto basic = Make(beast_http::verb::get, "/v1/x");
  basic.set(beast_http::field::authorization, "Basic dXNlcjpwYXNz");
  parsed = Parse(basic);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->client_token, "");

  auto lower = Make(beast_http::verb::get, "/v1/x");
  lower.set(beast_http::field::authorization, "bearer  s.lower ");
  parsed = Parse(lower);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->client_token, "s.lower");
}

TEST(RequestParserTest, BodyIsNullObjectOrAnError) {
  auto empty = Parse(Make(beast_http::verb::post, "/v1/x"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->data.is_null());

  auto whitespace = Parse(Make(beast_http::verb::post, "/v1/x", " \n"));
  ASSERT_TRUE(whitespace.ok());
  EXPECT_TRUE(whitespace->data.is_null());

  auto empty_object = Parse(Make(beast_http::verb::post, "/v1/x", "{}"));
  ASSERT_TRUE(empty_object.ok());
  EXPECT_TRUE(empty_object->data.is_object());
  EXPECT_TRUE(empty_object->data.empty());

  auto object = Parse(Make(beast_http::verb::put, "/v1/x", R"({"a":1,"b":{"c":"d"}})"));
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->data["a"], 1);
  EXPECT_EQ(object->data["b"]["c"], "d");
}

TEST(RequestParserTest, MalformedOrNonObjectJsonIs400WithoutEchoingTheBody) {
  for (const char* body : {"{\"password\":\"hunter2\"", "[1,2]", "\"hunter2\"", "42", "null",
                           "{\"a\":1} trailing-hunter2", "hunter2"}) {
    auto parsed = Parse(Make(beast_http::verb::post, "/v1/x", body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(parsed.status().message().rfind("failed to parse JSON input: ", 0), 0u)
        << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos);
  }
}

// A standby relays a request without reading its body: the head alone
// parses even when the body is not JSON, and the body step then fails as
// ParseApiRequest does.
TEST(RequestParserTest, TheHeadParsesWithoutTheBodyWhichIsASecondStep) {
  HttpRequest good = Make(beast_http::verb::post, "/v1/kv/data/a", R"({"data":{"v":1}})");
  auto head = ParseApiRequestHead(good, "192.0.2.7:5555");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->path, "kv/data/a");
  EXPECT_TRUE(head->data.is_null());
  ASSERT_TRUE(ParseApiRequestBody(good, *head).ok());
  EXPECT_EQ(head->data["data"]["v"], 1);

  HttpRequest bad = Make(beast_http::verb::post, "/v1/kv/data/a", "{not json");
  auto bad_head = ParseApiRequestHead(bad, "192.0.2.7:5555");
  ASSERT_TRUE(bad_head.ok()) << bad_head.status().ToString();
  Status body = ParseApiRequestBody(bad, *bad_head);
  EXPECT_EQ(body.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(body.message().rfind("failed to parse JSON input: ", 0), 0u) << body.message();
}

TEST(RequestParserTest, RejectsJsonNestedTooDeeply) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < kMaxJsonDepth + 10; ++i) deep += "[";
  for (int i = 0; i < kMaxJsonDepth + 10; ++i) deep += "]";
  deep += "}";
  auto parsed = Parse(Make(beast_http::verb::post, "/v1/x", deep));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
}

TEST(RequestParserTest, RecordsContentTypeRemoteAddressAndFreshRequestIds) {
  auto request = Make(beast_http::verb::patch, "/v1/secret/data/a", "{}");
  request.set(beast_http::field::content_type, "application/merge-patch+json");
  auto first = Parse(request);
  auto second = Parse(request);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->content_type, "application/merge-patch+json");
  EXPECT_EQ(first->remote_address, "192.0.2.7:5555");
  EXPECT_EQ(first->request_id.size(), 36u);
  EXPECT_NE(first->request_id, second->request_id);
}

TEST(RequestParserTest, ApiPathOfTargetIsTheNormalisedPath) {
  auto path = ApiPathOfTarget("/v1/sys/storage/raft/snapshot/?stale=true");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "sys/storage/raft/snapshot");
  path = ApiPathOfTarget("/v1/sys/storage/raft/snapshot%2Dforce");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, "sys/storage/raft/snapshot-force");
  EXPECT_EQ(ApiPathOfTarget("/v2/sys").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ApiPathOfTarget("/v1/a%00b").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::http

#include "http/response_writer.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

namespace tresor::http {
namespace {

namespace beast_http = boost::beast::http;
using nlohmann::json;

ResponseContext Context(bool head_only = false) {
  ResponseContext context;
  context.request_id = "0b4c4d8e-1111-4222-8333-444455556666";
  context.head_only = head_only;
  return context;
}

json Body(const HttpResponse& response) { return json::parse(response.body()); }

void ExpectStandardHeaders(const HttpResponse& response) {
  EXPECT_EQ(response[beast_http::field::content_type], "application/json");
  EXPECT_EQ(response[beast_http::field::cache_control], "no-store");
}

TEST(ResponseWriterTest, EnvelopeCarriesEveryVaultField) {
  core::Response response = core::Response::Data({{"foo", "bar"}});
  response.lease_id = "secret/creds/abc";
  response.renewable = true;
  response.lease_duration = 3600;
  response.warnings = {"careful"};
  auto http_response = BuildHttpResponse(response, Context());
  EXPECT_EQ(http_response.result_int(), 200);
  ExpectStandardHeaders(http_response);
  const json body = Body(http_response);
  EXPECT_EQ(body["request_id"], "0b4c4d8e-1111-4222-8333-444455556666");
  EXPECT_EQ(body["lease_id"], "secret/creds/abc");
  EXPECT_EQ(body["renewable"], true);
  EXPECT_EQ(body["lease_duration"], 3600);
  EXPECT_EQ(body["data"], json({{"foo", "bar"}}));
  EXPECT_TRUE(body.contains("wrap_info") && body["wrap_info"].is_null());
  EXPECT_EQ(body["warnings"], json::array({"careful"}));
  EXPECT_TRUE(body.contains("auth") && body["auth"].is_null());
  EXPECT_EQ(http_response[beast_http::field::content_length],
            std::to_string(http_response.body().size()));
}

TEST(ResponseWriterTest, EnvelopeWithoutWarningsHasNullWarnings) {
  auto http_response = BuildHttpResponse(core::Response::Data({{"a", 1}}), Context());
  EXPECT_TRUE(Body(http_response)["warnings"].is_null());
}

TEST(ResponseWriterTest, WrappedAnswerCarriesOnlyWrapInfo) {
  core::Response response;
  response.wrap_info = {{"token", "hvs.w"}, {"ttl", 60}};
  auto http_response = BuildHttpResponse(response, Context());
  EXPECT_EQ(http_response.result_int(), 200);
  const json body = Body(http_response);
  EXPECT_EQ(body["wrap_info"]["token"], "hvs.w");
  EXPECT_TRUE(body["data"].is_null());
}

TEST(ResponseWriterTest, AuthOnlyEnvelopeIsNot204) {
  core::Response response;
  response.auth = {{"client_token", "s.x"}};
  auto http_response = BuildHttpResponse(response, Context());
  EXPECT_EQ(http_response.result_int(), 200);
  EXPECT_EQ(Body(http_response)["auth"]["client_token"], "s.x");
}

TEST(ResponseWriterTest, EmptyEnvelopeIs204WithoutBody) {
  core::Response with_empty_object = core::Response::Data(json::object());
  for (const core::Response& response : {core::Response::Empty(), with_empty_object}) {
    auto http_response = BuildHttpResponse(response, Context());
    EXPECT_EQ(http_response.result_int(), 204);
    EXPECT_TRUE(http_response.body().empty());
    ExpectStandardHeaders(http_response);
  }
  core::Response warned;
  warned.warnings = {"w"};
  EXPECT_EQ(BuildHttpResponse(warned, Context()).result_int(), 200);
}

TEST(ResponseWriterTest, RawDataIsTheWholeBody) {
  const json seal_status = {{"sealed", true}, {"t", 3}, {"n", 5}};
  auto http_response = BuildHttpResponse(core::Response::Raw(seal_status), Context());
  EXPECT_EQ(http_response.result_int(), 200);
  EXPECT_EQ(Body(http_response), seal_status);
  ExpectStandardHeaders(http_response);

  auto null_raw = BuildHttpResponse(core::Response::Raw(nullptr), Context());
  EXPECT_EQ(null_raw.result_int(), 204);
  EXPECT_TRUE(null_raw.body().empty());
}

TEST(ResponseWriterTest, HttpStatusOverridesTheCode) {
  auto standby = BuildHttpResponse(core::Response::Raw({{"standby", true}}, 429), Context());
  EXPECT_EQ(standby.result_int(), 429);
  EXPECT_EQ(Body(standby)["standby"], true);

  core::Response empty_but_200 = core::Response::Empty();
  empty_but_200.http_status = 200;
  auto written = BuildHttpResponse(empty_but_200, Context());
  EXPECT_EQ(written.result_int(), 200);
  EXPECT_TRUE(Body(written).contains("request_id"));

  core::Response forced_204 = core::Response::Data({{"a", 1}});
  forced_204.http_status = 204;
  auto no_body = BuildHttpResponse(forced_204, Context());
  EXPECT_EQ(no_body.result_int(), 204);
  EXPECT_TRUE(no_body.body().empty());
}

TEST(ResponseWriterTest, EnvelopeWithTopLevelDataCopiesFieldsUp) {
  core::Response response = core::Response::Data({{"term", 2}, {"request_id", "spoofed"}});
  response.shape = core::Response::Shape::kEnvelopeWithTopLevelData;
  const json body = Body(BuildHttpResponse(response, Context()));
  EXPECT_EQ(body["term"], 2);
  EXPECT_EQ(body["data"]["term"], 2);
  // Envelope fields are never overwritten by data.
  EXPECT_EQ(body["request_id"], "0b4c4d8e-1111-4222-8333-444455556666");
  EXPECT_TRUE(body.contains("lease_id"));
}

TEST(ResponseWriterTest, ExtraHeadersAreAdded) {
  core::Response response = core::Response::Raw({{"a", 1}}, 307);
  response.headers["Location"] = "https://active.example:8200/v1/sys/health";
  auto http_response = BuildHttpResponse(response, Context());
  EXPECT_EQ(http_response.result_int(), 307);
  EXPECT_EQ(http_response[beast_http::field::location],
            "https://active.example:8200/v1/sys/health");
}

TEST(ResponseWriterTest, ErrorsUseTheMappingAndErrorShape) {
  const std::pair<Status, int> cases[] = {
      {InvalidArgumentError("bad input"), 400},
      {FailedPreconditionError("not initialized"), 400},
      {PermissionDeniedError(), 403},
      {NotFoundError("no such thing"), 404},
      {UnsupportedOperationError("unsupported operation"), 405},
      {TooLargeError("too big"), 413},
      {SealedError(), 503},
      {UnavailableError("standby"), 503},
      {IOError("disk"), 500},
      {CorruptionError("bad record"), 500},
      {ResourceExhaustedError("quota"), 500},
      {InternalError("bug"), 500},
  };
  for (const auto& [status, code] : cases) {
    auto http_response = BuildHttpResponse(status, Context());
    EXPECT_EQ(http_response.result_int(), code) << status.ToString();
    EXPECT_EQ(Body(http_response), json({{"errors", json::array({status.message()})}}));
    ExpectStandardHeaders(http_response);
  }
}

TEST(ResponseWriterTest, HeadHasSameStatusAndHeadersButNoBody) {
  core::Response response = core::Response::Data({{"foo", "bar"}});
  auto get = BuildHttpResponse(response, Context(false));
  auto head = BuildHttpResponse(response, Context(true));
  EXPECT_EQ(head.result_int(), get.result_int());
  EXPECT_TRUE(head.body().empty());
  EXPECT_FALSE(get.body().empty());
  EXPECT_EQ(head[beast_http::field::content_length], std::to_string(get.body().size()));
  EXPECT_EQ(head[beast_http::field::content_type], "application/json");

  auto head_error = BuildHttpResponse(NotFoundError("nope"), Context(true));
  EXPECT_EQ(head_error.result_int(), 404);
  EXPECT_TRUE(head_error.body().empty());
}

TEST(ResponseWriterTest, KeepAliveAndVersionFollowTheContext) {
  ResponseContext context = Context();
  context.keep_alive = false;
  context.http_version = 10;
  auto http_response = BuildHttpResponse(core::Response::Data({{"a", 1}}), context);
  EXPECT_FALSE(http_response.keep_alive());
  EXPECT_EQ(http_response.version(), 10u);
}

TEST(ResponseWriterTest, InvalidUtf8IsReplacedNotThrown) {
  auto http_response = BuildHttpResponse(core::Response::Data({{"value", std::string("a\xff"
                                                                                     "b")}}),
                                         Context());
  EXPECT_EQ(http_response.result_int(), 200);
  EXPECT_EQ(Body(http_response)["data"]["value"],
            "a\xEF\xBF\xBD"
            "b");
}

TEST(ResponseWriterTest, StreamingHeaderIsChunkedWithItsContentType) {
  core::Response response;
  response.body_stream = [](const auto&) { return Status::Ok(); };
  response.headers["X-Snapshot-Index"] = "42";
  auto header = BuildStreamingResponseHeader(response, Context());
  EXPECT_EQ(header.result_int(), 200);
  EXPECT_TRUE(header.chunked());
  EXPECT_TRUE(header.keep_alive());
  EXPECT_EQ(header[beast_http::field::content_type], "application/octet-stream");
  EXPECT_EQ(header[beast_http::field::cache_control], "no-store");
  EXPECT_EQ(header["X-Snapshot-Index"], "42");
  EXPECT_EQ(header.count(beast_http::field::content_length), 0u);

  response.content_type = "application/gzip";
  response.http_status = 206;
  header = BuildStreamingResponseHeader(response, Context());
  EXPECT_EQ(header.result_int(), 206);
  EXPECT_EQ(header[beast_http::field::content_type], "application/gzip");
}

TEST(ResponseWriterTest, StreamingHeaderForHttp10AndHead) {
  core::Response response;
  ResponseContext old_client = Context();
  old_client.http_version = 10;
  auto header = BuildStreamingResponseHeader(response, old_client);
  EXPECT_FALSE(header.chunked());     // HTTP/1.0 has no chunked encoding
  EXPECT_FALSE(header.keep_alive());  // the close ends the body

  auto head = BuildStreamingResponseHeader(response, Context(true));
  EXPECT_FALSE(head.chunked());
  EXPECT_TRUE(head.keep_alive());
}

}  // namespace
}  // namespace tresor::http

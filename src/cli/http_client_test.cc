#include "cli/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cli/fake_http_client_for_test.h"
#include "cli/fake_http_server_for_test.h"

namespace tresor::cli {
namespace {

std::unique_ptr<HttpClient> ClientFor(const std::string& address, const std::string& token = "") {
  ClientOptions options;
  options.address = address;
  options.token = token;
  auto client = HttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(*client);
}

TEST(HttpClientTest, SendsTokenAndJsonBody) {
  FakeHttpServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{200, R"({"keys":["aa"],"root_token":"r"})"};
  });
  auto client = ClientFor(server.address(), "s.token");
  auto response = client->Send("PUT", "/v1/sys/init", {{"secret_shares", 1}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body["root_token"], "r");
  const auto& requests = server.Wait();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].target, "/v1/sys/init");
  EXPECT_TRUE(requests[0].has_token);
  EXPECT_EQ(requests[0].token, "s.token");
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(Json::parse(requests[0].body), Json({{"secret_shares", 1}}));
}

TEST(HttpClientTest, NoTokenNoHeaderAndNoBody) {
  FakeHttpServerForTest server(1, [](const RecordedRequest&) { return CannedResponse{204, ""}; });
  auto client = ClientFor(server.address());
  auto body = client->Call("PUT", "/v1/sys/seal");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_TRUE(body->is_null());
  const auto& requests = server.Wait();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].has_token);
  EXPECT_EQ(requests[0].body, "");
}

TEST(HttpClientTest, ListIsGetWithListTrue) {
  FakeHttpServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{200, R"({"data":{"keys":["a"]}})"};
  });
  auto client = ClientFor(server.address() + "/prefix");
  auto body = client->Call("LIST", "/v1/secret/metadata");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  const auto& requests = server.Wait();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/prefix/v1/secret/metadata?list=true");
}

TEST(HttpClientTest, ApiErrorInVaultsWords) {
  FakeHttpServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["Vault is already initialized"]})"};
  });
  auto client = ClientFor(server.address());
  auto body = client->Call("PUT", "/v1/sys/init", {{"secret_shares", 1}});
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(body.status().message(), "Error making API request.\n\nURL: PUT " + server.address() +
                                         "/v1/sys/init\nCode: 400. Errors:\n\n"
                                         "* Vault is already initialized");
}

TEST(HttpClientTest, ErrorStatusCodes) {
  struct Case {
    int http;
    StatusCode code;
  };
  for (Case c : {Case{403, StatusCode::kPermissionDenied}, Case{404, StatusCode::kNotFound},
                 Case{405, StatusCode::kUnsupportedOperation}, Case{413, StatusCode::kTooLarge},
                 Case{503, StatusCode::kUnavailable}, Case{500, StatusCode::kInternal}}) {
    HttpResponse response;
    response.status = c.http;
    EXPECT_EQ(ApiErrorStatus("GET", "u", response).code(), c.code) << c.http;
  }
}

TEST(HttpClientTest, MultipleErrorsAndRawBodies) {
  HttpResponse response;
  response.status = 400;
  response.body = Json::parse(R"({"errors":["one","two"]})");
  EXPECT_EQ(FormatApiError("GET", "http://h:1/v1/x", response),
            "Error making API request.\n\nURL: GET http://h:1/v1/x\nCode: 400. Errors:\n\n"
            "* one\n* two");
  HttpResponse raw;
  raw.status = 502;
  raw.raw_body = "bad gateway";
  EXPECT_EQ(FormatApiError("GET", "http://h:1/v1/x", raw),
            "Error making API request.\n\nURL: GET http://h:1/v1/x\nCode: 502. Raw Message:\n\n"
            "bad gateway");
}

TEST(HttpClientTest, FollowsTemporaryRedirect) {
  uint16_t port = 0;
  FakeHttpServerForTest server(2, [&port](const RecordedRequest& request) {
    if (request.target == "/v1/sys/rotate") {
      return CannedResponse{307, "", "http://127.0.0.1:" + std::to_string(port) + "/v1/active"};
    }
    return CannedResponse{204, ""};
  });
  port = server.port();
  auto client = ClientFor(server.address(), "tok");
  auto response = client->Send("PUT", "/v1/sys/rotate", {{"a", 1}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 204);
  const auto& requests = server.Wait();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(requests[1].target, "/v1/active");
  EXPECT_EQ(requests[1].body, R"({"a":1})");
  EXPECT_EQ(requests[1].token, "tok");
}

TEST(HttpClientTest, ConnectionRefusedNamesTheAddress) {
  uint16_t port = 0;
  {
    // Bind, learn the port, close: nothing listens there afterwards.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  std::string address = "http://127.0.0.1:" + std::to_string(port);
  auto client = ClientFor(address);
  auto response = client->Send("GET", "/v1/sys/seal-status");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message(),
            "Get \"" + address + "/v1/sys/seal-status\": dial tcp 127.0.0.1:" +
                std::to_string(port) + ": connect: connection refused");
}

TEST(HttpClientTest, TotalTimeoutWhenServerNeverAnswers) {
  // A listening socket nobody accepts from: the kernel completes the
  // connection, the request is written, and no response ever comes.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  ClientOptions options;
  options.address = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  options.timeout = std::chrono::milliseconds(200);
  auto client = HttpClient::Create(std::move(options));
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto response = (*client)->Send("GET", "/v1/sys/seal-status");
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.status().message().find("Client.Timeout exceeded"), std::string::npos)
      << response.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// The in-process fake the command tests use (FakeHttpClient) records what
// this client puts on the wire, so the command tests check real requests.
TEST(HttpClientTest, FakeClientRecordsWhatTheBeastClientSends) {
  struct Case {
    std::string method;
    std::string path;
    Json body;
  };
  const FakeHandler answer = [](const RecordedRequest&) { return CannedResponse{204, ""}; };
  for (const Case& c :
       {Case{"PUT", "/v1/sys/init", {{"secret_shares", 1}}},
        Case{"LIST", "/v1/secret/metadata", nullptr}, Case{"LIST", "/v1/kv1/?x=1", nullptr},
        Case{"PATCH", "/v1/secret/data/a", {{"a", "b"}}},
        Case{"DELETE", "/v1/sys/mounts/kv1", nullptr}}) {
    SCOPED_TRACE(c.method + " " + c.path);
    FakeHttpServerForTest wire(1, answer);
    ASSERT_TRUE(ClientFor(wire.address() + "/prefix", "tok")->Send(c.method, c.path, c.body).ok());
    FakeServerForTest fake(1, answer);
    ClientOptions options;
    options.address = fake.address() + "/prefix";
    options.token = "tok";
    auto fake_client = FakeHttpClient::Create(std::move(options));
    ASSERT_TRUE(fake_client.ok()) << fake_client.status().ToString();
    ASSERT_TRUE((*fake_client)->Send(c.method, c.path, c.body).ok());

    ASSERT_EQ(wire.Wait().size(), 1u);
    ASSERT_EQ(fake.requests().size(), 1u);
    const RecordedRequest& sent = wire.Wait()[0];
    const RecordedRequest& recorded = fake.requests()[0];
    EXPECT_EQ(recorded.method, sent.method);
    EXPECT_EQ(recorded.target, sent.target);
    EXPECT_EQ(recorded.body, sent.body);
    EXPECT_EQ(recorded.has_token, sent.has_token);
    EXPECT_EQ(recorded.token, sent.token);
    EXPECT_EQ(recorded.content_type, sent.content_type);
    for (const char* header : {"user-agent", "x-vault-request", "x-vault-token", "content-type"}) {
      EXPECT_EQ(recorded.Header(header), sent.Header(header)) << header;
    }
    EXPECT_EQ(sent.Header("host"), "127.0.0.1:" + std::to_string(wire.port()));
    EXPECT_EQ("http://" + recorded.Header("host"), fake.address());
  }
}

TEST(HttpClientTest, CreateRejectsBadAddressAndMissingCa) {
  ClientOptions bad;
  bad.address = "127.0.0.1:8200";
  EXPECT_EQ(HttpClient::Create(std::move(bad)).status().code(), StatusCode::kInvalidArgument);
  ClientOptions missing_ca;
  missing_ca.address = "https://127.0.0.1:8200";
  missing_ca.ca_cert = "/nonexistent/ca.pem";
  auto client = HttpClient::Create(std::move(missing_ca));
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace tresor::cli

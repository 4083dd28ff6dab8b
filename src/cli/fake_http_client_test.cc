// FakeHttpClient and FakeServerForTest, the command tests' in-process
// server: routing by address, recording, the request limit, refusal where no
// server is registered, Download and Upload. That the fake records what the
// Beast client sends is checked in http_client_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/fake_http_client_for_test.h"

namespace tresor::cli {
namespace {

std::unique_ptr<HttpClient> NewFakeClient(const std::string& address,
                                          const std::string& token = "") {
  ClientOptions options;
  options.address = address;
  options.token = token;
  auto client = FakeHttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(*client);
}

TEST(FakeHttpClientTest, AnswersFromTheServerAtItsAddressAndRecords) {
  FakeServerForTest other(1, [](const RecordedRequest&) { return CannedResponse{500, ""}; });
  FakeServerForTest server(1, [](const RecordedRequest& request) {
    return CannedResponse{200, R"({"data":{"path":")" + request.target + R"("}})",
                          "http://elsewhere:8200/v1/x"};
  });
  EXPECT_NE(server.address(), other.address());
  auto response = NewFakeClient(server.address(), "tok")->Send("PATCH", "/v1/a", {{"k", "v"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body["data"]["path"], "/v1/a");
  EXPECT_EQ(response->raw_body, R"({"data":{"path":"/v1/a"}})");
  EXPECT_EQ(response->location, "http://elsewhere:8200/v1/x");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(other.requests().empty());
  const RecordedRequest& request = server.requests()[0];
  EXPECT_EQ(request.method, "PATCH");
  EXPECT_EQ(request.token, "tok");
  EXPECT_EQ(request.Header("X-Vault-Token"), "tok");
  EXPECT_EQ(request.content_type, "application/merge-patch+json");
  EXPECT_EQ(request.body, R"({"k":"v"})");
}

TEST(FakeHttpClientTest, NoServerAtTheAddressIsRefusedInTheRealClientsWords) {
  auto client = NewFakeClient("http://127.0.0.1:1");
  auto response = client->Send("GET", "/v1/sys/seal-status");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message(),
            "Get \"http://127.0.0.1:1/v1/sys/seal-status\": dial tcp 127.0.0.1:1: connect: "
            "connection refused");
  EXPECT_FALSE(client->Call("PUT", "/v1/sys/seal").ok());
}

TEST(FakeHttpClientTest, AServerGoneOrAnotherSchemeIsNotReached) {
  std::string address;
  {
    FakeServerForTest server(1, [](const RecordedRequest&) { return CannedResponse{204, ""}; });
    address = server.address();
    auto https = NewFakeClient("https" + address.substr(4));
    EXPECT_EQ(https->Send("GET", "/v1/x").status().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(server.requests().empty());
  }
  EXPECT_EQ(NewFakeClient(address)->Send("GET", "/v1/x").status().code(), StatusCode::kUnavailable);
}

TEST(FakeHttpClientTest, RequestsBeyondTheExpectedNumberFail) {
  FakeServerForTest server(1, [](const RecordedRequest&) { return CannedResponse{204, ""}; });
  auto client = NewFakeClient(server.address());
  ASSERT_TRUE(client->Call("PUT", "/v1/sys/seal").ok());
  auto second = client->Send("PUT", "/v1/sys/seal");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("expected only 1 requests"), std::string::npos)
      << second.status().message();
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(FakeHttpClientTest, CallTurnsErrorsIntoVaultsText) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{403, R"({"errors":["permission denied"]})"};
  });
  auto body = NewFakeClient(server.address() + "/prefix")->Call("LIST", "/v1/secret/metadata");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(body.status().message(),
            "Error making API request.\n\nURL: GET " + server.address() +
                "/prefix/v1/secret/metadata?list=true\nCode: 403. Errors:\n\n* permission denied");
  EXPECT_EQ(server.requests()[0].target, "/prefix/v1/secret/metadata?list=true");
}

TEST(FakeHttpClientTest, DownloadGivesA2xxBodyToTheSinkAndOtherwiseTheErrorResponse) {
  FakeServerForTest server(3, [](const RecordedRequest& request) {
    if (request.target == "/v1/snapshot") return CannedResponse{200, "snapshot bytes"};
    if (request.target == "/v1/refuse") return CannedResponse{200, "x"};
    return CannedResponse{503, R"({"errors":["sealed"]})"};
  });
  auto client = NewFakeClient(server.address(), "tok");
  std::string got;
  HttpResponse error;
  auto status = client->Download(
      "/v1/snapshot",
      [&](std::string_view piece) {
        got.append(piece);
        return Status::Ok();
      },
      &error);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(got, "snapshot bytes");
  EXPECT_EQ(server.requests()[0].method, "GET");
  EXPECT_EQ(server.requests()[0].token, "tok");

  auto refused = client->Download(
      "/v1/refuse", [](std::string_view) { return IOError("disk full"); }, &error);
  EXPECT_EQ(refused.status().message(), "disk full");

  got.clear();
  status = client->Download(
      "/v1/other",
      [&](std::string_view piece) {
        got.append(piece);
        return Status::Ok();
      },
      &error);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 503);
  EXPECT_EQ(got, "");
  EXPECT_EQ(error.status, 503);
  EXPECT_EQ(error.body["errors"][0], "sealed");
}

TEST(FakeHttpClientTest, UploadSendsTheFileAndFailsOnAShortOne) {
  char path[] = "/tmp/tresor-fake-upload-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  const std::string content(100 * 1024 + 7, 'z');
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  FakeServerForTest server(1, [](const RecordedRequest&) { return CannedResponse{204, ""}; });
  auto client = NewFakeClient(server.address());
  auto response = client->Upload("POST", "/v1/sys/storage/raft/snapshot", fd, content.size());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 204);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].method, "POST");
  EXPECT_EQ(server.requests()[0].content_type, "application/octet-stream");
  EXPECT_EQ(server.requests()[0].body, content);

  auto short_file = client->Upload("POST", "/v1/x", fd, content.size() + 1);
  EXPECT_EQ(short_file.status().code(), StatusCode::kIOError);
  EXPECT_EQ(server.requests().size(), 1u);
  close(fd);
}

TEST(FakeHttpClientTest, CreateRejectsABadAddress) {
  ClientOptions options;
  options.address = "127.0.0.1:8200";
  EXPECT_EQ(FakeHttpClient::Create(std::move(options)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::cli

// Socket tests of http::Server over plain TCP on 127.0.0.1, with fake
// request handlers and a Beast client. No sleeps: waits are on condition
// variables (with generous timeouts that only matter when a test fails) or
// on the server closing a connection.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::FunctionHandler;
using testing::MakeRequest;
using testing::PlainClient;
using testing::PlainLoopbackOptions;

constexpr auto kWaitLimit = 20s;

// Answers with what it saw, so tests can check the parse end to end.
StatusOr<core::Response> Echo(const core::Request& request) {
  return core::Response::Data({{"path", request.path},
                               {"operation", core::OperationName(request.operation)},
                               {"has_token", !request.client_token.empty()},
                               {"remote", request.remote_address},
                               {"body", request.data}});
}

TEST(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 4);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();

  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  for (int i = 0; i < 3; ++i) {
    auto request = MakeRequest(beast_http::verb::get, "/v1/secret/item" + std::to_string(i));
    request.set("X-Vault-Token", "s.test");
    HttpResponse response = client.RoundTrip(std::move(request));
    ASSERT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.keep_alive());
    const json body = json::parse(response.body());
    EXPECT_EQ(body["data"]["path"], "secret/item" + std::to_string(i));
    EXPECT_EQ(body["data"]["has_token"], true);
    EXPECT_EQ(body["data"]["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
  }
  EXPECT_EQ(server.ConnectionCountForTest(), 1u);
  server.Shutdown(5s);
}

TEST(ServerTest, ListMethodHeadAndUnknownPaths) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 2);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();
  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));

  HttpRequest list{beast_http::verb::unknown, "/v1/secret/metadata/", 11};
  list.method_string("LIST");
  list.set(beast_http::field::host, "127.0.0.1");
  list.prepare_payload();
  HttpResponse listed = client.RoundTrip(std::move(list));
  ASSERT_EQ(listed.result_int(), 200);
  EXPECT_EQ(json::parse(listed.body())["data"]["operation"], "list");

  HttpResponse head = client.RoundTrip(MakeRequest(beast_http::verb::head, "/v1/secret/a"));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
  EXPECT_NE(head[beast_http::field::content_length], "0");

  HttpResponse not_api = client.RoundTrip(MakeRequest(beast_http::verb::get, "/index.html"));
  EXPECT_EQ(not_api.result_int(), 404);
  EXPECT_TRUE(json::parse(not_api.body())["errors"].is_array());

  HttpResponse options = client.RoundTrip(MakeRequest(beast_http::verb::options, "/v1/a"));
  EXPECT_EQ(options.result_int(), 405);
  server.Shutdown(5s);
}

TEST(ServerTest, HandlersAreNotCappedByIoThreads) {
  constexpr int kClients = 8;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  FunctionHandler handler([&](const core::Request&) -> StatusOr<core::Response> {
    std::unique_lock lock(mu);
    ++arrived;
    cv.notify_all();
    // Only returns early when every request is inside a handler at once.
    if (!cv.wait_for(lock, kWaitLimit, [&] { return arrived >= kClients; })) {
      return UnavailableError("not all requests arrived concurrently");
    }
    return core::Response::Data({{"ok", true}});
  });
  Server server(handler, /*io_threads=*/1, /*worker_threads=*/kClients * 2);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();

  std::vector<int> statuses(kClients, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      PlainClient client;
      if (client.Connect(server.BoundAddress(0))) return;
      statuses[i] = client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/block")).result_int();
    });
  }
  for (auto& thread : clients) thread.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(statuses[i], 200) << "client " << i;
  server.Shutdown(5s);
}

TEST(ServerTest, OversizedBodyIs413ThenServerStillServes) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 2);
  ListenerOptions options = PlainLoopbackOptions();
  options.max_request_size = 1024;
  ASSERT_TRUE(server.AddListener(options).ok());
  server.Start();

  {
    PlainClient client;
    ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
    const std::string big = "{\"v\":\"" + std::string(8192, 'x') + "\"}";
    HttpResponse response = client.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/a", big));
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_FALSE(response.keep_alive());
    const json body = json::parse(response.body());
    ASSERT_EQ(body["errors"].size(), 1u);
    EXPECT_EQ(body["errors"][0].get<std::string>().rfind("request body too large", 0), 0u);
    EXPECT_NE(client.ReadUntilClosed(), beast::error::timeout);
  }
  {
    // A body exactly at the limit is fine.
    PlainClient client;
    ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
    const std::string fits = "{\"v\":\"" + std::string(1024 - 8, 'y') + "\"}";
    ASSERT_EQ(fits.size(), 1024u);
    HttpResponse response = client.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/a", fits));
    EXPECT_EQ(response.result_int(), 200);
  }
  server.Shutdown(5s);
}

TEST(ServerTest, MalformedJsonIs400AndConnectionStaysUsable) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 2);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();
  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));

  HttpResponse bad = client.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/a", "{\"a\":"));
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_EQ(json::parse(bad.body())["errors"][0].get<std::string>().rfind(
                "failed to parse JSON input", 0),
            0u);
  HttpResponse array = client.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/a", "[1]"));
  EXPECT_EQ(array.result_int(), 400);

  HttpResponse good = client.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/a", "{\"k\":1}"));
  ASSERT_EQ(good.result_int(), 200);
  EXPECT_EQ(json::parse(good.body())["data"]["body"]["k"], 1);
  server.Shutdown(5s);
}

TEST(ServerTest, MalformedHttpIs400AndClosed) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 2);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();
  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  ASSERT_FALSE(client.SendRaw("GET /v1/a HTTP/1.1\r\nBad Header Line\r\n\r\n"));
  HttpResponse response;
  ASSERT_FALSE(client.Read(response));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_NE(client.ReadUntilClosed(), beast::error::timeout);
  server.Shutdown(5s);
}

TEST(ServerTest, SlowHeaderClientIsDisconnected) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 2);
  ListenerOptions options = PlainLoopbackOptions();
  options.read_header_timeout = 1s;
  ASSERT_TRUE(server.AddListener(options).ok());
  server.Start();

  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_FALSE(client.SendRaw("GET /v1/a HTTP/1.1\r\nHost: 127.0.0.1\r\n"));  // never finished
  const beast::error_code closed = client.ReadUntilClosed();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_NE(closed, beast::error::timeout) << "the server kept the connection open";
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 15s);
  server.Shutdown(5s);
}

TEST(ServerTest, ShutdownDrainsInFlightRequestAndClosesIdleConnections) {
  std::mutex mu;
  std::condition_variable cv;
  bool slow_entered = false;
  bool release = false;
  FunctionHandler handler([&](const core::Request& request) -> StatusOr<core::Response> {
    if (request.path == "slow") {
      std::unique_lock lock(mu);
      slow_entered = true;
      cv.notify_all();
      cv.wait_for(lock, kWaitLimit, [&] { return release; });
    }
    return core::Response::Data({{"path", request.path}});
  });
  Server server(handler, 1, 4);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();
  const std::string address = server.BoundAddress(0);

  // An idle keep-alive connection: it has had its answer.
  PlainClient idle;
  ASSERT_FALSE(idle.Connect(address));
  ASSERT_EQ(idle.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/fast")).result_int(), 200);

  HttpResponse slow_response;
  std::thread busy([&] {
    PlainClient client;
    if (client.Connect(address)) return;
    slow_response = client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/slow"));
  });
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kWaitLimit, [&] { return slow_entered; }));
  }

  std::thread shutdown([&] { server.Shutdown(20s); });
  // The idle connection being closed shows the drain has begun, while the
  // slow request is still inside its handler.
  EXPECT_NE(idle.ReadUntilClosed(), beast::error::timeout);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  busy.join();
  shutdown.join();

  EXPECT_EQ(slow_response.result_int(), 200);
  EXPECT_FALSE(slow_response.keep_alive());
  EXPECT_EQ(json::parse(slow_response.body())["data"]["path"], "slow");
  EXPECT_EQ(server.ConnectionCountForTest(), 0u);
  PlainClient late;
  EXPECT_TRUE(late.Connect(address)) << "still accepting after Shutdown";
}

TEST(ServerTest, AddListenerReportsAddressInUse) {
  FunctionHandler handler(Echo);
  Server first(handler, 1, 1);
  ASSERT_TRUE(first.AddListener(PlainLoopbackOptions()).ok());
  Server second(handler, 1, 1);
  ListenerOptions options = PlainLoopbackOptions();
  options.address = first.BoundAddress(0);
  Status status = second.AddListener(options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_NE(status.message().find(options.address), std::string::npos) << status.message();
}

TEST(ServerTest, AddListenerReportsBadTlsFilesAndAddresses) {
  FunctionHandler handler(Echo);
  Server server(handler, 1, 1);
  ListenerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/tresor.crt";
  options.tls_key_file = "/nonexistent/tresor.key";
  Status status = server.AddListener(options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("/nonexistent/tresor.crt"), std::string::npos);

  ListenerOptions bad_address = PlainLoopbackOptions();
  bad_address.address = "127.0.0.1";
  EXPECT_EQ(server.AddListener(bad_address).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server.ListenerCount(), 0u);
}

TEST(ServerTest, HandlerExceptionBecomes500) {
  FunctionHandler handler(
      [](const core::Request&) -> StatusOr<core::Response> { throw std::runtime_error("boom"); });
  Server server(handler, 1, 1);
  ASSERT_TRUE(server.AddListener(PlainLoopbackOptions()).ok());
  server.Start();
  PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  HttpResponse response = client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/a"));
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(json::parse(response.body())["errors"][0], "internal error");
  server.Shutdown(5s);
}

}  // namespace
}  // namespace tresor::http

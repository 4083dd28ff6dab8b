// Tests of ForwardRequest, the standby's HTTP client, against a scripted
// upstream (a Beast socket that records the raw request and answers with
// fixed bytes) and against http::Server over TLS. Waits are on the
// upstream's condition variable, never sleeps; the one timeout test waits
// for ForwardRequest's own deadline of one second.
// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside
// Beast's request parser (boost::optional in content_length), which the
// scripted upstream below instantiates; silenced for this test only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "http/forwarder.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/temp_dir_for_test.h"
#include "http/server.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using testing::MakeRequest;

// Accepts connections on 127.0.0.1, reads one request from each, records
// it and answers with `reply` verbatim, then closes.
class ScriptedUpstream {
 public:
  explicit ScriptedUpstream(std::string reply) : reply_(std::move(reply)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedUpstream() {
    io_.stop();
    thread_.join();
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  // The first request received, once it has arrived (or nullopt after
  // testing::kClientTimeout).
  std::optional<HttpRequest> WaitForRequest() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, testing::kClientTimeout, [&] { return !received_.empty(); })) {
      return std::nullopt;
    }
    return received_.front();
  }

  // How many connections the upstream has closed once `count` have (or
  // fewer after testing::kClientTimeout).
  std::size_t WaitForClosed(std::size_t count) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, testing::kClientTimeout, [&] { return closed_ >= count; });
    return closed_;
  }

  // How many requests have arrived once `count` have (or fewer after
  // testing::kClientTimeout).
  std::size_t WaitForRequests(std::size_t count) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, testing::kClientTimeout, [&] { return received_.size() >= count; });
    return received_.size();
  }

 private:
  struct Exchange {
    Exchange(ScriptedUpstream& owner, tcp::socket socket)
        : owner(owner), stream(std::move(socket)) {}
    // The socket closes with the last handler holding the exchange.
    ~Exchange() {
      beast::error_code ignored;
      stream.socket().close(ignored);
      {
        std::lock_guard lock(owner.mu_);
        ++owner.closed_;
      }
      owner.cv_.notify_all();
    }
    ScriptedUpstream& owner;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    HttpRequest request;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto exchange = std::make_shared<Exchange>(*this, std::move(socket));
      exchange->stream.expires_after(testing::kClientTimeout);
      beast_http::async_read(exchange->stream, exchange->buffer, exchange->request,
                             [this, exchange](beast::error_code read_ec, std::size_t) {
                               if (read_ec) return;
                               {
                                 std::lock_guard lock(mu_);
                                 received_.push_back(exchange->request);
                               }
                               cv_.notify_all();
                               net::async_write(exchange->stream, net::buffer(reply_),
                                                [exchange](beast::error_code, std::size_t) {
                                                  beast::error_code ignored;
                                                  exchange->stream.socket().shutdown(
                                                      tcp::socket::shutdown_send, ignored);
                                                });
                             });
      Accept();
    });
  }

  const std::string reply_;
  net::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> received_;  // guarded by mu_
  std::size_t closed_ = 0;             // guarded by mu_
  std::thread thread_;                 // runs io_ until destruction
};

std::string Header(const HttpRequest& request, std::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.end() ? "<absent>" : std::string(ToStdView(it->value()));
}

TEST(ForwarderTest, SendsMethodTargetBodyAndEndToEndHeadersOnly) {
  ScriptedUpstream upstream(
      "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Reply: yes\r\n"
      "Connection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  HttpRequest request =
      MakeRequest(beast_http::verb::put, "/v1/secret/data/foo?x=1&y=%2F", R"({"data":{"a":1}})");
  request.set("X-Vault-Token", "s.client-token");
  request.set("X-Custom", "kept");
  request.set(beast_http::field::connection, "keep-alive, X-Drop-Me");
  request.set("X-Drop-Me", "gone");
  request.set("Keep-Alive", "timeout=5");
  request.set("Proxy-Authorization", "Basic eA==");
  request.set("TE", "trailers");
  request.set("Expect", "100-continue");
  request.set("X-Forwarded-For", "10.0.0.9");
  request.set(beast_http::field::host, "standby.example:8200");

  ForwardOptions options;
  options.client_address = "192.0.2.7:5555";
  StatusOr<HttpResponse> answer = ForwardRequest(upstream.Url() + "/", request, options);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();

  auto seen = upstream.WaitForRequest();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method(), beast_http::verb::put);
  EXPECT_EQ(seen->target(), "/v1/secret/data/foo?x=1&y=%2F");
  EXPECT_EQ(seen->body(), R"({"data":{"a":1}})");
  EXPECT_EQ(Header(*seen, "X-Vault-Token"), "s.client-token");
  EXPECT_EQ(Header(*seen, "X-Custom"), "kept");
  EXPECT_EQ(Header(*seen, "Content-Type"), "application/json");
  EXPECT_EQ(Header(*seen, "Host"), upstream.Url().substr(7));
  EXPECT_EQ(Header(*seen, "X-Forwarded-For"), "10.0.0.9, 192.0.2.7");
  EXPECT_EQ(Header(*seen, kForwardedHeader), "1");
  EXPECT_EQ(Header(*seen, "Connection"), "<absent>");  // HTTP/1.1: kept alive
  for (const char* dropped : {"X-Drop-Me", "Keep-Alive", "Proxy-Authorization", "TE", "Expect"}) {
    EXPECT_EQ(Header(*seen, dropped), "<absent>") << dropped;
  }

  EXPECT_EQ(answer->result_int(), 201);
  EXPECT_EQ(answer->body(), "hello");
  EXPECT_EQ(answer->at("X-Reply"), "yes");
  EXPECT_EQ(answer->at(beast_http::field::content_type), "application/json");
  for (const char* dropped : {"X-Hop", "Keep-Alive", "Connection", "Transfer-Encoding"}) {
    EXPECT_EQ(answer->find(dropped), answer->end()) << dropped;
  }
}

TEST(ForwarderTest, KeepsListMethodAndIpv6ClientAddress) {
  ScriptedUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  HttpRequest list{beast_http::verb::unknown, "/v1/secret/metadata/", 11};
  list.method_string("LIST");
  ForwardOptions options;
  options.client_address = "[::1]:41000";
  StatusOr<HttpResponse> answer = ForwardRequest(upstream.Url(), list, options);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->body(), "{}");

  auto seen = upstream.WaitForRequest();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method_string(), "LIST");
  EXPECT_EQ(seen->target(), "/v1/secret/metadata/");
  EXPECT_EQ(Header(*seen, "X-Forwarded-For"), "::1");
  EXPECT_EQ(Header(*seen, "Content-Length"), "<absent>");
}

TEST(ForwarderTest, HeadKeepsTheAnswersContentLength) {
  ScriptedUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
  StatusOr<HttpResponse> answer = ForwardRequest(
      upstream.Url(), MakeRequest(beast_http::verb::head, "/v1/secret/a"), ForwardOptions{});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->result_int(), 200);
  EXPECT_TRUE(answer->body().empty());
  EXPECT_EQ(answer->at(beast_http::field::content_length), "42");
}

TEST(ForwarderTest, ConnectionClosedByTheActiveWhileIdleIsReplacedUnnoticed) {
  // The upstream closes each connection after one answer, as an active does
  // at its idle timeout or when it restarts.
  ScriptedUpstream upstream("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  for (int i = 0; i < 3; ++i) {
    // A write: the pooled connection, closed by now, is found closed before
    // the request goes out, and a new one takes it.
    StatusOr<HttpResponse> answer = ForwardRequest(
        upstream.Url(), MakeRequest(beast_http::verb::put, "/v1/a", "{}"), ForwardOptions{});
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status().ToString();
    EXPECT_EQ(answer->body(), "{}");
    ASSERT_EQ(upstream.WaitForClosed(2 * i + 1), static_cast<std::size_t>(2 * i + 1));
    // A read, sent without waiting for the close: whether the close is seen
    // before the send or only as an end of stream instead of an answer, it
    // is sent again on a new connection.
    answer = ForwardRequest(upstream.Url(), MakeRequest(beast_http::verb::get, "/v1/a"),
                            ForwardOptions{});
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status().ToString();
    ASSERT_EQ(upstream.WaitForClosed(2 * i + 2), static_cast<std::size_t>(2 * i + 2));
  }
  EXPECT_EQ(upstream.WaitForRequests(6), 6u);
}

TEST(ForwarderTest, ClosedPortIsUnavailable) {
  std::string url;
  {
    net::io_context io;
    tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
    url = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  }  // closed: nothing listens there any more
  StatusOr<HttpResponse> answer =
      ForwardRequest(url, MakeRequest(beast_http::verb::get, "/v1/a"), ForwardOptions{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(answer.status().message().find(url), std::string::npos) << answer.status().message();
}

TEST(ForwarderTest, SilentUpstreamTimesOutAsIOError) {
  // Listens (the kernel completes the connection) but never reads or answers.
  net::io_context io;
  tcp::acceptor silent(io, {net::ip::make_address("127.0.0.1"), 0});
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  ForwardOptions options;
  options.timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  StatusOr<HttpResponse> answer =
      ForwardRequest(url, MakeRequest(beast_http::verb::get, "/v1/a"), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kIOError);
  EXPECT_NE(answer.status().message().find("timed out"), std::string::npos)
      << answer.status().message();
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 15s);
}

TEST(ForwarderTest, MalformedBaseUrlsAreInvalidArgument) {
  for (const char* url : {"", "127.0.0.1:8200", "ftp://host", "http://", "http://:80",
                          "http://host:0", "http://host:99999", "http://host:x", "http://user@host",
                          "http://host/?q=1", "http://[::1"}) {
    StatusOr<HttpResponse> answer =
        ForwardRequest(url, MakeRequest(beast_http::verb::get, "/v1/a"), ForwardOptions{});
    ASSERT_FALSE(answer.ok()) << url;
    EXPECT_EQ(answer.status().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(ForwarderTest, NonHttpAnswerIsIOError) {
  ScriptedUpstream upstream("SSH-2.0-OpenSSH_9.2\r\n");
  StatusOr<HttpResponse> answer =
      ForwardRequest(upstream.Url(), MakeRequest(beast_http::verb::get, "/v1/a"), ForwardOptions{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kIOError);
}

TEST(AnswerAsStandbyTest, RelaysAChunkedAnswerWithALengthInTheClientsVersion) {
  ScriptedUpstream upstream(
      "HTTP/1.1 202 Accepted\r\nX-Reply: yes\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  ResponseContext context;
  context.http_version = 10;
  HttpResponse response = AnswerAsStandby(
      upstream.Url(), MakeRequest(beast_http::verb::get, "/v1/a"), "127.0.0.1:9", context);
  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response.version(), 10u);
  EXPECT_EQ(response.body(), "hello");
  EXPECT_EQ(response.at(beast_http::field::content_length), "5");
  EXPECT_EQ(response.at("X-Reply"), "yes");
  EXPECT_EQ(response.find(beast_http::field::transfer_encoding), response.end());
}

TEST(AnswerAsStandbyTest, AnswerLostAfterSendingIs500NotARedirect) {
  // The request reached the upstream, so a redirect could make the client
  // repeat a write; the garbled answer must become a 500.
  ScriptedUpstream upstream("SSH-2.0-OpenSSH_9.2\r\n");
  HttpResponse response =
      AnswerAsStandby(upstream.Url(), MakeRequest(beast_http::verb::put, "/v1/a", R"({"a":1})"),
                      "127.0.0.1:9", ResponseContext{});
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(response.find(beast_http::field::location), response.end());
  const auto body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["errors"][0].get<std::string>().rfind("error forwarding to " + upstream.Url(), 0),
            0u)
      << body.dump();
  EXPECT_TRUE(upstream.WaitForRequest().has_value());
}

class ForwarderTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeSelfSignedCert(dir_.path(), "server"));
    ListenerOptions options;
    options.address = "127.0.0.1:0";
    options.tls_cert_file = dir_.File("server.crt");
    options.tls_key_file = dir_.File("server.key");
    ASSERT_TRUE(server_.AddListener(options).ok());
    server_.Start();
    url_ = "https://" + server_.BoundAddress(0);
  }
  void TearDown() override { server_.Shutdown(5s); }

  TempDirForTest dir_;
  testing::FunctionHandler handler_{[](const core::Request& request) -> StatusOr<core::Response> {
    return core::Response::Data({{"path", request.path}, {"token", request.client_token}});
  }};
  Server server_{handler_, 1, 2};
  std::string url_;
};

TEST_F(ForwarderTlsTest, TrustedCertificateForTheAddressIsAccepted) {
  HttpRequest request = MakeRequest(beast_http::verb::get, "/v1/secret/data/a");
  request.set("X-Vault-Token", "s.abc");
  ForwardOptions options;
  options.tls_ca_file = dir_.File("server.crt");
  StatusOr<HttpResponse> answer = ForwardRequest(url_, request, options);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(answer->result_int(), 200);
  const auto body = nlohmann::json::parse(answer->body());
  EXPECT_EQ(body["data"]["path"], "secret/data/a");
  EXPECT_EQ(body["data"]["token"], "s.abc");
}

TEST_F(ForwarderTlsTest, UntrustedCertificateIsUnavailable) {
  // The system's CAs never signed our self-signed certificate.
  StatusOr<HttpResponse> answer =
      ForwardRequest(url_, MakeRequest(beast_http::verb::get, "/v1/a"), ForwardOptions{});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(answer.status().message().find("TLS handshake"), std::string::npos)
      << answer.status().message();
}

TEST_F(ForwarderTlsTest, TrustedCertificateForAnotherNameIsUnavailable) {
  // A CA file that trusts a certificate issued for a different name only.
  const std::string command =
      "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -keyout '" +
      dir_.File("other.key") + "' -out '" + dir_.File("other.crt") +
      "' -days 1 -subj /CN=other.test -addext subjectAltName=DNS:other.test >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  Server other(handler_, 1, 2);
  ListenerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = dir_.File("other.crt");
  options.tls_key_file = dir_.File("other.key");
  ASSERT_TRUE(other.AddListener(options).ok());
  other.Start();

  ForwardOptions forward;
  forward.tls_ca_file = dir_.File("other.crt");
  StatusOr<HttpResponse> answer = ForwardRequest(
      "https://" + other.BoundAddress(0), MakeRequest(beast_http::verb::get, "/v1/a"), forward);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  other.Shutdown(5s);
}

}  // namespace
}  // namespace tresor::http

#pragma GCC diagnostic pop

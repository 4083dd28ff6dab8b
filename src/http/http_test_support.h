// Test-only helpers for the http/ tests (included by *_test.cc files only,
// never by the library): a handler built from a lambda, a Beast client that
// runs each operation with a timeout on its own io_context (so a broken
// server fails a test instead of hanging it), and a temporary directory
// with a self-signed certificate made by the openssl CLI.
//
// Thread safety: a TestClient is used by one thread; FunctionHandler is as
// thread-safe as the function it wraps.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include "core/request.h"
#include "http/http_types.h"
#include "http/listener.h"
#include "http/listener_options.h"

namespace tresor::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;

// How long any single client operation may take before the test fails.
inline constexpr std::chrono::seconds kClientTimeout{20};

class FunctionHandler final : public core::RequestHandler {
 public:
  using Function = std::function<StatusOr<core::Response>(const core::Request&)>;
  explicit FunctionHandler(Function function) : function_(std::move(function)) {}
  StatusOr<core::Response> Handle(const core::Request& request) override {
    return function_(request);
  }

 private:
  Function function_;
};

// Plain-text listener options on a free loopback port.
inline ListenerOptions PlainLoopbackOptions() {
  ListenerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_disable = true;
  return options;
}

inline HttpRequest MakeRequest(beast_http::verb verb, std::string target, std::string body = "") {
  HttpRequest request{verb, target, 11};
  request.set(beast_http::field::host, "127.0.0.1");
  if (!body.empty()) request.set(beast_http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

template <class Stream>
class TestClient {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  TestClient() : stream_(io_) {}
  explicit TestClient(net::ssl::context& tls) : stream_(io_, tls) {}

  Stream& stream() { return stream_; }

  beast::error_code Connect(const std::string& bound_address) {
    auto host_port = SplitHostPort(bound_address);
    if (!host_port.ok()) return net::error::invalid_argument;
    net::ip::tcp::endpoint endpoint(net::ip::make_address(host_port->first), host_port->second);
    return Run([&](auto handler) {
      beast::get_lowest_layer(stream_).async_connect(endpoint, std::move(handler));
    });
  }

  beast::error_code Handshake() {
    static_assert(kTls);
    return Run([&](auto handler) {
      stream_.async_handshake(net::ssl::stream_base::client, std::move(handler));
    });
  }

  beast::error_code Send(HttpRequest& request) {
    return Run(
        [&](auto handler) { beast_http::async_write(stream_, request, std::move(handler)); });
  }

  beast::error_code SendRaw(const std::string& bytes) {
    return Run(
        [&](auto handler) { net::async_write(stream_, net::buffer(bytes), std::move(handler)); });
  }

  // Reads one response; `head` says the request was HEAD (no body follows).
  beast::error_code Read(HttpResponse& response, bool head = false) {
    beast_http::response_parser<beast_http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    auto ec = Run([&](auto handler) {
      beast_http::async_read(stream_, buffer_, parser, std::move(handler));
    });
    if (!ec) response = parser.release();
    return ec;
  }

  // Reads the header of one message into `parser` (of any body type), for
  // an interim answer such as 100 Continue.
  template <class Parser>
  beast::error_code ReadHeader(Parser& parser) {
    return Run([&](auto handler) {
      beast_http::async_read_header(stream_, buffer_, parser, std::move(handler));
    });
  }

  // Sends `request` and reads its response; fails the test on an error.
  HttpResponse RoundTrip(HttpRequest request) {
    HttpResponse response;
    const bool head = request.method() == beast_http::verb::head;
    auto ec = Send(request);
    EXPECT_FALSE(ec) << ec.message();
    if (!ec) {
      ec = Read(response, head);
      EXPECT_FALSE(ec) << ec.message();
    }
    return response;
  }

  // Reads until the server closes the connection and returns the error
  // that ended it (eof, reset, stream_truncated), or timeout if the server
  // kept it open for kClientTimeout.
  beast::error_code ReadUntilClosed() {
    for (;;) {
      buffer_.clear();
      auto ec = Run([&](auto handler) {
        stream_.async_read_some(buffer_.prepare(4096), std::move(handler));
      });
      if (ec) return ec;
    }
  }

 private:
  // Starts one asynchronous operation and runs the io_context until it
  // completes; the tcp_stream's expiry turns a hang into beast timeout.
  template <class Start>
  beast::error_code Run(Start start) {
    beast::error_code result = net::error::would_block;
    beast::get_lowest_layer(stream_).expires_after(kClientTimeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  net::io_context io_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

using PlainClient = TestClient<beast::tcp_stream>;
using TlsClient = TestClient<beast::ssl_stream<beast::tcp_stream>>;

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tresor-http-XXXXXX").string();
    const char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes a self-signed P-256 certificate for 127.0.0.1 and its key to
// dir/<name>.crt and dir/<name>.key. Returns false if openssl failed.
inline bool MakeSelfSignedCert(const std::filesystem::path& dir, const std::string& name) {
  const std::string command =
      "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -keyout '" +
      (dir / (name + ".key")).string() + "' -out '" + (dir / (name + ".crt")).string() +
      "' -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace tresor::http::testing

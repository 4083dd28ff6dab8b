// Test-only helpers for the http/ tests: a handler built from a lambda,
// listener options and requests for loopback, a self-signed certificate
// made by the openssl CLI, and a Beast client that runs each operation with
// a timeout on its own io_context (so a broken server fails a test instead
// of hanging it).
//
// TestClient's operations are compiled once, in test_client_for_test.cc, for
// the plain and the TLS stream: the test files that use them then only
// declare them, instead of each instantiating Beast's composed operations.
//
// Thread safety: a TestClient is used by one thread; FunctionHandler is as
// thread-safe as the function it wraps.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/request.h"
#include "http/http_types.h"
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
ListenerOptions PlainLoopbackOptions();

// An HTTP/1.1 request for 127.0.0.1; a non-empty body is sent as JSON.
HttpRequest MakeRequest(beast_http::verb verb, std::string target, std::string body = "");

// Writes a self-signed P-256 certificate for 127.0.0.1 and its key to
// dir/<name>.crt and dir/<name>.key. Returns false if openssl failed.
bool MakeSelfSignedCert(const std::filesystem::path& dir, const std::string& name);

template <class Stream>
class TestClient {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  TestClient() requires(!kTls) : stream_(io_) {}
  explicit TestClient(net::ssl::context& tls) requires kTls : stream_(io_, tls) {}

  Stream& stream() { return stream_; }

  beast::error_code Connect(const std::string& bound_address);
  beast::error_code Handshake();  // TLS only
  beast::error_code Send(HttpRequest& request);
  beast::error_code SendRaw(const std::string& bytes);

  // Reads one response; `head` says the request was HEAD (no body follows).
  beast::error_code Read(HttpResponse& response, bool head = false);

  // Reads the header of one message into `parser`, for an interim answer
  // such as 100 Continue or the start of a streamed body.
  beast::error_code ReadHeader(beast_http::response_parser<beast_http::empty_body>& parser);
  beast::error_code ReadHeader(beast_http::response_parser<beast_http::buffer_body>& parser);

  // Sends `request` and reads its response; fails the test on an error.
  HttpResponse RoundTrip(HttpRequest request);

  // Reads until the server closes the connection and returns the error
  // that ended it (eof, reset, stream_truncated), or timeout if the server
  // kept it open for kClientTimeout.
  beast::error_code ReadUntilClosed();

 private:
  // Starts one asynchronous operation and runs the io_context until it
  // completes; the tcp_stream's expiry turns a hang into beast timeout.
  template <class Start>
  beast::error_code Run(Start start);

  net::io_context io_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

using PlainClient = TestClient<beast::tcp_stream>;
using TlsClient = TestClient<beast::ssl_stream<beast::tcp_stream>>;
extern template class TestClient<beast::tcp_stream>;
extern template class TestClient<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace tresor::http::testing

#include "http/test_client_for_test.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>

#include "http/listener.h"

namespace tresor::http::testing {

ListenerOptions PlainLoopbackOptions() {
  ListenerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_disable = true;
  return options;
}

HttpRequest MakeRequest(beast_http::verb verb, std::string target, std::string body) {
  HttpRequest request{verb, target, 11};
  request.set(beast_http::field::host, "127.0.0.1");
  if (!body.empty()) request.set(beast_http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

bool MakeSelfSignedCert(const std::filesystem::path& dir, const std::string& name) {
  const std::string command =
      "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -keyout '" +
      (dir / (name + ".key")).string() + "' -out '" + (dir / (name + ".crt")).string() +
      "' -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

template <class Stream>
template <class Start>
beast::error_code TestClient<Stream>::Run(Start start) {
  beast::error_code result = net::error::would_block;
  beast::get_lowest_layer(stream_).expires_after(kClientTimeout);
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io_.restart();
  io_.run();
  return result;
}

template <class Stream>
beast::error_code TestClient<Stream>::Connect(const std::string& bound_address) {
  auto host_port = SplitHostPort(bound_address);
  if (!host_port.ok()) return net::error::invalid_argument;
  net::ip::tcp::endpoint endpoint(net::ip::make_address(host_port->first), host_port->second);
  return Run([&](auto handler) {
    beast::get_lowest_layer(stream_).async_connect(endpoint, std::move(handler));
  });
}

template <class Stream>
beast::error_code TestClient<Stream>::Handshake() {
  if constexpr (kTls) {
    return Run([&](auto handler) {
      stream_.async_handshake(net::ssl::stream_base::client, std::move(handler));
    });
  } else {
    ADD_FAILURE() << "Handshake() on a plain-text client";
    return net::error::operation_not_supported;
  }
}

template <class Stream>
beast::error_code TestClient<Stream>::Send(HttpRequest& request) {
  return Run([&](auto handler) { beast_http::async_write(stream_, request, std::move(handler)); });
}

template <class Stream>
beast::error_code TestClient<Stream>::SendRaw(const std::string& bytes) {
  return Run(
      [&](auto handler) { net::async_write(stream_, net::buffer(bytes), std::move(handler)); });
}

template <class Stream>
beast::error_code TestClient<Stream>::Read(HttpResponse& response, bool head) {
  beast_http::response_parser<beast_http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(head);
  auto ec = Run(
      [&](auto handler) { beast_http::async_read(stream_, buffer_, parser, std::move(handler)); });
  if (!ec) response = parser.release();
  return ec;
}

template <class Stream>
beast::error_code TestClient<Stream>::ReadHeader(
    beast_http::response_parser<beast_http::empty_body>& parser) {
  return Run([&](auto handler) {
    beast_http::async_read_header(stream_, buffer_, parser, std::move(handler));
  });
}

template <class Stream>
beast::error_code TestClient<Stream>::ReadHeader(
    beast_http::response_parser<beast_http::buffer_body>& parser) {
  return Run([&](auto handler) {
    beast_http::async_read_header(stream_, buffer_, parser, std::move(handler));
  });
}

template <class Stream>
HttpResponse TestClient<Stream>::RoundTrip(HttpRequest request) {
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

template <class Stream>
beast::error_code TestClient<Stream>::ReadUntilClosed() {
  for (;;) {
    buffer_.clear();
    auto ec = Run(
        [&](auto handler) { stream_.async_read_some(buffer_.prepare(4096), std::move(handler)); });
    if (ec) return ec;
  }
}

template class TestClient<beast::tcp_stream>;
template class TestClient<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace tresor::http::testing

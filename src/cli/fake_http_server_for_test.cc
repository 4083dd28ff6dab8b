#include "cli/fake_http_server_for_test.h"

// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside
// Beast's request parser (boost::optional in content_length); silence it for
// this test-only file rather than for the product code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>

namespace tresor::cli {

struct FakeHttpServerForTest::Impl {
  Impl(int expected_requests, Handler handler)
      : acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        port(acceptor.local_endpoint().port()),
        expected(expected_requests),
        handler(std::move(handler)) {}

  void Serve() {
    namespace http = boost::beast::http;
    for (int i = 0; i < expected; ++i) {
      boost::asio::ip::tcp::socket socket(ioc);
      bool accepted = false;
      acceptor.async_accept(socket, [&](boost::system::error_code ec) { accepted = !ec; });
      ioc.restart();
      ioc.run_for(std::chrono::seconds(20));
      if (!accepted) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      boost::system::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      RecordedRequest recorded;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      for (const auto& field : request) {
        recorded.AddHeader(std::string(field.name_string()), std::string(field.value()));
      }
      recorded.body = request.body();
      CannedResponse canned = handler(recorded);
      requests.push_back(std::move(recorded));
      http::response<http::string_body> response;
      response.version(11);
      response.result(static_cast<unsigned>(canned.status));
      if (!canned.body.empty()) response.set(http::field::content_type, "application/json");
      if (!canned.location.empty()) response.set(http::field::location, canned.location);
      response.body() = canned.body;
      response.prepare_payload();
      http::write(socket, response, ec);
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor;
  const uint16_t port;  // read by the test's thread while Serve runs
  int expected;
  Handler handler;
  std::vector<RecordedRequest> requests;
  std::thread thread;
};

FakeHttpServerForTest::FakeHttpServerForTest(int expected_requests, Handler handler)
    : impl_(std::make_unique<Impl>(expected_requests, std::move(handler))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->Serve(); });
}

FakeHttpServerForTest::~FakeHttpServerForTest() { Wait(); }

uint16_t FakeHttpServerForTest::port() const { return impl_->port; }

const std::vector<RecordedRequest>& FakeHttpServerForTest::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
  return impl_->requests;
}

}  // namespace tresor::cli

#pragma GCC diagnostic pop

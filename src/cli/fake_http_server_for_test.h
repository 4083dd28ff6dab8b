// A tiny HTTP/1.1 server for the CLI's unit tests (not used by the product):
// serves a fixed number of requests on 127.0.0.1, one per connection, on its
// own thread, answering each with what the test's handler returns and
// recording what it received. No sleeps: tests call Wait() (which joins the
// thread) before looking at the recorded requests.
//
// Thread safety: construct, run the client, then Wait() — from one thread.
#pragma once

// GCC 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside
// Beast's request parser (boost::optional in content_length); silence it for
// this test-only header rather than for the product code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace tresor::cli {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string token;  // X-Vault-Token, "" when absent
  bool has_token = false;
  std::string content_type;
  std::string body;
};

struct CannedResponse {
  CannedResponse(int status_code, std::string json_body, std::string location_header = "")
      : status(status_code), body(std::move(json_body)), location(std::move(location_header)) {}
  int status;
  std::string body;
  std::string location;  // sent as Location when not empty
};

class FakeHttpServerForTest {
 public:
  using Handler = std::function<CannedResponse(const RecordedRequest&)>;

  FakeHttpServerForTest(int expected_requests, Handler handler)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
        expected_(expected_requests),
        handler_(std::move(handler)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeHttpServerForTest() { Wait(); }

  uint16_t port() const { return port_; }
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // Joins the server thread (it ends after the expected requests, or after
  // 20 s without a connection) and returns what it received.
  const std::vector<RecordedRequest>& Wait() {
    if (thread_.joinable()) thread_.join();
    return requests_;
  }

 private:
  void Serve() {
    namespace http = boost::beast::http;
    for (int i = 0; i < expected_; ++i) {
      boost::asio::ip::tcp::socket socket(ioc_);
      bool accepted = false;
      acceptor_.async_accept(socket, [&](boost::system::error_code ec) { accepted = !ec; });
      ioc_.restart();
      ioc_.run_for(std::chrono::seconds(20));
      if (!accepted) return;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      boost::system::error_code ec;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      RecordedRequest recorded;
      recorded.method = std::string(request.method_string());
      recorded.target = std::string(request.target());
      if (auto it = request.find("X-Vault-Token"); it != request.end()) {
        recorded.has_token = true;
        recorded.token = std::string(it->value());
      }
      if (auto it = request.find(http::field::content_type); it != request.end()) {
        recorded.content_type = std::string(it->value());
      }
      recorded.body = request.body();
      CannedResponse canned = handler_(recorded);
      requests_.push_back(std::move(recorded));
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

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  int expected_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace tresor::cli

#pragma GCC diagnostic pop

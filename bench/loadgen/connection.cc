#include "loadgen/connection.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace tresor::bench {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// A server that has not answered in this long is counted as a failed
// request; generous, because failover and forwarding are measured too.
constexpr std::chrono::seconds kRequestTimeout{30};

// Error bodies are kept short in the report: the first few hundred bytes say
// what went wrong.
constexpr size_t kMaxErrorBody = 300;

}  // namespace

Connection::Connection(boost::asio::io_context& io,
                       const boost::asio::ip::tcp::resolver::results_type& endpoints,
                       const std::string& host_header, const std::string& token, Workload& workload,
                       const RunLimits& limits, int index)
    : stream_(io),
      endpoints_(endpoints),
      host_header_(host_header),
      token_(token),
      workload_(workload),
      limits_(limits),
      index_(index) {}

void Connection::Start() {
  boost::asio::post(stream_.get_executor(), [this] { SendNext(); });
}

void Connection::SendNext() {
  if (std::chrono::steady_clock::now() >= limits_.deadline) return;
  if (limits_.remaining != nullptr &&
      limits_.remaining->fetch_sub(1, std::memory_order_relaxed) <= 0) {
    return;
  }
  workload_.Next(index_, sequence_++, &spec_);
  request_ = {};
  request_.version(11);
  request_.method(spec_.method);
  request_.target(spec_.target);
  request_.set(http::field::host, host_header_);
  request_.set("X-Vault-Token", token_);
  request_.keep_alive(true);
  if (!spec_.body.empty()) {
    request_.set(http::field::content_type, "application/json");
    request_.body() = std::move(spec_.body);
  }
  request_.prepare_payload();
  ++result_.requests;
  // The latency includes a reconnect when the previous answer closed the
  // connection: that is what a client would see.
  sent_at_ = std::chrono::steady_clock::now();
  if (connected_) {
    Write();
    return;
  }
  stream_.expires_after(kRequestTimeout);
  stream_.async_connect(endpoints_, [this](beast::error_code ec, const auto&) { OnConnect(ec); });
}

void Connection::OnConnect(beast::error_code ec) {
  if (ec) return FailRequest("connect", ec);
  connected_ = true;
  stream_.socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);
  Write();
}

void Connection::Write() {
  stream_.expires_after(kRequestTimeout);
  http::async_write(stream_, request_, [this](beast::error_code ec, size_t) { OnWrite(ec); });
}

void Connection::OnWrite(beast::error_code ec) {
  if (ec) return FailRequest("write", ec);
  response_ = {};
  http::async_read(stream_, buffer_, response_,
                   [this](beast::error_code ec, size_t) { OnRead(ec); });
}

void Connection::OnRead(beast::error_code ec) {
  if (ec) return FailRequest("read", ec);
  auto elapsed = std::chrono::steady_clock::now() - sent_at_;
  result_.latencies.push_back(
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
  unsigned status = response_.result_int();
  if (status < 200 || status >= 300) {
    std::string body = response_.body().substr(0, kMaxErrorBody);
    RecordError("HTTP " + std::to_string(status) + ": " + body);
  }
  if (!response_.keep_alive()) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }
  SendNext();
}

void Connection::FailRequest(const char* stage, beast::error_code ec) {
  RecordError(std::string(stage) + ": " + ec.message());
  stream_.close();
  connected_ = false;
  buffer_.clear();
  // Posted rather than called: a server that refuses every connection at
  // once must not turn this into unbounded recursion.
  boost::asio::post(stream_.get_executor(), [this] { SendNext(); });
}

void Connection::RecordError(std::string description) {
  if (result_.errors == 0) result_.first_error = std::move(description);
  ++result_.errors;
}

}  // namespace tresor::bench

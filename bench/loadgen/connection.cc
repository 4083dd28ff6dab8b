#include "loadgen/connection.h"

#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <utility>

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

void BuildHttpRequest(RequestSpec& spec, const std::string& host_header, const std::string& token,
                      HttpRequest* out) {
  *out = {};
  out->version(11);
  out->method(spec.method);
  out->target(spec.target);
  out->set(http::field::host, host_header);
  if (!token.empty()) out->set("X-Vault-Token", token);
  out->keep_alive(true);
  if (!spec.body.empty()) {
    out->set(http::field::content_type, "application/json");
    out->body() = std::move(spec.body);
  }
  out->prepare_payload();
}

Connection::Connection(boost::asio::io_context& io,
                       const boost::asio::ip::tcp::resolver::results_type& endpoints,
                       const std::string& host_header, const std::string& token, Workload& workload,
                       const RunLimits& limits, std::optional<OpenLoopSchedule> schedule, int index)
    : stream_(io),
      timer_(io),
      endpoints_(endpoints),
      host_header_(host_header),
      token_(token),
      workload_(workload),
      limits_(limits),
      schedule_(schedule),
      index_(index) {}

void Connection::Start() {
  boost::asio::post(stream_.get_executor(), [this] { SendNext(); });
}

void Connection::SendNext() {
  auto now = std::chrono::steady_clock::now();
  auto due = schedule_ ? ScheduledSendTime(*schedule_, sequence_) : now;
  // Open loop: every request scheduled before the deadline is sent, even
  // late, so a server that stalls near the end is charged for the requests
  // it kept waiting. Closed loop: nothing is scheduled, `due` is now.
  if (due >= limits_.deadline) return;
  if (limits_.remaining != nullptr &&
      limits_.remaining->fetch_sub(1, std::memory_order_relaxed) <= 0) {
    return;
  }
  workload_.Next(index_, sequence_++, &spec_);
  BuildHttpRequest(spec_, host_header_, token_, &request_);
  ++result_.requests;
  if (ActualSendTime(due, now) == now) return Send(due);
  timer_.expires_at(due);
  timer_.async_wait([this, due](beast::error_code ec) {
    // Only the io_context's shutdown cancels the timer; nothing to send then.
    if (!ec) Send(due);
  });
}

void Connection::Send(std::chrono::steady_clock::time_point due) {
  // The latency includes a reconnect when the previous answer closed the
  // connection: that is what a client would see.
  due_ = due;
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
  auto elapsed = std::chrono::steady_clock::now() - due_;
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

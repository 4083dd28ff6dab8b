// RunConnections against a tiny in-process HTTP server on loopback: the
// whole client path (connect, write, read, count, time) without a real
// Tresor.
#include "loadgen/run.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tresor::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Answers every request with `status` and a short body, on keep-alive
// connections, from one thread of its own. Records what it saw.
class TinyServer {
 public:
  explicit TinyServer(http::status status) : status_(status), acceptor_(io_) {
    Tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~TinyServer() {
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      for (auto& session : sessions_) session->socket.close(ignored);
    });
    thread_.join();
  }

  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  int64_t received() const { return received_.load(); }
  std::vector<std::string> tokens_seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_seen_;
  }

 private:
  struct Session {
    explicit Session(asio::io_context& io) : socket(io) {}
    Tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, Tcp::socket socket) {
      if (ec) return;
      auto session = std::make_shared<Session>(io_);
      session->socket = std::move(socket);
      sessions_.push_back(session);
      Read(session);
      Accept();
    });
  }

  void Read(std::shared_ptr<Session> session) {
    session->request = {};
    http::async_read(session->socket, session->buffer, session->request,
                     [this, session](beast::error_code ec, size_t) {
                       if (ec) return;
                       // Counted before the answer goes out, so a client that
                       // has its answer finds the request counted.
                       ++received_;
                       {
                         std::lock_guard<std::mutex> lock(mu_);
                         tokens_seen_.emplace_back(session->request["X-Vault-Token"]);
                       }
                       session->response = {};
                       session->response.version(11);
                       session->response.result(status_);
                       session->response.keep_alive(true);
                       session->response.body() = "{\"errors\":[\"injected\"]}";
                       session->response.prepare_payload();
                       http::async_write(session->socket, session->response,
                                         [this, session](beast::error_code ec, size_t) {
                                           if (!ec) Read(session);
                                         });
                     });
  }

  const http::status status_;
  asio::io_context io_;
  Tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Session>> sessions_;  // only on io_'s thread
  std::atomic<int64_t> received_{0};
  std::mutex mu_;
  std::vector<std::string> tokens_seen_;
  std::thread thread_;
};

Tcp::resolver::results_type Resolve(const std::string& port) {
  asio::io_context io;
  return Tcp::resolver(io).resolve("127.0.0.1", port);
}

Options StaticOptions() {
  Options options;
  options.protocol = Protocol::kStatic;
  options.workload = WorkloadKind::kStatic;
  return options;
}

TEST(RunTest, ClosedLoopSendsAndAnswersExactlyN) {
  TinyServer server(http::status::ok);
  auto workload = MakeWorkload(StaticOptions());
  std::atomic<int64_t> remaining{200};
  RunLimits limits{Clock::time_point::max(), &remaining};
  RunReport report = RunConnections(Resolve(server.port()), "127.0.0.1:" + server.port(), *workload,
                                    limits, RunSpec{4, 2, std::nullopt, ""});
  EXPECT_EQ(report.requests, 200);
  EXPECT_EQ(report.errors, 0);
  EXPECT_EQ(report.first_error, "");
  EXPECT_EQ(report.latency.count, 200);
  EXPECT_EQ(server.received(), 200);
  EXPECT_GT(report.latency.max_ms, 0);
  EXPECT_LE(report.latency.p50_ms, report.latency.max_ms);
  for (const std::string& token : server.tokens_seen()) EXPECT_EQ(token, "");
}

TEST(RunTest, ServerErrorsAreCountedWithTheFirstOne) {
  TinyServer server(http::status::internal_server_error);
  auto workload = MakeWorkload(StaticOptions());
  std::atomic<int64_t> remaining{30};
  RunLimits limits{Clock::time_point::max(), &remaining};
  RunReport report = RunConnections(Resolve(server.port()), "127.0.0.1:" + server.port(), *workload,
                                    limits, RunSpec{3, 1, std::nullopt, "tok"});
  EXPECT_EQ(report.requests, 30);
  EXPECT_EQ(report.errors, 30);
  EXPECT_EQ(report.first_error, "HTTP 500: {\"errors\":[\"injected\"]}");
  // Answered, so timed, even though it failed.
  EXPECT_EQ(report.latency.count, 30);
  std::vector<std::string> tokens = server.tokens_seen();
  ASSERT_EQ(tokens.size(), 30u);
  for (const std::string& token : tokens) EXPECT_EQ(token, "tok");
}

TEST(RunTest, RefusedConnectionsAreTransportErrors) {
  // Bind a port, then close it: nothing listens there afterwards.
  std::string port;
  {
    TinyServer server(http::status::ok);
    port = server.port();
  }
  auto workload = MakeWorkload(StaticOptions());
  std::atomic<int64_t> remaining{5};
  RunLimits limits{Clock::time_point::max(), &remaining};
  RunReport report = RunConnections(Resolve(port), "127.0.0.1:" + port, *workload, limits,
                                    RunSpec{1, 1, std::nullopt, ""});
  EXPECT_EQ(report.requests, 5);
  EXPECT_EQ(report.errors, 5);
  EXPECT_EQ(report.first_error.rfind("connect: ", 0), 0u) << report.first_error;
  EXPECT_EQ(report.latency.count, 0);
}

TEST(RunTest, OpenLoopKeepsToTheSchedule) {
  TinyServer server(http::status::ok);
  auto workload = MakeWorkload(StaticOptions());
  // 40 requests at 400 req/s over 2 connections: the last is due at
  // 39 / 400 s = 97.5 ms, so the run cannot finish sooner, and a loopback
  // server answers each one well before the next is due.
  std::atomic<int64_t> remaining{40};
  RunLimits limits{Clock::time_point::max(), &remaining};
  RunReport report = RunConnections(Resolve(server.port()), "127.0.0.1:" + server.port(), *workload,
                                    limits, RunSpec{2, 1, 400.0, ""});
  EXPECT_EQ(report.requests, 40);
  EXPECT_EQ(report.errors, 0);
  EXPECT_EQ(server.received(), 40);
  EXPECT_GE(report.elapsed_seconds, 0.0975);
}

TEST(RunTest, OpenLoopStopsAtTheDeadline) {
  TinyServer server(http::status::ok);
  auto workload = MakeWorkload(StaticOptions());
  // 100 req/s for 0.2 s from now: requests due at 0, 10, ..., 190 ms, i.e.
  // 20 of them (give or take the one at the boundary, since the schedule
  // starts a moment after the deadline was set).
  RunLimits limits{Clock::now() + std::chrono::milliseconds(200), nullptr};
  RunReport report = RunConnections(Resolve(server.port()), "127.0.0.1:" + server.port(), *workload,
                                    limits, RunSpec{1, 1, 100.0, ""});
  EXPECT_GE(report.requests, 19);
  EXPECT_LE(report.requests, 20);
  EXPECT_EQ(report.errors, 0);
}

}  // namespace
}  // namespace tresor::bench

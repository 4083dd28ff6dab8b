// One keep-alive HTTP/1.1 connection driving requests until the run's limit
// is reached, either as a closed loop (send, wait for the answer, send the
// next) or open loop (each request at its scheduled time, see schedule.h).
//
// run.cc creates the connections, calls Start() on each, and runs their
// io_contexts; a Connection is used only from its io_context's thread (one
// thread per io_context), so it needs no lock. The shared RunLimits counter
// is atomic. result() may be read once that thread's run() has returned.
#ifndef TRESOR_BENCH_LOADGEN_CONNECTION_H_
#define TRESOR_BENCH_LOADGEN_CONNECTION_H_

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "loadgen/latency.h"
#include "loadgen/schedule.h"
#include "loadgen/workload.h"

namespace tresor::bench {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// When a run stops: at `deadline` (no request is sent, or in open loop
// scheduled, at or after it), or when `remaining` (if set) reaches zero.
// Requests already sent at the deadline are finished and counted.
struct RunLimits {
  std::chrono::steady_clock::time_point deadline;
  std::atomic<int64_t>* remaining = nullptr;
};

struct ConnectionResult {
  LatencySamples latencies;  // one per answered request, whatever its status
  int64_t requests = 0;      // requests attempted (answered or failed)
  int64_t errors = 0;        // non-2xx answers and transport failures
  std::string first_error;   // status and body (or transport error) of the first
};

// Turns spec into the HTTP/1.1 request sent: Host header, X-Vault-Token when
// `token` is not empty, Content-Type: application/json when there is a body,
// keep-alive. Consumes spec's body.
void BuildHttpRequest(RequestSpec& spec, const std::string& host_header, const std::string& token,
                      HttpRequest* out);

class Connection {
 public:
  // `schedule` set = open loop on that schedule; unset = closed loop.
  // `token` empty = no X-Vault-Token header (etcd, static).
  // REQUIRES: every reference outlives the Connection and the run.
  Connection(boost::asio::io_context& io,
             const boost::asio::ip::tcp::resolver::results_type& endpoints,
             const std::string& host_header, const std::string& token, Workload& workload,
             const RunLimits& limits, std::optional<OpenLoopSchedule> schedule, int index);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Queues the first request on the io_context; the loop then runs itself
  // until the limits stop it.
  void Start();

  const ConnectionResult& result() const { return result_; }

 private:
  // Claims the next request from the limits and sends it when it is due
  // (connecting first if needed), or stops the loop.
  void SendNext();
  // Sends the claimed request; its latency counts from `due`.
  void Send(std::chrono::steady_clock::time_point due);
  void Write();
  void OnConnect(boost::beast::error_code ec);
  void OnWrite(boost::beast::error_code ec);
  void OnRead(boost::beast::error_code ec);
  // Counts the current request as failed at `stage`, drops the connection
  // (the next request reconnects) and goes on.
  void FailRequest(const char* stage, boost::beast::error_code ec);
  void RecordError(std::string description);

  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer timer_;
  const boost::asio::ip::tcp::resolver::results_type& endpoints_;
  const std::string& host_header_;
  const std::string& token_;
  Workload& workload_;
  const RunLimits& limits_;
  const std::optional<OpenLoopSchedule> schedule_;
  const int index_;

  bool connected_ = false;
  int64_t sequence_ = 0;
  RequestSpec spec_;
  HttpRequest request_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  // When the current request was due: its scheduled time in open loop, the
  // moment it was sent in closed loop. Its latency counts from here.
  std::chrono::steady_clock::time_point due_;
  ConnectionResult result_;
};

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_CONNECTION_H_

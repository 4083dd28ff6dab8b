// tresor-loadgen: the benchmark load generator (`make bench` runs it from
// the scripts under bench/). N keep-alive HTTP/1.1 connections spread over a
// few event-loop threads speak one of three protocols: Vault's API (Tresor
// or Vault: KV v2 writes, reads, a read/write mix, token creation), etcd v3's
// JSON gateway (the same key-value workloads, so the two stores are compared
// request for request) or plain GETs of a static path (nginx, the HTTP
// ceiling of the machine). Each connection is a closed loop, or with --rate
// an open loop whose latencies count from each request's scheduled time. A
// run is bounded by a duration or a request count. kv2-read and mixed write
// their hot set first. Prints requests, errors (with the first error), the
// throughput and the latency percentiles, as text or as one JSON object.
//
// Exit status: 0 when the run happened (even with errors: the caller reads
// the error count), 1 when it could not (unresolvable address, the hot set
// could not be written), 2 for usage errors.
#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/connection.h"
#include "loadgen/latency.h"
#include "loadgen/options.h"
#include "loadgen/run.h"
#include "loadgen/workload.h"

namespace tresor::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Tcp = boost::asio::ip::tcp;

// Connections that write the hot set: enough to make it quick, few enough
// not to depend on how many the measured run uses.
constexpr int kFillConnections = 16;

void PrintReport(const Options& options, int threads, const RunReport& report) {
  double throughput = report.elapsed_seconds > 0
                          ? static_cast<double>(report.requests) / report.elapsed_seconds
                          : 0.0;
  if (options.json) {
    nlohmann::json out = {
        {"workload", WorkloadName(options.workload)},
        {"protocol", ProtocolName(options.protocol)},
        {"connections", options.connections},
        {"threads", threads},
        {"value_size", options.value_size},
        {"rate", options.rate ? nlohmann::json(*options.rate) : nlohmann::json(nullptr)},
        {"elapsed_s", report.elapsed_seconds},
        {"requests", report.requests},
        {"errors", report.errors},
        {"first_error", report.first_error},
        {"throughput_rps", throughput},
        {"latency_ms",
         {{"p50", report.latency.p50_ms},
          {"p90", report.latency.p90_ms},
          {"p99", report.latency.p99_ms},
          {"p99_9", report.latency.p999_ms},
          {"max", report.latency.max_ms}}},
    };
    // dump() throws on invalid UTF-8 in an error body; replace it instead.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::printf("workload     %s over %s, %d connections on %d threads, %.1f s\n",
              WorkloadName(options.workload), ProtocolName(options.protocol), options.connections,
              threads, report.elapsed_seconds);
  if (options.rate) {
    std::printf("rate         %.1f req/s scheduled (open loop)\n", *options.rate);
  } else {
    std::printf("rate         closed loop\n");
  }
  std::printf("requests     %lld (%lld errors)\n", static_cast<long long>(report.requests),
              static_cast<long long>(report.errors));
  if (!report.first_error.empty()) {
    std::printf("first error  %s\n", report.first_error.c_str());
  }
  std::printf("throughput   %.1f req/s\n", throughput);
  std::printf("latency ms   p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
              report.latency.p50_ms, report.latency.p90_ms, report.latency.p99_ms,
              report.latency.p999_ms, report.latency.max_ms);
}

int Main(int argc, char** argv) {
  std::string error;
  std::optional<Options> parsed =
      ParseOptions(std::vector<std::string>(argv + 1, argv + argc), &error);
  if (!parsed) {
    if (error.empty()) {
      std::cout << UsageText();
      return 0;
    }
    std::cerr << "tresor-loadgen: " << error << "\n" << UsageText();
    return 2;
  }
  const Options& options = *parsed;
  int threads = options.threads;
  if (threads == 0) {
    threads =
        std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, options.connections);
  }
  threads = std::min(threads, options.connections);

  Tcp::resolver::results_type endpoints;
  try {
    boost::asio::io_context io;
    endpoints = Tcp::resolver(io).resolve(options.host, options.port);
  } catch (const boost::system::system_error& e) {
    std::cerr << "tresor-loadgen: cannot resolve " << options.host << ": " << e.what() << "\n";
    return 1;
  }
  const std::string host_header = options.host + ":" + options.port;
  // Only Vault's API knows the header; etcd and nginx are not sent a token
  // they have no use for.
  const std::string token = options.protocol == Protocol::kVault ? options.token : "";

  if (NeedsHotSet(options.workload)) {
    auto fill = MakeHotSetFillWorkload(options);
    std::atomic<int64_t> remaining{options.hot_keys};
    RunLimits fill_limits{Clock::time_point::max(), &remaining};
    int fill_connections = std::min({kFillConnections, options.connections, options.hot_keys});
    RunSpec fill_spec{fill_connections, std::min(threads, fill_connections), std::nullopt, token};
    RunReport filled = RunConnections(endpoints, host_header, *fill, fill_limits, fill_spec);
    if (filled.errors > 0) {
      std::cerr << "tresor-loadgen: writing the hot set failed (" << filled.errors
                << " errors), first: " << filled.first_error << "\n";
      return 1;
    }
  }
  std::unique_ptr<Workload> workload = MakeWorkload(options);

  std::atomic<int64_t> remaining{options.total_requests.value_or(0)};
  RunLimits limits;
  if (options.total_requests) {
    limits.deadline = Clock::time_point::max();
    limits.remaining = &remaining;
  } else {
    limits.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(options.duration_seconds));
  }
  RunSpec spec{options.connections, threads, options.rate, token};
  RunReport report = RunConnections(endpoints, host_header, *workload, limits, spec);
  PrintReport(options, threads, report);
  return 0;
}

}  // namespace
}  // namespace tresor::bench

int main(int argc, char** argv) { return tresor::bench::Main(argc, argv); }

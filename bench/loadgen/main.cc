// tresor-loadgen: the benchmark load generator (`make bench` runs it from
// bench/raft_bench.py). N keep-alive HTTP/1.1 connections, each a closed
// loop, spread over a few event-loop threads; a run is bounded by a duration
// or a request count. Prints requests, errors (with the first error), the
// throughput and the latency percentiles, as text or as one JSON object.
//
// Exit status: 0 when the run happened (even with errors: the caller reads
// the error count), 1 when it could not (bad flags, unresolvable address,
// kv2-read's hot set could not be written), 2 for usage errors.
#include <algorithm>
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
#include "loadgen/workload.h"

namespace tresor::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Tcp = boost::asio::ip::tcp;

// kv2-read reads a hot set of this many keys, written before the timed run.
constexpr int kHotKeys = 1000;
// Connections that write the hot set: enough to make it quick, few enough
// not to depend on how many the measured run uses.
constexpr int kFillConnections = 16;

struct RunReport {
  int64_t requests = 0;
  int64_t errors = 0;
  std::string first_error;
  double elapsed_seconds = 0;
  LatencySummary latency;
};

// Runs `connections` closed loops of `workload` against `endpoints` until
// `limits` stop them, on `threads` event-loop threads, and merges what they
// measured.
RunReport RunConnections(const Tcp::resolver::results_type& endpoints,
                         const std::string& host_header, const std::string& token,
                         Workload& workload, const RunLimits& limits, int connections,
                         int threads) {
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  std::vector<std::unique_ptr<Connection>> conns;
  for (int c = 0; c < connections; ++c) {
    conns.push_back(std::make_unique<Connection>(*contexts[c % threads], endpoints, host_header,
                                                 token, workload, limits, c));
    conns.back()->Start();
  }
  Clock::time_point started = Clock::now();
  std::vector<std::thread> runners;
  for (auto& context : contexts) {
    runners.emplace_back([io = context.get()] { io->run(); });
  }
  for (auto& runner : runners) runner.join();
  RunReport report;
  report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  LatencySamples all;
  for (const auto& conn : conns) {
    const ConnectionResult& result = conn->result();
    report.requests += result.requests;
    if (result.errors > 0 && report.errors == 0) report.first_error = result.first_error;
    report.errors += result.errors;
    all.insert(all.end(), result.latencies.begin(), result.latencies.end());
  }
  report.latency = Summarize(all);
  return report;
}

void PrintReport(const Options& options, int threads, const RunReport& report) {
  double throughput = report.elapsed_seconds > 0
                          ? static_cast<double>(report.requests) / report.elapsed_seconds
                          : 0.0;
  if (options.json) {
    nlohmann::json out = {
        {"workload", WorkloadName(options.workload)},
        {"connections", options.connections},
        {"threads", threads},
        {"value_size", options.value_size},
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
  std::printf("workload     %s, %d connections on %d threads, %.1f s\n",
              WorkloadName(options.workload), options.connections, threads, report.elapsed_seconds);
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

  std::unique_ptr<Workload> workload;
  if (options.workload == WorkloadKind::kKv2Read) {
    auto fill =
        MakeHotSetFillWorkload(options.mount, options.key_prefix, options.value_size, kHotKeys);
    std::atomic<int64_t> remaining{kHotKeys};
    RunLimits fill_limits{Clock::time_point::max(), &remaining};
    int fill_connections = std::min(kFillConnections, options.connections);
    RunReport filled = RunConnections(endpoints, host_header, options.token, *fill, fill_limits,
                                      fill_connections, std::min(threads, fill_connections));
    if (filled.errors > 0) {
      std::cerr << "tresor-loadgen: writing the hot set failed (" << filled.errors
                << " errors), first: " << filled.first_error << "\n";
      return 1;
    }
    workload = MakeHotSetReadWorkload(options.mount, options.key_prefix, kHotKeys);
  } else {
    workload = MakeUniqueWriteWorkload(options.mount, options.key_prefix, options.value_size);
  }

  std::atomic<int64_t> remaining{options.total_requests.value_or(0)};
  RunLimits limits;
  if (options.total_requests) {
    limits.deadline = Clock::time_point::max();
    limits.remaining = &remaining;
  } else {
    limits.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(options.duration_seconds));
  }
  RunReport report = RunConnections(endpoints, host_header, options.token, *workload, limits,
                                    options.connections, threads);
  PrintReport(options, threads, report);
  return 0;
}

}  // namespace
}  // namespace tresor::bench

int main(int argc, char** argv) { return tresor::bench::Main(argc, argv); }

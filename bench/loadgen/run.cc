#include "loadgen/run.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace tresor::bench {

using Clock = std::chrono::steady_clock;

RunReport RunConnections(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                         const std::string& host_header, Workload& workload,
                         const RunLimits& limits, const RunSpec& spec) {
  int threads = std::clamp(spec.threads, 1, spec.connections);
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  // The open-loop schedules share one start, so the connections' offsets
  // interleave their streams.
  Clock::time_point started = Clock::now();
  std::vector<std::unique_ptr<Connection>> conns;
  for (int c = 0; c < spec.connections; ++c) {
    std::optional<OpenLoopSchedule> schedule;
    if (spec.rate) schedule = MakeOpenLoopSchedule(started, *spec.rate, spec.connections, c);
    conns.push_back(std::make_unique<Connection>(*contexts[c % threads], endpoints, host_header,
                                                 spec.token, workload, limits, schedule, c));
    conns.back()->Start();
  }
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

}  // namespace tresor::bench

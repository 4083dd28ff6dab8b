// Runs a set of connections against a server and merges what they measured.
//
// main.cc calls RunConnections for the hot-set fill and for the timed run;
// the tests call it against an in-process server. It blocks the caller until
// every connection has stopped, running the connections on `threads` threads
// of its own; it holds no state between calls.
#ifndef TRESOR_BENCH_LOADGEN_RUN_H_
#define TRESOR_BENCH_LOADGEN_RUN_H_

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "loadgen/connection.h"
#include "loadgen/latency.h"
#include "loadgen/workload.h"

namespace tresor::bench {

struct RunReport {
  int64_t requests = 0;  // sent or attempted
  int64_t errors = 0;    // non-2xx answers and transport failures
  std::string first_error;
  double elapsed_seconds = 0;
  LatencySummary latency;
};

struct RunSpec {
  int connections = 1;
  int threads = 1;  // clamped to [1, connections]
  // Open loop at this many requests per second in total; unset = closed loop.
  std::optional<double> rate;
  // Sent as X-Vault-Token when not empty.
  std::string token;
};

// Runs spec.connections connections of `workload` against `endpoints`
// (Host: host_header) until `limits` stop them. Transport failures and
// non-2xx answers are counted in the report, never returned as errors.
// REQUIRES: spec.connections > 0.
RunReport RunConnections(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                         const std::string& host_header, Workload& workload,
                         const RunLimits& limits, const RunSpec& spec);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_RUN_H_

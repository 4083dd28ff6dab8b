// Latency samples and their summary (p50, p90, p99, p99.9, max).
//
// Each connection appends to its own LatencySamples on its own thread (no
// locking); main.cc merges them after every connection has finished and
// summarises once. Samples are kept exactly (8 bytes each): a 15-minute run
// stays far below 10 million requests on the machines this runs on, so a
// sorted vector is simpler and more exact than a log-bucket histogram.
#ifndef TRESOR_BENCH_LOADGEN_LATENCY_H_
#define TRESOR_BENCH_LOADGEN_LATENCY_H_

#include <chrono>
#include <cstdint>
#include <vector>

namespace tresor::bench {

using LatencySamples = std::vector<int64_t>;  // nanoseconds, one per request

struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// Sorts samples in place and returns the nearest-rank percentiles: pXX is
// the smallest sample that at least XX% of the samples do not exceed. All
// fields are 0 for an empty set.
LatencySummary Summarize(LatencySamples& samples);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_LATENCY_H_

#include "loadgen/latency.h"

#include <algorithm>
#include <cmath>

namespace tresor::bench {
namespace {

double NanosToMillis(int64_t nanos) { return static_cast<double>(nanos) / 1e6; }

// Nearest rank: index ceil(q * n) - 1, clamped to the sample range.
int64_t Percentile(const LatencySamples& sorted, double q) {
  auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

}  // namespace

LatencySummary Summarize(LatencySamples& samples) {
  LatencySummary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  summary.count = static_cast<int64_t>(samples.size());
  summary.p50_ms = NanosToMillis(Percentile(samples, 0.50));
  summary.p90_ms = NanosToMillis(Percentile(samples, 0.90));
  summary.p99_ms = NanosToMillis(Percentile(samples, 0.99));
  summary.p999_ms = NanosToMillis(Percentile(samples, 0.999));
  summary.max_ms = NanosToMillis(samples.back());
  return summary;
}

}  // namespace tresor::bench

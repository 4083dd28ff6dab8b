// The process's metrics: counters, gauges and timing summaries under Vault's
// names ("vault.core.handle_request"), exported by GET sys/metrics in
// Prometheus' text format (0.0.4) or in Vault's JSON form. docs/observability.md
// lists every metric.
//
// Who calls it: code on the hot path (barrier reads, the request pipeline,
// raft applies) updates a metric object it obtained once and keeps, usually
// a function-local static:
//
//   static metrics::Summary& get = metrics::Default().GetSummary(
//       "vault.barrier.get", "Time to read an entry through the barrier (ms)");
//   metrics::ScopedTimer timer(get);
//
// Gauges that describe state (sealed, active, raft health, process memory)
// are not updated on the hot path: their owner registers a callback that
// the scrape calls (AddGaugeCallback), and keeps the returned handle for as
// long as the callback's captures live.
//
// Threads: updates (Counter::Add, Gauge::Set, Summary::Observe) are
// lock-free atomics and may run on any thread. Registering a metric or a
// callback, and rendering, take the registry's mutex; those are rare (once
// per metric, once per scrape). A scrape also holds a second mutex while
// it calls the gauge callbacks, so that removing one waits for it. Metric objects live as long as the
// registry (for Default(), the process), so references to them never dangle.
//
// Switching updates off: SetUpdatesEnabled(false) (the server does it for
// telemetry { disable_metrics = true }) makes Counter::Add, Summary::Observe
// and ScopedTimer do nothing, in every registry of the process, so that a
// benchmark can measure what the metrics cost. The hot path pays one relaxed
// load of a process-wide bool for it; gauges (set or computed at scrape)
// keep working.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tresor::metrics {

using Labels = std::map<std::string, std::string>;

namespace internal {
// False once SetUpdatesEnabled(false); read with a relaxed load on the hot
// path (no lock; a flip is seen by other threads soon, not at once).
inline std::atomic<bool> updates_enabled{true};
}  // namespace internal

// Whether Counter::Add, Summary::Observe and ScopedTimer record anything.
// Process-wide (not per registry). Meant to be set once at startup, before
// requests run; a ScopedTimer records only if updates are on both when it
// starts and when it ends.
inline void SetUpdatesEnabled(bool enabled) {
  internal::updates_enabled.store(enabled, std::memory_order_relaxed);
}
inline bool UpdatesEnabled() { return internal::updates_enabled.load(std::memory_order_relaxed); }

// A monotonically increasing count (Prometheus TYPE counter, Vault's [C]).
class Counter {
 public:
  void Add(uint64_t n = 1) {
    if (UpdatesEnabled()) value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value set from time to time (Prometheus TYPE gauge, Vault's [G]).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations in milliseconds (Prometheus TYPE summary, Vault's [S]):
// count, sum, min, max, sum of squares, and a log-scale histogram (four
// buckets per power of two of nanoseconds, so a quantile is estimated
// within about 10%) from which the exposition computes the 0.5, 0.9 and
// 0.99 quantiles over the summary's whole life.
class Summary {
 public:
  static constexpr int kBuckets = 64 * 4;

  // Does nothing while updates are off (SetUpdatesEnabled).
  void Observe(std::chrono::nanoseconds d);
  // An observation already in milliseconds (a raft contact age).
  void ObserveMs(double ms) {
    Observe(std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6)));
  }

  struct Snapshot {
    uint64_t count = 0;
    double sum_ms = 0, min_ms = 0, max_ms = 0, sum_squares_ms = 0;
    std::array<uint64_t, kBuckets> buckets{};
    // The q-quantile (0 < q < 1) in ms, estimated from the buckets; NaN
    // when count == 0.
    double Quantile(double q) const;
  };
  Snapshot Read() const;

  // The bucket of an observation of `ns` nanoseconds and the value a bucket
  // stands for (its geometric middle), in ms. Exposed for the tests.
  static int BucketOf(uint64_t ns);
  static double BucketValueMs(int bucket);

 private:
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> min_ns_{UINT64_MAX};
  std::atomic<uint64_t> max_ns_{0};
  std::atomic<double> sum_squares_ms_{0};
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

// Observes the time from construction to destruction into a Summary.
// While updates are off (SetUpdatesEnabled) it reads no clock at all: the
// two clock reads are most of what a timer costs.
class ScopedTimer {
 public:
  explicit ScopedTimer(Summary& summary) : summary_(summary), armed_(UpdatesEnabled()) {
    if (armed_) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedTimer() {
    if (armed_) summary_.Observe(std::chrono::steady_clock::now() - start_);
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  // Measurement only (never a deadline or a decision), so the steady clock
  // is read directly rather than through an injected Clock.
  Summary& summary_;
  bool armed_;
  std::chrono::steady_clock::time_point start_;
};

// What the telemetry config block sets (docs/observability.md).
struct Settings {
  // How long a counter or summary that stopped changing stays in the
  // Prometheus exposition; 0 disables format=prometheus (answered 400, as
  // Vault). Vault's default: 24h.
  std::chrono::seconds prometheus_retention_time{std::chrono::hours(24)};
  // false (Vault's default): Vault's gauge names carry the host name after
  // "vault" ("vault.<host>.core.unsealed"), as go-metrics does.
  bool disable_hostname = false;
  // How long a usage gauge (token and secret counts) is cached between
  // computations; nullopt ("none") turns them off. Vault's default: 10m.
  std::optional<std::chrono::seconds> usage_gauge_period{std::chrono::minutes(10)};
  // Whether GET sys/metrics needs no token (a listener's
  // telemetry { unauthenticated_metrics_access = true }).
  bool unauthenticated_metrics_access = false;
  // Tresor's own (Vault has no such key): true turns counter and summary
  // updates off process-wide (the server calls SetUpdatesEnabled), so that
  // their cost can be measured; sys/metrics still answers, with those
  // series at zero.
  bool disable_metrics = false;
};

enum class Type { kCounter, kGauge, kSummary };

class Registry;

// Keeps a gauge callback registered; unregisters it when destroyed.
class CallbackHandle {
 public:
  CallbackHandle() = default;
  CallbackHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  CallbackHandle(CallbackHandle&& other) noexcept { *this = std::move(other); }
  CallbackHandle& operator=(CallbackHandle&& other) noexcept;
  ~CallbackHandle() { Reset(); }
  void Reset();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  explicit Registry(std::string hostname = "");
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The metric `name` (Vault's dotted form, "vault.barrier.get") with
  // `labels`, created on first use. The same name and labels always give
  // the same object. `help` is the # HELP text (the first registration's
  // wins). REQUIRES: a name is used with one type only (a second type is a
  // bug and aborts).
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Summary& GetSummary(std::string_view name, std::string_view help, const Labels& labels = {});

  // A gauge whose value `read` computes at scrape time (on the scraping
  // thread; it may obtain metrics but must not add or remove callbacks, and
  // should be quick). A handle's destruction waits for a scrape that is
  // calling its callback. nullopt
  // leaves the series out of this scrape. When several live callbacks have
  // the same name and labels (several cores in one test process), the one
  // registered last is used. `usage`: a high-cardinality usage gauge, cached
  // for usage_gauge_period and left out when that is "none".
  [[nodiscard]] CallbackHandle AddGaugeCallback(std::string_view name, std::string_view help,
                                                Labels labels,
                                                std::function<std::optional<double>()> read,
                                                bool usage = false);

  // Several series of one gauge, computed at scrape time: `read` returns
  // each series' labels and value (an empty list leaves the gauge out of
  // this scrape). For gauges whose label values are not known in advance
  // (one series per automated snapshot schedule, per KV mount). Same rules
  // as above, `usage` included.
  using SeriesList = std::vector<std::pair<Labels, double>>;
  [[nodiscard]] CallbackHandle AddGaugeFamilyCallback(std::string_view name,
                                                      std::string_view help,
                                                      std::function<SeriesList()> read,
                                                      bool usage = false);

  void SetSettings(const Settings& settings);
  Settings settings() const;

  // Prometheus text format 0.0.4: # HELP and # TYPE per name, names with
  // '.' turned into '_'. `now` decides retention.
  std::string RenderPrometheus(std::chrono::steady_clock::time_point now);
  // Vault's JSON form: {"Timestamp", "Gauges": [{Name, Value, Labels}],
  // "Points": [], "Counters": [...], "Samples": [...]} (counters and samples
  // with Count, Rate, Sum, Min, Max, Mean, Stddev, Labels). `wall_now` is
  // the Timestamp; Rate is per second since the registry was made.
  nlohmann::json RenderJson(std::chrono::system_clock::time_point wall_now,
                            std::chrono::steady_clock::time_point now);

  // Prometheus-safe form of a dotted name: every character outside
  // [a-zA-Z0-9_:] becomes '_'.
  static std::string PrometheusName(std::string_view dotted);

 private:
  friend class CallbackHandle;
  struct Family;
  struct Series;
  struct Callback;

  Series& FindOrAdd(std::string_view name, std::string_view help, const Labels& labels, Type type);
  void RemoveCallback(uint64_t id);
  // The name as exported: with the host name inserted for gauges unless
  // disable_hostname.
  std::string ExportName(const std::string& name, Type type) const;
  struct Row;
  std::vector<Row> Collect(std::chrono::steady_clock::time_point now, bool apply_retention);

  // Held for a whole scrape and by RemoveCallback; taken before mu_.
  std::mutex collect_mu_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;  // GUARDED_BY(mu_)
  std::list<Callback> callbacks_;                                          // GUARDED_BY(mu_)
  uint64_t next_callback_id_ = 1;                                          // GUARDED_BY(mu_)
  Settings settings_;                                                      // GUARDED_BY(mu_)
  std::string hostname_;
  std::chrono::steady_clock::time_point created_;
};

// The process's registry (the host name from gethostname()).
Registry& Default();

}  // namespace tresor::metrics

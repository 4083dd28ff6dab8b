// The metrics registry and its two renderings. See metrics.h.
#include "common/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace tresor::metrics {

// ------------------------------------------------------------ Summary

int Summary::BucketOf(uint64_t ns) {
  if (ns == 0) return 0;
  const int power = 63 - std::countl_zero(ns);
  const int sub = power >= 2 ? static_cast<int>((ns >> (power - 2)) & 3) : 0;
  return power * 4 + sub;
}

double Summary::BucketValueMs(int bucket) {
  const double base = std::ldexp(1.0, bucket / 4);
  const int sub = bucket % 4;
  const double lower = base * (1.0 + sub / 4.0);
  const double upper = base * (1.0 + (sub + 1) / 4.0);
  return std::sqrt(lower * upper) / 1e6;
}

void Summary::Observe(std::chrono::nanoseconds d) {
  if (!UpdatesEnabled()) return;
  const uint64_t ns = d.count() > 0 ? static_cast<uint64_t>(d.count()) : 0;
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  const double ms = static_cast<double>(ns) / 1e6;
  sum_squares_ms_.fetch_add(ms * ms, std::memory_order_relaxed);
  buckets_[BucketOf(ns)].fetch_add(1, std::memory_order_relaxed);
  uint64_t low = min_ns_.load(std::memory_order_relaxed);
  while (ns < low && !min_ns_.compare_exchange_weak(low, ns, std::memory_order_relaxed)) {
  }
  uint64_t high = max_ns_.load(std::memory_order_relaxed);
  while (ns > high && !max_ns_.compare_exchange_weak(high, ns, std::memory_order_relaxed)) {
  }
}

Summary::Snapshot Summary::Read() const {
  Snapshot s;
  // Buckets first, count last: a concurrent Observe may show in one and not
  // the other; the quantile code tolerates that (it uses the buckets' sum).
  for (int i = 0; i < kBuckets; ++i) s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  s.count = count_.load(std::memory_order_relaxed);
  s.sum_ms = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e6;
  s.sum_squares_ms = sum_squares_ms_.load(std::memory_order_relaxed);
  if (s.count > 0) {
    const uint64_t low = min_ns_.load(std::memory_order_relaxed);
    s.min_ms = low == UINT64_MAX ? 0 : static_cast<double>(low) / 1e6;
    s.max_ms = static_cast<double>(max_ns_.load(std::memory_order_relaxed)) / 1e6;
  }
  return s;
}

double Summary::Snapshot::Quantile(double q) const {
  uint64_t total = 0;
  for (uint64_t b : buckets) total += b;
  if (total == 0) return std::nan("");
  const double rank = q * static_cast<double>(total);
  uint64_t cumulative = 0;
  for (int i = 0; i < kBuckets; ++i) {
    cumulative += buckets[i];
    if (static_cast<double>(cumulative) >= rank && buckets[i] > 0) {
      return std::clamp(BucketValueMs(i), min_ms, std::max(min_ms, max_ms));
    }
  }
  return max_ms;
}

// ----------------------------------------------------------- Registry

struct Registry::Series {
  Labels labels;
  Counter counter;
  Gauge gauge;
  Summary summary;
  // For retention: what the value looked like at the last scrape, and
  // when it last changed (seen by a scrape, not by the hot path).
  double last_seen = -1;
  std::chrono::steady_clock::time_point last_change;
};

struct Registry::Family {
  std::string name;
  std::string help;
  Type type;
  std::map<Labels, std::unique_ptr<Series>> series;
};

struct Registry::Callback {
  uint64_t id;
  std::string name;
  std::string help;
  Labels labels;  // the key among callbacks of one name
  std::function<SeriesList()> read;
  bool usage;
  SeriesList cached;
  std::optional<std::chrono::steady_clock::time_point> cached_at;
};

struct Registry::Row {
  std::string name;  // dotted, as exported
  std::string help;
  Type type;
  Labels labels;
  double value = 0;  // counter or gauge
  Summary::Snapshot summary;
};

CallbackHandle& CallbackHandle::operator=(CallbackHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = other.registry_;
    id_ = other.id_;
    other.registry_ = nullptr;
  }
  return *this;
}

void CallbackHandle::Reset() {
  if (registry_ != nullptr) registry_->RemoveCallback(id_);
  registry_ = nullptr;
}

Registry::Registry(std::string hostname)
    : hostname_(std::move(hostname)), created_(std::chrono::steady_clock::now()) {}

Registry::~Registry() = default;

Registry::Series& Registry::FindOrAdd(std::string_view name, std::string_view help,
                                      const Labels& labels, Type type) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->name = std::string(name);
    family->help = std::string(help);
    family->type = type;
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.type != type) {
    spdlog::critical("metrics: {} registered with two types", name);
    std::abort();
  }
  auto& slot = family.series[labels];
  if (!slot) {
    slot = std::make_unique<Series>();
    slot->labels = labels;
    slot->last_change = std::chrono::steady_clock::now();
  }
  return *slot;
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help, const Labels& labels) {
  return FindOrAdd(name, help, labels, Type::kCounter).counter;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  return FindOrAdd(name, help, labels, Type::kGauge).gauge;
}

Summary& Registry::GetSummary(std::string_view name, std::string_view help, const Labels& labels) {
  return FindOrAdd(name, help, labels, Type::kSummary).summary;
}

CallbackHandle Registry::AddGaugeCallback(std::string_view name, std::string_view help,
                                          Labels labels,
                                          std::function<std::optional<double>()> read,
                                          bool usage) {
  auto read_all = [labels, read = std::move(read)]() -> SeriesList {
    std::optional<double> value = read();
    if (!value.has_value()) return {};
    return {{labels, *value}};
  };
  std::lock_guard lock(mu_);
  const uint64_t id = next_callback_id_++;
  callbacks_.push_back(Callback{id, std::string(name), std::string(help), std::move(labels),
                                std::move(read_all), usage, {}, std::nullopt});
  return CallbackHandle(this, id);
}

CallbackHandle Registry::AddGaugeFamilyCallback(std::string_view name, std::string_view help,
                                                std::function<SeriesList()> read, bool usage) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_callback_id_++;
  callbacks_.push_back(Callback{id, std::string(name), std::string(help), {}, std::move(read),
                                usage, {}, std::nullopt});
  return CallbackHandle(this, id);
}

void Registry::RemoveCallback(uint64_t id) {
  // Waits for a scrape that may be calling it.
  std::lock_guard collecting(collect_mu_);
  std::lock_guard lock(mu_);
  callbacks_.remove_if([id](const Callback& c) { return c.id == id; });
}

void Registry::SetSettings(const Settings& settings) {
  std::lock_guard lock(mu_);
  settings_ = settings;
}

Settings Registry::settings() const {
  std::lock_guard lock(mu_);
  return settings_;
}

std::string Registry::PrometheusName(std::string_view dotted) {
  std::string out(dotted);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == ':';
    if (!ok) c = '_';
  }
  if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  return out;
}

std::string Registry::ExportName(const std::string& name, Type type) const {
  // go-metrics puts the host name into gauge names only, after the service
  // name "vault"; Tresor's own and the process_* gauges never carry it.
  if (type != Type::kGauge || settings_.disable_hostname || hostname_.empty()) return name;
  if (!name.starts_with("vault.")) return name;
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return name;
  std::string host = hostname_;
  std::replace(host.begin(), host.end(), '.', '_');
  return name.substr(0, dot + 1) + host + name.substr(dot);
}

std::vector<Registry::Row> Registry::Collect(std::chrono::steady_clock::time_point now,
                                             bool apply_retention) {
  // collect_mu_ for the whole scrape (callbacks stay registered while they
  // are called), mu_ only while the tables are read: a callback may then
  // obtain metrics (the barrier's, on a first read) without deadlocking.
  std::lock_guard collecting(collect_mu_);
  std::unique_lock lock(mu_);
  std::vector<Row> rows;
  const auto retention = settings_.prometheus_retention_time;
  for (auto& [name, family] : families_) {
    for (auto& [labels, series] : family->series) {
      Row row{ExportName(name, family->type), family->help, family->type, labels, 0, {}};
      double seen = 0;
      switch (family->type) {
        case Type::kCounter:
          row.value = static_cast<double>(series->counter.Value());
          seen = row.value;
          break;
        case Type::kGauge:
          row.value = series->gauge.Value();
          seen = row.value;
          break;
        case Type::kSummary:
          row.summary = series->summary.Read();
          seen = static_cast<double>(row.summary.count);
          break;
      }
      if (seen != series->last_seen) {
        series->last_seen = seen;
        series->last_change = now;
      }
      if (apply_retention && retention.count() > 0 && now - series->last_change > retention) {
        continue;
      }
      rows.push_back(std::move(row));
    }
  }
  // Callback gauges: the last registered of equal name and labels wins.
  // Elements of callbacks_ stay put (a std::list) and leave only under
  // collect_mu_, and `cached` is touched only here, so the pointers and
  // fields below are safe to use without mu_.
  std::map<std::pair<std::string, Labels>, Callback*> latest;
  for (Callback& c : callbacks_) latest[{c.name, c.labels}] = &c;
  const Settings settings = settings_;
  std::map<std::string, std::string> export_names;
  for (auto& [key, c] : latest) export_names[c->name] = ExportName(c->name, Type::kGauge);
  lock.unlock();
  for (auto& [key, c] : latest) {
    SeriesList series;
    if (c->usage) {
      if (!settings.usage_gauge_period.has_value()) continue;
      if (!c->cached_at.has_value() || now - *c->cached_at >= *settings.usage_gauge_period) {
        c->cached = c->read();
        c->cached_at = now;
      }
      series = c->cached;
    } else {
      series = c->read();
    }
    for (auto& [labels, value] : series) {
      rows.push_back(Row{export_names[c->name], c->help, Type::kGauge, std::move(labels), value,
                         {}});
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.name < b.name; });
  return rows;
}

namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", v);
  return buffer;
}

// Prometheus' escaping: \\ and \n everywhere, and \" in label values
// (not in HELP text).
std::string Escape(std::string_view v, bool quotes) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",quantile="0.5"}, or "" without labels.
std::string LabelText(const Labels& labels, const char* extra_key = nullptr,
                      std::string_view extra_value = {}) {
  if (labels.empty() && extra_key == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += Registry::PrometheusName(k) + "=\"" + Escape(v, true) + "\"";
  }
  if (extra_key != nullptr) {
    if (!first) out += ",";
    out += std::string(extra_key) + "=\"" + std::string(extra_value) + "\"";
  }
  return out + "}";
}

const char* TypeText(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kSummary:
      return "summary";
  }
  return "untyped";
}

// Go's time.Time.String() for a UTC instant, as Vault's Timestamp:
// "2024-05-20 15:22:30 +0000 UTC".
std::string GoTimestamp(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buffer;
}

}  // namespace

std::string Registry::RenderPrometheus(std::chrono::steady_clock::time_point now) {
  const std::vector<Row> rows = Collect(now, /*apply_retention=*/true);
  std::string out;
  std::string previous;
  for (const Row& row : rows) {
    const std::string name = PrometheusName(row.name);
    if (name != previous) {
      out += "# HELP " + name + " " + Escape(row.help.empty() ? row.name : row.help, false) + "\n";
      out += "# TYPE " + name + " " + TypeText(row.type) + "\n";
      previous = name;
    }
    if (row.type != Type::kSummary) {
      out += name + LabelText(row.labels) + " " + FormatValue(row.value) + "\n";
      continue;
    }
    for (const char* q : {"0.5", "0.9", "0.99"}) {
      out += name + LabelText(row.labels, "quantile", q) + " " +
             FormatValue(row.summary.Quantile(std::atof(q))) + "\n";
    }
    out += name + "_sum" + LabelText(row.labels) + " " + FormatValue(row.summary.sum_ms) + "\n";
    out += name + "_count" + LabelText(row.labels) + " " +
           FormatValue(static_cast<double>(row.summary.count)) + "\n";
  }
  return out;
}

nlohmann::json Registry::RenderJson(std::chrono::system_clock::time_point wall_now,
                                 std::chrono::steady_clock::time_point now) {
  const std::vector<Row> rows = Collect(now, /*apply_retention=*/false);
  const double elapsed =
      std::max(1.0, std::chrono::duration<double>(now - created_).count());
  nlohmann::json gauges = nlohmann::json::array();
  nlohmann::json counters = nlohmann::json::array();
  nlohmann::json samples = nlohmann::json::array();
  for (const Row& row : rows) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : row.labels) labels[k] = v;
    switch (row.type) {
      case Type::kGauge:
        gauges.push_back({{"Name", row.name}, {"Value", row.value}, {"Labels", labels}});
        break;
      case Type::kCounter:
        counters.push_back({{"Name", row.name},
                            {"Count", row.value},
                            {"Rate", row.value / elapsed},
                            {"Sum", row.value},
                            {"Labels", labels}});
        break;
      case Type::kSummary: {
        const auto& s = row.summary;
        const double n = static_cast<double>(s.count);
        const double mean = s.count > 0 ? s.sum_ms / n : 0;
        const double variance =
            s.count > 1 ? std::max(0.0, (s.sum_squares_ms - n * mean * mean) / (n - 1)) : 0;
        samples.push_back({{"Name", row.name},
                           {"Count", s.count},
                           {"Rate", s.sum_ms / elapsed},
                           {"Sum", s.sum_ms},
                           {"Min", s.min_ms},
                           {"Max", s.max_ms},
                           {"Mean", mean},
                           {"Stddev", std::sqrt(variance)},
                           {"Labels", labels}});
        break;
      }
    }
  }
  nlohmann::json out = {{"Timestamp", GoTimestamp(wall_now)},
                        {"Gauges", gauges},
                        {"Points", nlohmann::json::array()},
                        {"Counters", counters},
                        {"Samples", samples}};
  return out;
}

// ---------------------------------------------------- process gauges

namespace {

std::optional<double> ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return std::nullopt;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor of the listing itself
}

std::optional<double> Threads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::atof(line.c_str() + 8);
  }
  return std::nullopt;
}

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "";
  return buffer;
}

}  // namespace

Registry& Default() {
  static Registry* registry = [] {
    auto* r = new Registry(HostName());
    // Handles kept for the life of the process, as the registry is.
    static CallbackHandle rss = r->AddGaugeCallback(
        "process.resident_memory_bytes", "Resident memory size in bytes.", {}, ResidentBytes);
    static CallbackHandle fds = r->AddGaugeCallback(
        "process.open_fds", "Number of open file descriptors.", {}, OpenFds);
    static CallbackHandle threads = r->AddGaugeCallback(
        "tresor.process.threads", "Number of threads of the tresor process.", {}, Threads);
    return r;
  }();
  return *registry;
}

}  // namespace tresor::metrics

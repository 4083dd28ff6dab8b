#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include <nlohmann/json.hpp>

namespace tresor::metrics {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Settings NoHostname() {
  Settings s;
  s.disable_hostname = true;
  return s;
}

TEST(MetricsTest, SameNameAndLabelsGiveTheSameObject) {
  Registry r;
  Counter& a = r.GetCounter("vault.raft.apply", "applies");
  Counter& b = r.GetCounter("vault.raft.apply", "ignored");
  EXPECT_EQ(&a, &b);
  Counter& c = r.GetCounter("vault.raft.apply", "", {{"x", "1"}});
  EXPECT_NE(&a, &c);
}

TEST(MetricsTest, PrometheusTextHasHelpTypeAndValues) {
  Registry r;
  r.SetSettings(NoHostname());
  r.GetCounter("vault.raft.apply", "Raft transactions").Add(3);
  r.GetGauge("vault.core.active", "Whether active").Set(1);
  Summary& s = r.GetSummary("vault.barrier.get", "Barrier reads (ms)");
  s.Observe(milliseconds(2));
  s.Observe(milliseconds(4));
  const std::string text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("# HELP vault_raft_apply Raft transactions\n# TYPE vault_raft_apply counter\n"
                      "vault_raft_apply 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE vault_core_active gauge\nvault_core_active 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE vault_barrier_get summary\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vault_barrier_get_sum 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vault_barrier_get_count 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vault_barrier_get{quantile=\"0.99\"} "), std::string::npos) << text;
}

TEST(MetricsTest, LabelsAreEscaped) {
  Registry r;
  r.GetCounter("vault.x", "h", {{"path", "a\"b\\c\nd"}}).Add();
  const std::string text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("vault_x{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, QuantilesAreWithinABucket) {
  Summary s;
  for (int i = 1; i <= 100; ++i) s.Observe(milliseconds(i));
  const Summary::Snapshot snap = s.Read();
  EXPECT_EQ(snap.count, 100u);
  EXPECT_DOUBLE_EQ(snap.min_ms, 1);
  EXPECT_DOUBLE_EQ(snap.max_ms, 100);
  EXPECT_NEAR(snap.Quantile(0.5), 50, 7);
  EXPECT_NEAR(snap.Quantile(0.99), 99, 12);
  EXPECT_TRUE(std::isnan(Summary().Read().Quantile(0.5)));
}

TEST(MetricsTest, BucketsAreOrderedAndCoverTheirValues) {
  for (uint64_t ns : {1ull, 3ull, 1000ull, 123456789ull, 1ull << 40}) {
    const int b = Summary::BucketOf(ns);
    const double ms = static_cast<double>(ns) / 1e6;
    EXPECT_NEAR(Summary::BucketValueMs(b), ms, ms * 0.13 + 1e-6) << ns;
  }
  EXPECT_LT(Summary::BucketOf(1000), Summary::BucketOf(1300));
}

TEST(MetricsTest, HostnameGoesIntoGaugeNamesUnlessDisabled) {
  Registry r("node-1.example");
  r.GetGauge("vault.core.unsealed", "h").Set(1);
  r.GetCounter("vault.core.step_down", "h").Add();
  std::string text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("vault_node_1_example_core_unsealed 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vault_core_step_down 1\n"), std::string::npos) << text;
  r.SetSettings(NoHostname());
  text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("vault_core_unsealed 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, CallbackGaugesAreReadAtScrapeAndRemovedWithTheirHandle) {
  Registry r;
  r.SetSettings(NoHostname());
  double value = 0;
  {
    CallbackHandle old = r.AddGaugeCallback("vault.core.unsealed", "h", {}, [] { return 5.0; });
    CallbackHandle handle =
        r.AddGaugeCallback("vault.core.unsealed", "h", {}, [&] { return value; });
    value = 1;
    EXPECT_NE(r.RenderPrometheus(steady_clock::now()).find("vault_core_unsealed 1\n"),
              std::string::npos);
    value = 0;
    EXPECT_NE(r.RenderPrometheus(steady_clock::now()).find("vault_core_unsealed 0\n"),
              std::string::npos);
  }
  EXPECT_EQ(r.RenderPrometheus(steady_clock::now()).find("vault_core_unsealed"),
            std::string::npos);
  CallbackHandle absent =
      r.AddGaugeCallback("vault.core.active", "h", {}, [] { return std::nullopt; });
  EXPECT_EQ(r.RenderPrometheus(steady_clock::now()).find("vault_core_active"), std::string::npos);
}

TEST(MetricsTest, FamilyCallbacksExportOneSeriesEach) {
  Registry r;
  Registry::SeriesList series = {{{{"config", "daily"}}, 30}, {{{"config", "hourly"}}, 5}};
  CallbackHandle h = r.AddGaugeFamilyCallback("tresor.snapshot.age", "h", [&] { return series; });
  std::string text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("# TYPE tresor_snapshot_age gauge\n"
                      "tresor_snapshot_age{config=\"daily\"} 30\n"
                      "tresor_snapshot_age{config=\"hourly\"} 5\n"),
            std::string::npos)
      << text;
  series.clear();
  EXPECT_EQ(r.RenderPrometheus(steady_clock::now()).find("tresor_snapshot_age"),
            std::string::npos);
}

TEST(MetricsTest, UsageGaugesAreCachedForThePeriodAndOffWithNone) {
  Registry r;
  Settings settings = NoHostname();
  settings.usage_gauge_period = std::chrono::seconds(60);
  r.SetSettings(settings);
  int calls = 0;
  CallbackHandle h = r.AddGaugeCallback("vault.token.count", "h", {}, [&]() -> std::optional<double> {
    return ++calls;
  }, /*usage=*/true);
  const auto t0 = steady_clock::now();
  EXPECT_NE(r.RenderPrometheus(t0).find("vault_token_count 1\n"), std::string::npos);
  EXPECT_NE(r.RenderPrometheus(t0 + std::chrono::seconds(30)).find("vault_token_count 1\n"),
            std::string::npos);
  EXPECT_NE(r.RenderPrometheus(t0 + std::chrono::seconds(61)).find("vault_token_count 2\n"),
            std::string::npos);
  settings.usage_gauge_period = std::nullopt;
  r.SetSettings(settings);
  EXPECT_EQ(r.RenderPrometheus(t0 + std::chrono::seconds(200)).find("vault_token_count"),
            std::string::npos);
}

TEST(MetricsTest, RetentionDropsSeriesThatStoppedChanging) {
  Registry r;
  Settings settings = NoHostname();
  settings.prometheus_retention_time = std::chrono::seconds(60);
  r.SetSettings(settings);
  Counter& c = r.GetCounter("vault.core.step_down", "h");
  c.Add();
  const auto t0 = steady_clock::now();
  EXPECT_NE(r.RenderPrometheus(t0).find("vault_core_step_down 1"), std::string::npos);
  EXPECT_EQ(r.RenderPrometheus(t0 + std::chrono::seconds(120)).find("vault_core_step_down"),
            std::string::npos);
  c.Add();
  EXPECT_NE(r.RenderPrometheus(t0 + std::chrono::seconds(121)).find("vault_core_step_down 2"),
            std::string::npos);
}

TEST(MetricsTest, JsonHasVaultsShape) {
  Registry r;
  r.SetSettings(NoHostname());
  r.GetGauge("vault.core.unsealed", "h").Set(1);
  r.GetCounter("vault.raft.apply", "h", {{"k", "v"}}).Add(2);
  r.GetSummary("vault.core.handle_request", "h").Observe(milliseconds(3));
  const nlohmann::json j =
      r.RenderJson(std::chrono::system_clock::from_time_t(0), steady_clock::now());
  EXPECT_EQ(j["Timestamp"], "1970-01-01 00:00:00 +0000 UTC");
  ASSERT_EQ(j["Gauges"].size(), 1u);
  EXPECT_EQ(j["Gauges"][0]["Name"], "vault.core.unsealed");
  EXPECT_EQ(j["Gauges"][0]["Value"], 1.0);
  EXPECT_TRUE(j["Gauges"][0]["Labels"].is_object());
  ASSERT_EQ(j["Counters"].size(), 1u);
  EXPECT_EQ(j["Counters"][0]["Count"], 2.0);
  EXPECT_EQ(j["Counters"][0]["Labels"]["k"], "v");
  ASSERT_EQ(j["Samples"].size(), 1u);
  EXPECT_EQ(j["Samples"][0]["Name"], "vault.core.handle_request");
  EXPECT_EQ(j["Samples"][0]["Count"], 1);
  EXPECT_DOUBLE_EQ(j["Samples"][0]["Max"].get<double>(), 3.0);
  EXPECT_TRUE(j["Points"].is_array());
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  Counter& c = r.GetCounter("vault.c", "h");
  Summary& s = r.GetSummary("vault.s", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Add();
        s.Observe(std::chrono::microseconds(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000u);
  EXPECT_EQ(s.Read().count, 40000u);
}

TEST(MetricsTest, UpdatesOffLeaveCountersAndSummariesAtZeroAndGaugesWorking) {
  struct Restore {
    ~Restore() { SetUpdatesEnabled(true); }
  } restore;
  Registry r("");
  Counter& c = r.GetCounter("vault.c", "h");
  Summary& s = r.GetSummary("vault.s", "h");
  Gauge& g = r.GetGauge("vault.g", "h");
  CallbackHandle handle = r.AddGaugeCallback("vault.cb", "h", {}, [] { return 7.0; });
  SetUpdatesEnabled(false);
  EXPECT_FALSE(UpdatesEnabled());
  c.Add(5);
  s.Observe(milliseconds(3));
  s.ObserveMs(2.5);
  {
    ScopedTimer timer(s);
  }
  {
    // Started while off: records nothing even if updates come back first.
    ScopedTimer timer(s);
    SetUpdatesEnabled(true);
  }
  SetUpdatesEnabled(false);
  g.Set(4);
  EXPECT_EQ(c.Value(), 0u);
  EXPECT_EQ(s.Read().count, 0u);
  EXPECT_DOUBLE_EQ(g.Value(), 4);
  // The scrape still answers, counters and summaries at zero.
  const std::string text = r.RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("\nvault_c 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nvault_s_count 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nvault_g 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nvault_cb 7\n"), std::string::npos) << text;

  SetUpdatesEnabled(true);
  c.Add(5);
  {
    ScopedTimer timer(s);
  }
  EXPECT_EQ(c.Value(), 5u);
  EXPECT_EQ(s.Read().count, 1u);
}

TEST(MetricsTest, DefaultRegistryExportsProcessGauges) {
  const std::string text = Default().RenderPrometheus(steady_clock::now());
  EXPECT_NE(text.find("# TYPE process_resident_memory_bytes gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE process_open_fds gauge\n"), std::string::npos);
  EXPECT_NE(text.find("\ntresor_process_threads "), std::string::npos) << text;
}

}  // namespace
}  // namespace tresor::metrics

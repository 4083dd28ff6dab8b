// GET sys/metrics. See sys_metrics_handlers.h and docs/observability.md.
#include "core/sys_metrics_handlers.h"

#include <memory>
#include <vector>

#include "common/metrics.h"
#include "storage/cluster_membership.h"

namespace tresor::core {
namespace {

// Vault autopilot's defaults, as sys/storage/raft/autopilot/state applies
// them: a voter is healthy when the leader heard from it within 10 s and
// it trails the leader by at most 1000 entries.
constexpr std::int64_t kAutopilotContactThresholdMs = 10'000;
constexpr std::uint64_t kAutopilotMaxTrailingLogs = 1000;

struct VoterHealth {
  int voters = 0;
  int healthy = 0;
};

// Known on the raft leader only (as Vault reports autopilot from the
// leader); nullopt elsewhere.
std::optional<VoterHealth> LeaderVoterHealth(Ha& ha) {
  storage::ClusterMembership* raft = ha.cluster();
  if (raft == nullptr || !raft->Leads()) return std::nullopt;
  VoterHealth health;
  const storage::ClusterStatus status = raft->GetStatus();
  for (const storage::ClusterServer& server : status.servers) {
    if (!server.voter) continue;
    ++health.voters;
    const bool in_touch =
        server.last_contact_ms >= 0 && server.last_contact_ms <= kAutopilotContactThresholdMs;
    const bool caught_up = server.match_index + kAutopilotMaxTrailingLogs >= status.last_index;
    if (in_touch && caught_up) ++health.healthy;
  }
  return health;
}

// One series per automated snapshot schedule (label "config"), from the
// status sys/storage/raft/snapshot-auto/status/<name> answers; on the
// active, unsealed node only (the schedules live in the barrier).
metrics::Registry::SeriesList SnapshotSeries(Lifecycle& lifecycle, Ha& ha,
                                             snapshot_auto::AutoSnapshotter& snapshots,
                                             const char* field) {
  metrics::Registry::SeriesList series;
  if (lifecycle.Sealed() || !ha.IsActive()) return series;
  StatusOr<std::vector<std::string>> names = snapshots.List();
  if (!names.ok()) return series;
  for (const std::string& name : *names) {
    StatusOr<nlohmann::json> status = snapshots.StatusOf(name);
    if (!status.ok()) continue;
    const nlohmann::json& value = (*status)[field];
    if (value.is_number()) series.push_back({{{"config", name}}, value.get<double>()});
  }
  return series;
}

// vault.secret.kv.count: one series per KV mount (label mount_point, and
// namespace "root" as Vault's), on the active, unsealed node only.
metrics::Registry::SeriesList KvCountSeries(Lifecycle& lifecycle, Ha& ha, MountTable& mounts) {
  metrics::Registry::SeriesList series;
  if (lifecycle.Sealed() || !ha.IsActive()) return series;
  for (const std::shared_ptr<const Mount>& mount : mounts.List(MountKind::kSecrets)) {
    if (mount->entry.type != "kv") continue;
    StatusOr<std::optional<std::uint64_t>> count = mount->engine->CountSecrets();
    if (!count.ok() || !count->has_value()) continue;
    series.push_back({{{"mount_point", mount->entry.path}, {"namespace", "root"}},
                      static_cast<double>(**count)});
  }
  return series;
}

// The DR replication positions, from what sys/replication/dr/status
// reports on this node: on a primary its last WAL and each connected
// secondary's lag; on a secondary what it applied and how far behind the
// primary it is. Empty while replication is off.
struct ReplicationSeries {
  metrics::Registry::SeriesList last_wal, last_remote_wal, lag_wal, lag_seconds, connected;
};

ReplicationSeries ReadReplication(replication::DrReplication& dr) {
  ReplicationSeries out;
  const nlohmann::json status = dr.StatusJson();
  const auto number = [&status](const char* field) -> std::optional<double> {
    auto it = status.find(field);
    if (it == status.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
  };
  if (auto last = number("last_wal")) out.last_wal.push_back({{}, *last});
  if (auto applied = number("last_remote_wal")) out.last_remote_wal.push_back({{}, *applied});
  if (auto it = status.find("secondaries"); it != status.end() && it->is_array()) {
    for (const nlohmann::json& secondary : *it) {
      const metrics::Labels labels = {{"secondary", secondary.value("node_id", "")}};
      out.lag_wal.push_back({labels, secondary.value("lag_wal", 0.0)});
      out.connected.push_back(
          {labels, secondary.value("connection_status", "") == "connected" ? 1.0 : 0.0});
    }
  }
  if (status.contains("primaries")) {
    const metrics::Labels labels = {{"secondary", status.value("secondary_id", "")}};
    if (auto lag = number("lag_wal")) out.lag_wal.push_back({labels, *lag});
    if (auto lag = number("lag_seconds")) out.lag_seconds.push_back({labels, *lag});
    const nlohmann::json& primary = status["primaries"].at(0);
    out.connected.push_back(
        {labels, primary.value("connection_status", "") == "connected" ? 1.0 : 0.0});
  }
  return out;
}

}  // namespace

void RegisterMetricsHandlers(SysRouter& router, const MetricsSources& sources) {
  Lifecycle& lifecycle = sources.lifecycle;
  Ha& ha = sources.ha;
  Clock& clock = sources.clock;
  snapshot_auto::AutoSnapshotter& auto_snapshots = sources.auto_snapshots;
  MountTable& mounts = sources.mounts;
  replication::DrReplication& dr = sources.dr;
  metrics::Registry& registry = metrics::Default();
  // Owned by the route's handler, so they go when the router goes.
  auto gauges = std::make_shared<std::vector<metrics::CallbackHandle>>();
  gauges->push_back(registry.AddGaugeCallback(
      "vault.core.unsealed", "Whether this node is unsealed (1) or sealed (0).", {},
      [&lifecycle]() -> std::optional<double> { return lifecycle.Sealed() ? 0 : 1; }));
  gauges->push_back(registry.AddGaugeCallback(
      "vault.core.active", "Whether this node is the active node (1) or not (0).", {},
      [&lifecycle, &ha]() -> std::optional<double> {
        return !lifecycle.Sealed() && ha.IsActive() ? 1 : 0;
      }));
  gauges->push_back(registry.AddGaugeCallback(
      "vault.autopilot.healthy",
      "Whether every raft voter is healthy (heard from within 10s, at most 1000 entries "
      "behind) (1) or not (0); on the leader only.",
      {}, [&ha]() -> std::optional<double> {
        auto health = LeaderVoterHealth(ha);
        if (!health) return std::nullopt;
        return health->healthy == health->voters ? 1 : 0;
      }));
  gauges->push_back(registry.AddGaugeCallback(
      "vault.autopilot.failure_tolerance",
      "How many more healthy voters the cluster can lose and keep its quorum; on the leader "
      "only.",
      {}, [&ha]() -> std::optional<double> {
        auto health = LeaderVoterHealth(ha);
        if (!health) return std::nullopt;
        return std::max(0, health->healthy - (health->voters / 2 + 1));
      }));
  // A usage gauge: cached for usage_gauge_period, off with "none".
  gauges->push_back(registry.AddGaugeCallback(
      "vault.token.count", "Service tokens stored (active node only).", {},
      [&lifecycle, &ha]() -> std::optional<double> {
        if (lifecycle.Sealed() || !ha.IsActive()) return std::nullopt;
        double total = 0;
        Status counted = lifecycle.Tokens().ForEachToken("", [&total](const auto&) {
          ++total;
          return Status::Ok();
        });
        if (!counted.ok()) return std::nullopt;
        return total;
      },
      /*usage=*/true));
  const struct {
    const char* name;
    const char* field;
    const char* help;
  } snapshot_gauges[] = {
      {"tresor.snapshot.auto.last_verified_age_seconds", "last_verified_age_seconds",
       "Age of the newest verified automated snapshot of each schedule (s)."},
      {"tresor.snapshot.auto.last_verified_index", "last_verified_index",
       "Raft index of the newest verified automated snapshot of each schedule."},
      {"tresor.snapshot.auto.consecutive_failures", "consecutive_failures",
       "Automated snapshots of each schedule that failed in a row."},
  };
  for (const auto& g : snapshot_gauges) {
    const char* field = g.field;
    gauges->push_back(registry.AddGaugeFamilyCallback(
        g.name, g.help, [&lifecycle, &ha, &auto_snapshots, field] {
          return SnapshotSeries(lifecycle, ha, auto_snapshots, field);
        }));
  }

  gauges->push_back(registry.AddGaugeFamilyCallback(
      "vault.secret.kv.count", "Secrets stored in each KV mount (active node only).",
      [&lifecycle, &ha, &mounts] { return KvCountSeries(lifecycle, ha, mounts); },
      /*usage=*/true));
  const struct {
    const char* name;
    metrics::Registry::SeriesList ReplicationSeries::*series;
    const char* help;
  } replication_gauges[] = {
      {"vault.replication.wal.last_wal", &ReplicationSeries::last_wal,
       "DR primary: index of the last entry of its replication log."},
      {"vault.replication.fsm.last_remote_wal", &ReplicationSeries::last_remote_wal,
       "DR secondary: index of the last primary entry it applied."},
      {"tresor.replication.dr.lag_wal", &ReplicationSeries::lag_wal,
       "Entries a DR secondary trails its primary by (label secondary)."},
      {"tresor.replication.dr.lag_seconds", &ReplicationSeries::lag_seconds,
       "DR secondary: every write its primary acknowledged longer ago than this is here (s)."},
      {"tresor.replication.dr.connected", &ReplicationSeries::connected,
       "Whether the DR channel to the peer (label secondary) is connected (1) or not (0)."},
  };
  for (const auto& g : replication_gauges) {
    auto member = g.series;
    gauges->push_back(registry.AddGaugeFamilyCallback(
        g.name, g.help, [&dr, member] { return ReadReplication(dr).*member; }));
  }

  SysRoute route;
  route.unauthenticated = registry.settings().unauthenticated_metrics_access;
  route.handlers[Operation::kRead] = [gauges, &clock](const Request& request)
      -> StatusOr<Response> {
    metrics::Registry& registry = metrics::Default();
    std::string format;
    if (auto it = request.query.find("format"); it != request.query.end()) format = it->second;
    if (format.empty() && request.data.is_object() && request.data.contains("format") &&
        request.data["format"].is_string()) {
      format = request.data["format"].get<std::string>();
    }
    if (format == "prometheus") {
      if (registry.settings().prometheus_retention_time.count() == 0) {
        return InvalidArgumentError(
            "prometheus is not enabled: set prometheus_retention_time in the telemetry block "
            "to a duration above 0 (e.g. \"24h\")");
      }
      auto text = std::make_shared<std::string>(
          registry.RenderPrometheus(std::chrono::steady_clock::now()));
      Response response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body_stream = [text](const std::function<Status(std::string_view)>& write) {
        return write(*text);
      };
      return response;
    }
    if (!format.empty() && format != "json") {
      return InvalidArgumentError("format: unknown format \"" + format +
                                  "\"; use format=prometheus, or format=json (the default)");
    }
    return Response::Raw(registry.RenderJson(clock.Now(), std::chrono::steady_clock::now()));
  };
  router.Add("sys/metrics", std::move(route));
}

}  // namespace tresor::core

// GET sys/metrics. See sys_metrics_handlers.h and docs/observability.md.
#include "core/sys_metrics_handlers.h"

#include <memory>
#include <vector>

#include "common/metrics.h"
#include "storage/raft/raft_backend.h"

namespace tresor::core {
namespace {

// Vault's autopilot default: a voter not heard from for this long is
// unhealthy.
constexpr std::int64_t kLastContactThresholdMs = 10'000;

struct VoterHealth {
  int voters = 0;
  int healthy = 0;
};

// Known on the raft leader only (as Vault reports autopilot from the
// leader); nullopt elsewhere.
std::optional<VoterHealth> LeaderVoterHealth(Ha& ha) {
  storage::RaftBackend* raft = ha.raft();
  if (raft == nullptr || !raft->node().IsLeader()) return std::nullopt;
  VoterHealth health;
  for (const raft::ServerInfo& server : raft->node().GetStatus().configuration) {
    if (!server.voter) continue;
    ++health.voters;
    if (server.last_contact_ms >= 0 && server.last_contact_ms < kLastContactThresholdMs) {
      ++health.healthy;
    }
  }
  return health;
}

}  // namespace

void RegisterMetricsHandlers(SysRouter& router, Lifecycle& lifecycle, Ha& ha, Clock& clock) {
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
      "Whether every raft voter was heard from within 10s (1) or not (0); on the leader only.",
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

// sys/health (GET and HEAD, with Vault's query parameters) and sys/leader.
#include <chrono>
#include <charconv>

#include <nlohmann/json.hpp>

#include "common/version.h"
#include "core/core.h"
#include "core/sys_handlers.h"

namespace tresor::core {
namespace {

StatusOr<bool> QueryBool(const Request& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return false;
  const std::string& v = it->second;
  // Vault treats a bare "?standbyok" as true.
  if (v.empty() || v == "true" || v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "True") {
    return true;
  }
  if (v == "false" || v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "False") {
    return false;
  }
  return InvalidArgumentError("bad value for " + name + " parameter: expected true or false");
}

StatusOr<int> QueryCode(const Request& req, const std::string& name, int fallback) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return fallback;
  const std::string& v = it->second;
  int code = 0;
  auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), code);
  if (err != std::errc() || end != v.data() + v.size() || code < 100 || code > 599) {
    return InvalidArgumentError("bad value for " + name +
                                " parameter: expected an HTTP status code from 100 to 599");
  }
  return code;
}

StatusOr<Response> HandleHealth(SysContext ctx, const Request& req) {
  // Parse every parameter first, so a bad one is reported whatever the state.
  TRESOR_ASSIGN_OR_RETURN(bool standby_ok, QueryBool(req, "standbyok"));
  TRESOR_ASSIGN_OR_RETURN(bool perf_standby_ok, QueryBool(req, "perfstandbyok"));
  TRESOR_ASSIGN_OR_RETURN(int active_code, QueryCode(req, "activecode", 200));
  TRESOR_ASSIGN_OR_RETURN(int standby_code, QueryCode(req, "standbycode", 429));
  TRESOR_ASSIGN_OR_RETURN(int dr_code, QueryCode(req, "drsecondarycode", 472));
  TRESOR_ASSIGN_OR_RETURN(int perf_code, QueryCode(req, "performancestandbycode", 473));
  TRESOR_ASSIGN_OR_RETURN(int sealed_code, QueryCode(req, "sealedcode", 503));
  TRESOR_ASSIGN_OR_RETURN(int uninit_code, QueryCode(req, "uninitcode", 501));
  TRESOR_ASSIGN_OR_RETURN(int removed_code, QueryCode(req, "removedcode", 530));
  TRESOR_ASSIGN_OR_RETURN(int ha_unhealthy_code, QueryCode(req, "haunhealthycode", 474));
  // No performance replication; removed nodes and HA health are reported
  // through sys/storage/raft/autopilot/state instead.
  (void)perf_standby_ok, (void)perf_code, (void)removed_code, (void)ha_unhealthy_code;

  TRESOR_ASSIGN_OR_RETURN(SealStatus status, ctx.lifecycle.GetSealStatus());
  const replication::Mode dr_mode = ctx.dr.mode();
  bool standby = !status.sealed && ctx.ha.IsStandby();
  // As Vault: every unsealed node of a DR secondary answers the DR code.
  int code = !status.initialized                        ? uninit_code
             : status.sealed                            ? sealed_code
             : dr_mode == replication::Mode::kSecondary ? dr_code
             : standby                                  ? (standby_ok ? active_code : standby_code)
                                                        : active_code;
  nlohmann::json body = {
      {"initialized", status.initialized},
      {"sealed", status.sealed},
      {"standby", standby},
      {"performance_standby", false},
      {"replication_performance_mode", "disabled"},
      {"replication_dr_mode", replication::ModeName(dr_mode)},
      {"server_time_utc", std::chrono::duration_cast<std::chrono::seconds>(
                              ctx.clock.Now().time_since_epoch())
                              .count()},
      {"version", kReportedVersion}};
  // Tresor's own: Vault's health does not say when its audit fails closed.
  body["audit_failing"] = ctx.audit_failing != nullptr && ctx.audit_failing();
  if (!status.sealed) {
    body["cluster_name"] = status.cluster_name;
    body["cluster_id"] = status.cluster_id;
  }
  return Response::Raw(std::move(body), code);
}

StatusOr<Response> HandleLeader(SysContext ctx, const Request&) {
  LeaderInfo leader = ctx.ha.Leader();
  nlohmann::json body = {{"ha_enabled", leader.ha_enabled},
                         {"is_self", leader.is_self},
                         {"active_time", leader.active_time},
                         {"leader_address", leader.leader_address},
                         {"leader_cluster_address", leader.leader_cluster_address},
                         {"performance_standby", false},
                         {"performance_standby_last_remote_wal", 0}};
  if (leader.ha_enabled) {
    body["raft_committed_index"] = leader.raft_committed_index;
    body["raft_applied_index"] = leader.raft_applied_index;
  }
  return Response::Raw(std::move(body));
}

}  // namespace

void RegisterHealthHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  router.Add("sys/health", {.unauthenticated = true,
                            .handlers = {{Operation::kRead, std::bind(HandleHealth, ctx, _1)}}});
  router.Add("sys/leader", {.unauthenticated = true,
                            .handlers = {{Operation::kRead, std::bind(HandleLeader, ctx, _1)}}});
}

}  // namespace tresor::core

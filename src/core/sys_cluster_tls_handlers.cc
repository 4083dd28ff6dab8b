// sys/storage/raft/cluster-tls (read) and sys/storage/raft/cluster-tls/rotate
// (update): the cluster port's certificate authority (raft/cluster_tls.h,
// docs/cluster-security.md, "TLS"). Tresor's own endpoints: Vault rotates
// its cluster certificates by itself and offers no API for it. Both need
// sudo; neither ever shows a private key.
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/core.h"
#include "core/sys_handlers.h"
#include "common/cluster_ca.h"

namespace tresor::core {
namespace {

StatusOr<Response> DescribeClusterCas(SysContext ctx, const std::string& record) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<ClusterCaInfo> cas,
                          DescribeClusterTlsRecord(record, ctx.clock.Now()));
  nlohmann::json list = nlohmann::json::array();
  for (const ClusterCaInfo& ca : cas) {
    list.push_back({{"serial_number", ca.serial_hex},
                    {"created", FormatRfc3339(ca.created)},
                    {"not_after", FormatRfc3339(ca.not_after)},
                    {"signing", ca.signing}});
  }
  return Response::Data({{"cas", list},
                         {"activation_delay_seconds", kCaActivationDelay.count()},
                         {"node_cert_ttl_days", kNodeCertValidDays}});
}

Status RequireClusterPort(SysContext ctx) {
  if (ctx.ha.cluster() == nullptr) {
    return InvalidArgumentError("the cluster CA exists only with storage \"raft\": this node "
                                "has no cluster port");
  }
  return Status::Ok();
}

StatusOr<Response> HandleClusterTlsRead(SysContext ctx, const Request&) {
  TRESOR_RETURN_IF_ERROR(RequireClusterPort(ctx));
  TRESOR_ASSIGN_OR_RETURN(std::string record, ctx.ha.ClusterTlsRecord());
  return DescribeClusterCas(ctx, record);
}

StatusOr<Response> HandleClusterTlsRotate(SysContext ctx, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RequireClusterPort(ctx));
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {}));
  TRESOR_ASSIGN_OR_RETURN(std::string record, ctx.ha.RotateClusterTls());
  return DescribeClusterCas(ctx, record);
}

}  // namespace

void RegisterClusterTlsHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  router.Add("sys/storage/raft/cluster-tls",
             {.sudo = true, .handlers = {{Operation::kRead, std::bind(HandleClusterTlsRead, ctx, _1)}}});
  router.Add("sys/storage/raft/cluster-tls/rotate",
             {.sudo = true, .handlers = {{Operation::kUpdate, std::bind(HandleClusterTlsRotate, ctx, _1)}}});
}

}  // namespace tresor::core

// sys/host-info, sys/in-flight-req and sys/internal/counters/tokens: what an
// operator asks a node about itself (docs/observability.md).
#include "core/core.h"
#include "core/host_info.h"
#include "core/in_flight.h"
#include "core/sys_handlers.h"

namespace tresor::core {

void RegisterRuntimeHandlers(SysRouter& router, SysContext context, InFlightRequests& in_flight) {
  // The machine's facts: sudo, as they help an attacker plan.
  SysRoute host;
  host.sudo = true;
  host.handlers[Operation::kRead] = [context](const Request&) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json info, ReadHostInfo(context.clock.Now()));
    return Response::Data(std::move(info));
  };
  router.Add("sys/host-info", std::move(host));

  // This node's requests being answered now (the request asking included).
  SysRoute flight;
  flight.handlers[Operation::kRead] = [&in_flight](const Request&) -> StatusOr<Response> {
    return Response::Raw(in_flight.Describe());
  };
  router.Add("sys/in-flight-req", std::move(flight));

  // Service tokens stored (batch tokens are not stored, so not counted).
  SysRoute tokens;
  tokens.handlers[Operation::kRead] = [context](const Request&) -> StatusOr<Response> {
    long long total = 0;
    TRESOR_RETURN_IF_ERROR(context.lifecycle.Tokens().ForEachToken(
        "", [&total](const engines::token::TokenEntry&) {
          ++total;
          return Status::Ok();
        }));
    return Response::Data({{"counters", {{"service_tokens", {{"total", total}}}}}});
  };
  router.Add("sys/internal/counters/tokens", std::move(tokens));

  // The running config without secrets (server/config_sanitized.h): sudo, as
  // in Vault.
  SysRoute config;
  config.sudo = true;
  config.handlers[Operation::kRead] = [context](const Request&) -> StatusOr<Response> {
    if (context.options.sanitized_config.is_null()) {
      return NotFoundError("this server was started without a config file to show");
    }
    return Response::Data(context.options.sanitized_config);
  };
  router.Add("sys/config/state/sanitized", std::move(config));
}

}  // namespace tresor::core

#include "core/core.h"

#include "core/sys_handlers.h"

namespace tresor::core {

Core::Core(storage::Backend& physical, Clock& clock, CoreOptions options)
    : clock_(clock),
      options_(std::move(options)),
      lifecycle_(physical, clock, options_.cluster_name) {
  RegisterSysHandlers(sys_, SysContext{lifecycle_, options_, clock_});
}

Status Core::Authorize(const Request& request, bool root_only) {
  if (request.client_token.empty()) return PermissionDeniedError();
  TRESOR_ASSIGN_OR_RETURN(auto entry, lifecycle_.Tokens().Lookup(request.client_token));
  if (!entry.has_value()) return PermissionDeniedError();
  if (root_only && !entry->IsRoot()) return PermissionDeniedError();
  return Status::Ok();
}

StatusOr<Response> Core::Handle(const Request& request) {
  const SysRoute* route = sys_.Find(request.path);
  if (route == nullptr || !route->unauthenticated) {
    if (lifecycle_.Sealed()) return SealedError();
    TRESOR_RETURN_IF_ERROR(Authorize(request, route != nullptr && route->sudo));
  }
  if (route == nullptr) {
    return NotFoundError("no handler for route \"" + request.path + "\". route entry not found.");
  }
  auto handler = route->handlers.find(request.operation);
  if (handler == route->handlers.end()) {
    return UnsupportedOperationError(std::string(OperationName(request.operation)) +
                                     " is not supported on " + request.path);
  }
  return handler->second(request);
}

}  // namespace tresor::core

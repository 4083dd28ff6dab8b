// sys/key-status and sys/rotate.
#include <nlohmann/json.hpp>

#include "core/sys_handlers.h"

namespace tresor::core {
namespace {

StatusOr<Response> HandleKeyStatus(SysContext ctx, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(auto status, ctx.lifecycle.KeyStatus());
  Response r = Response::Data({{"term", status.term},
                               {"install_time", FormatRfc3339(status.install_time)},
                               {"encryptions", status.encryptions}});
  r.shape = Response::Shape::kEnvelopeWithTopLevelData;
  return r;
}

StatusOr<Response> HandleRotate(SysContext ctx, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(auto status, ctx.lifecycle.Rotate());
  (void)status;
  return Response::Empty();
}

}  // namespace

void RegisterKeyHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  router.Add("sys/key-status",
             {.sudo = true,
              .handlers = {{Operation::kRead, std::bind(HandleKeyStatus, ctx, _1)}}});
  router.Add("sys/rotate", {.sudo = true,
                            .handlers = {{Operation::kUpdate, std::bind(HandleRotate, ctx, _1)}}});
}

}  // namespace tresor::core

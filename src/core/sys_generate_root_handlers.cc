// sys/generate-root/attempt and sys/generate-root/update
// (core/generate_root.h). Unauthenticated, as in Vault: the unseal key
// shares are the authority.
#include <nlohmann/json.hpp>

#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::OptionalString;
using engines::RefuseUnsupported;

nlohmann::json GenerateRootStatusJson(const GenerateRootStatus& s) {
  nlohmann::json j = {{"started", s.started},
                      {"nonce", s.nonce},
                      {"progress", s.progress},
                      {"required", s.required},
                      {"complete", s.complete},
                      {"encoded_token", s.encoded_token},
                      {"encoded_root_token", s.encoded_token},
                      {"pgp_fingerprint", ""},
                      {"otp", s.otp},
                      {"otp_length", s.otp_length}};
  return j;
}

StatusOr<Response> HandleAttemptRead(GenerateRoot& flow, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(GenerateRootStatus status, flow.Status());
  return Response::Raw(GenerateRootStatusJson(status));
}

StatusOr<Response> HandleAttemptStart(GenerateRoot& flow, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {"otp", "pgp_key"}));
  TRESOR_RETURN_IF_ERROR(RefuseUnsupported(
      req.data, "pgp_key", "Tresor does not encrypt the new root token with PGP yet; leave "
                           "pgp_key out and decode the token with the OTP"));
  TRESOR_ASSIGN_OR_RETURN(auto otp, OptionalString(req.data, "otp"));
  if (otp.has_value() && otp->empty()) otp.reset();
  TRESOR_ASSIGN_OR_RETURN(GenerateRootStatus status, flow.Attempt(otp));
  return Response::Raw(GenerateRootStatusJson(status));
}

StatusOr<Response> HandleAttemptCancel(GenerateRoot& flow, const Request&) {
  flow.Cancel();
  return Response::Empty();
}

StatusOr<Response> HandleGenerateRootUpdate(GenerateRoot& flow, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(ShareAndNonce input, ReadShareAndNonce(req.data));
  TRESOR_ASSIGN_OR_RETURN(GenerateRootStatus status,
                          flow.Update(input.share, input.nonce));
  return Response::Raw(GenerateRootStatusJson(status));
}

}  // namespace

void RegisterGenerateRootFlow(SysRouter& router, const std::string& base, GenerateRoot& flow) {
  using std::placeholders::_1;
  router.Add(base + "/attempt",
             {.unauthenticated = true,
              .handlers = {{Operation::kRead, std::bind(HandleAttemptRead, std::ref(flow), _1)},
                           {Operation::kUpdate, std::bind(HandleAttemptStart, std::ref(flow), _1)},
                           {Operation::kDelete,
                            std::bind(HandleAttemptCancel, std::ref(flow), _1)}}});
  router.Add(base + "/update",
             {.unauthenticated = true,
              .handlers = {{Operation::kUpdate,
                            std::bind(HandleGenerateRootUpdate, std::ref(flow), _1)}}});
}

void RegisterGenerateRootHandlers(SysRouter& router, SysContext ctx) {
  RegisterGenerateRootFlow(router, "sys/generate-root", ctx.generate_root);
}

}  // namespace tresor::core

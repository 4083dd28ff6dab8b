// sys/wrapping/{wrap,unwrap,lookup,rewrap} (docs/wrapping.md). The token to
// act on is the body's `token`, else the caller's own token: a wrapping
// token may call unwrap and rewrap on itself without any policy (core lets
// it, and nothing else). lookup needs no token, as in Vault.
#include "core/response_wrapping.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

// The wrapping token a request names: `token` in the body, else its own.
StatusOr<std::string> NamedWrappingToken(const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  TRESOR_ASSIGN_OR_RETURN(auto token, fields.String("token"));
  if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
    return InvalidArgumentError(*unknown);
  }
  if (token.has_value() && !token->empty()) return std::move(*token);
  if (request.client_token.empty()) {
    return InvalidArgumentError("token: missing (the wrapping token to use)");
  }
  return request.client_token;
}

}  // namespace

bool IsWrappingSelfServicePath(std::string_view path) {
  return path == "sys/wrapping/unwrap" || path == "sys/wrapping/rewrap" ||
         path == "sys/wrapping/lookup";
}

void RegisterWrappingHandlers(SysRouter& router, ResponseWrapping& wrapping) {
  // The body itself is the answer; core wraps it (kDefaultWrapTtl when the
  // request gave no TTL).
  SysRoute wrap;
  wrap.handlers[Operation::kUpdate] = [](const Request& request) -> StatusOr<Response> {
    if (!request.data.is_object() || request.data.empty()) {
      return InvalidArgumentError("empty request body: give the fields to wrap as a JSON object");
    }
    return Response::Data(request.data);
  };
  router.Add("sys/wrapping/wrap", std::move(wrap));

  SysRoute unwrap;
  unwrap.handlers[Operation::kUpdate] = [&wrapping](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(std::string token, NamedWrappingToken(request));
    return wrapping.Unwrap(token);
  };
  router.Add("sys/wrapping/unwrap", std::move(unwrap));

  SysRoute rewrap;
  rewrap.handlers[Operation::kUpdate] = [&wrapping](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(std::string token, NamedWrappingToken(request));
    return wrapping.Rewrap(token);
  };
  router.Add("sys/wrapping/rewrap", std::move(rewrap));

  SysRoute lookup;
  lookup.unauthenticated = true;
  auto look = [&wrapping](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(std::string token, NamedWrappingToken(request));
    return wrapping.Lookup(token);
  };
  lookup.handlers[Operation::kUpdate] = look;
  lookup.handlers[Operation::kRead] = look;
  router.Add("sys/wrapping/lookup", std::move(lookup));
}

}  // namespace tresor::core

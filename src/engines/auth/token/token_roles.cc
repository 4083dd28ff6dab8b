// auth/token/roles and auth/token/roles/<name>: Vault's token role
// endpoints over the roles TokenStore keeps (token_role.h has the fields).
//
//   LIST   roles          the names; 404 when there are none, as Vault
//   GET    roles/<name>   the role; 404 when there is none
//   POST   roles/<name>   creates it, or updates the fields given
//   DELETE roles/<name>   204, also when there is none

#include "engines/auth/token/token_engine.h"

namespace tresor::engines::token {

TtlLimits TokenEngine::LimitsFor(const logical::Request& request) const {
  TtlLimits limits = store_.limits();
  if (request.mount_default_lease_ttl.count() > 0) {
    limits.default_ttl = request.mount_default_lease_ttl;
  }
  if (request.mount_max_lease_ttl.count() > 0) limits.max_ttl = request.mount_max_lease_ttl;
  return limits;
}

StatusOr<logical::Response> TokenEngine::HandleRoles(const logical::Request& request) {
  using logical::Operation;
  auto unsupported = [&request] {
    return UnsupportedOperationError(std::string(logical::OperationName(request.operation)) +
                                     " is not supported on auth/token/" + request.path);
  };
  if (request.path == "roles") {
    if (request.operation != Operation::kList) return unsupported();
    TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, store_.ListRoles());
    if (names.empty()) return NotFoundError("");
    return logical::Response::Data({{"keys", std::move(names)}});
  }
  const std::string name = request.path.substr(std::string_view("roles/").size());
  TRESOR_RETURN_IF_ERROR(ValidateRoleName(name));
  switch (request.operation) {
    case Operation::kRead: {
      TRESOR_ASSIGN_OR_RETURN(auto role, store_.ReadRole(name));
      if (!role.has_value()) return NotFoundError("");
      return logical::Response::Data(TokenRoleData(*role));
    }
    case Operation::kCreate:
    case Operation::kUpdate: {
      TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
      // Fields not given keep their stored value, or the default for a new
      // role (Vault's create and update).
      TRESOR_ASSIGN_OR_RETURN(auto stored, store_.ReadRole(name));
      TokenRole role = stored.value_or(TokenRole{});
      role.name = name;
      TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                              ApplyRoleFields(fields, LimitsFor(request).max_ttl, &role));
      TRESOR_RETURN_IF_ERROR(store_.WriteRole(role));
      logical::Response response;
      response.warnings = std::move(warnings);
      if (auto unused = fields.UnusedFieldsWarning()) response.warnings.push_back(*unused);
      return response;
    }
    case Operation::kDelete:
      TRESOR_RETURN_IF_ERROR(store_.DeleteRole(name));
      return logical::Response::Empty();
    default:
      return unsupported();
  }
}

}  // namespace tresor::engines::token

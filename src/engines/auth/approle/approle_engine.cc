#include "engines/auth/approle/approle_engine.h"

#include "engines/auth/approle/approle_engine_internal.h"

namespace tresor::engines::approle {

using logical::Operation;
using logical::Request;
using logical::Response;

std::unique_ptr<logical::Engine> NewAppRoleEngine(const logical::EngineContext& context) {
  return std::make_unique<AppRoleEngine>(context);
}

bool IsApproleWrite(Operation op) { return op == Operation::kCreate || op == Operation::kUpdate; }

Status ApproleUnsupported(const Request& request) {
  return UnsupportedOperationError(std::string(logical::OperationName(request.operation)) +
                                   " is not supported on " + request.mount_point + request.path);
}

StatusOr<std::string> ApproleRequiredString(FieldReader& fields, std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto value, fields.String(name));
  if (!value.has_value() || value->empty()) {
    return InvalidArgumentError("missing " + std::string(name));
  }
  return std::move(*value);
}

void AddApproleUnusedWarning(const FieldReader& fields, Response& response) {
  if (auto warning = fields.UnusedFieldsWarning()) response.warnings.push_back(*warning);
}

StatusOr<Response> AppRoleEngine::Handle(const Request& request) {
  const std::string_view path = request.path;
  if (path == "login") {
    if (!IsApproleWrite(request.operation)) return ApproleUnsupported(request);
    return Login(request);
  }
  if (path == "tidy/secret-id") {
    if (!IsApproleWrite(request.operation)) return ApproleUnsupported(request);
    return Tidy();
  }
  if (path == "role") {
    if (request.operation != Operation::kList) return ApproleUnsupported(request);
    return ListRoles();
  }
  if (!path.starts_with("role/")) return NotFoundError("unsupported path");
  std::string_view rest = path.substr(std::string_view("role/").size());
  const std::size_t slash = rest.find('/');
  TRESOR_ASSIGN_OR_RETURN(std::string name, RoleName(rest.substr(0, slash)));
  if (slash == std::string_view::npos) return HandleRole(name, request);
  const std::string_view sub = rest.substr(slash + 1);
  if (sub == "role-id") return HandleRoleId(name, request);
  if (auto answer = HandleSecretIds(name, sub, request)) return std::move(*answer);
  if (auto answer = HandleRoleField(name, sub, request)) return std::move(*answer);
  return NotFoundError("unsupported path");
}

StatusOr<std::optional<bool>> AppRoleEngine::Exists(const Request& request) {
  std::string_view path = request.path;
  if (!path.starts_with("role/") || path.find('/', 5) != std::string_view::npos) {
    return std::optional<bool>();
  }
  auto name = RoleName(path.substr(5));
  if (!name.ok()) return std::optional<bool>();
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(*name));
  return std::optional<bool>(role.has_value());
}

}  // namespace tresor::engines::approle

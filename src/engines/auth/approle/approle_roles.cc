// The role endpoints: role (LIST), role/<name>, role/<name>/role-id, the
// per-field paths and role/<name>/local-secret-ids.
#include "engines/auth/approle/approle_engine.h"
#include "engines/auth/approle/approle_engine_internal.h"

namespace tresor::engines::approle {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

// A path that reads, sets or resets some fields of a role, so that ACL
// policy can delegate one field (Vault's role/<name>/<field> paths).
struct ApproleFieldPath {
  std::string_view path;
  // The body fields it takes; the first is the one named when none is given.
  std::vector<std::string_view> fields;
  // The fields its GET shows.
  std::vector<std::string_view> shown;
  // What DELETE writes: the field's default.
  nlohmann::json reset;
};

const std::vector<ApproleFieldPath>& ApproleFieldPaths() {
  static const std::vector<ApproleFieldPath> paths = {
      {"policies",
       {"token_policies", "policies"},
       {"token_policies", "policies"},
       {{"token_policies", nlohmann::json::array()}}},
      {"secret-id-num-uses",
       {"secret_id_num_uses"},
       {"secret_id_num_uses"},
       {{"secret_id_num_uses", 0}}},
      {"secret-id-ttl", {"secret_id_ttl"}, {"secret_id_ttl"}, {{"secret_id_ttl", 0}}},
      {"token-ttl", {"token_ttl"}, {"token_ttl"}, {{"token_ttl", 0}}},
      {"token-max-ttl", {"token_max_ttl"}, {"token_max_ttl"}, {{"token_max_ttl", 0}}},
      {"token-num-uses", {"token_num_uses"}, {"token_num_uses"}, {{"token_num_uses", 0}}},
      {"bind-secret-id", {"bind_secret_id"}, {"bind_secret_id"}, {{"bind_secret_id", true}}},
      {"secret-id-bound-cidrs",
       {"secret_id_bound_cidrs"},
       {"secret_id_bound_cidrs"},
       {{"secret_id_bound_cidrs", nlohmann::json::array()}}},
      {"token-bound-cidrs",
       {"token_bound_cidrs"},
       {"token_bound_cidrs"},
       {{"token_bound_cidrs", nlohmann::json::array()}}},
      {"period", {"token_period", "period"}, {"token_period", "period"}, {{"token_period", 0}}},
      {"local-secret-ids", {}, {"local_secret_ids"}, nullptr},
  };
  return paths;
}

}  // namespace

StatusOr<Response> AppRoleEngine::ListRoles() {
  TRESOR_ASSIGN_OR_RETURN(auto names, store_.ListRoles());
  if (names.empty()) return NotFoundError("");
  return Response::Data({{"keys", std::move(names)}});
}

StatusOr<Response> AppRoleEngine::HandleRole(const std::string& name, const Request& request) {
  switch (request.operation) {
    case Operation::kRead: {
      TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
      if (!role.has_value()) return NotFoundError("");
      return Response::Data(RoleReadData(*role));
    }
    case Operation::kCreate:
    case Operation::kUpdate: {
      TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
      Response response;
      TRESOR_RETURN_IF_ERROR(store_
                                 .UpdateRole(name,
                                             [&](std::optional<Role>& role) {
                                               const bool creating = !role.has_value();
                                               if (creating) role.emplace();
                                               return ApplyRoleFields(fields, creating, *role,
                                                                      response.warnings);
                                             })
                                 .status());
      AddApproleUnusedWarning(fields, response);
      return response;
    }
    case Operation::kDelete:
      TRESOR_RETURN_IF_ERROR(store_.DeleteRole(name));
      return Response::Empty();
    default:
      return ApproleUnsupported(request);
  }
}

StatusOr<Response> AppRoleEngine::HandleRoleId(const std::string& name, const Request& request) {
  if (request.operation == Operation::kRead) {
    TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
    if (!role.has_value()) return NotFoundError("");
    return Response::Data({{"role_id", role->role_id}});
  }
  if (!IsApproleWrite(request.operation)) return ApproleUnsupported(request);
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  TRESOR_ASSIGN_OR_RETURN(std::string role_id, ApproleRequiredString(fields, "role_id"));
  TRESOR_RETURN_IF_ERROR(store_
                             .UpdateRole(name,
                                         [&](std::optional<Role>& role) {
                                           if (role.has_value()) role->role_id = role_id;
                                           return Status::Ok();
                                         })
                             .status());
  Response response;
  AddApproleUnusedWarning(fields, response);
  return response;
}

std::optional<StatusOr<Response>> AppRoleEngine::HandleRoleField(const std::string& name,
                                                                 std::string_view sub,
                                                                 const Request& request) {
  const auto& paths = ApproleFieldPaths();
  auto it = std::find_if(paths.begin(), paths.end(),
                         [&](const ApproleFieldPath& p) { return p.path == sub; });
  if (it == paths.end()) return std::nullopt;
  const ApproleFieldPath& field_path = *it;

  if (request.operation == Operation::kRead) {
    TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
    if (!role.has_value()) return StatusOr<Response>(NotFoundError(""));
    nlohmann::json all = RoleReadData(*role);
    nlohmann::json data = nlohmann::json::object();
    for (std::string_view key : field_path.shown) data[std::string(key)] = all[std::string(key)];
    return StatusOr<Response>(Response::Data(std::move(data)));
  }
  const bool is_delete = request.operation == Operation::kDelete;
  if (field_path.fields.empty() || (!is_delete && !IsApproleWrite(request.operation))) {
    return StatusOr<Response>(ApproleUnsupported(request));
  }

  // Only this path's fields reach the role; any other is reported unused.
  TRESOR_ASSIGN_OR_RETURN(FieldReader body, FieldReader::FromRequest(request));
  nlohmann::json given = nlohmann::json::object();
  if (is_delete) {
    given = field_path.reset;
  } else {
    for (std::string_view key : field_path.fields) {
      const nlohmann::json& value = body.Raw(key);
      if (!value.is_null()) given[std::string(key)] = value;
    }
    if (given.empty()) {
      return StatusOr<Response>(
          InvalidArgumentError("missing " + std::string(field_path.fields.front())));
    }
  }
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromObject(given, "body"));
  Response response;
  TRESOR_RETURN_IF_ERROR(store_
                             .UpdateRole(name,
                                         [&](std::optional<Role>& role) {
                                           if (!role.has_value())
                                             return Status::Ok();  // UpdateRole: NotFound
                                           return ApplyRoleFields(fields, /*creating=*/false, *role,
                                                                  response.warnings);
                                         })
                             .status());
  if (!is_delete) AddApproleUnusedWarning(body, response);
  return StatusOr<Response>(std::move(response));
}

}  // namespace tresor::engines::approle

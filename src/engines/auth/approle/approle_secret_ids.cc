// The secret ID endpoints of a role, and tidy/secret-id.
#include "common/logging.h"
#include "common/random.h"
#include "engines/auth/approle/approle_engine.h"
#include "engines/auth/approle/approle_engine_internal.h"

namespace tresor::engines::approle {

using logical::Operation;
using logical::Request;
using logical::Response;

std::optional<StatusOr<Response>> AppRoleEngine::HandleSecretIds(const std::string& name,
                                                                 std::string_view sub,
                                                                 const Request& request) {
  const Operation op = request.operation;
  const bool write = IsApproleWrite(op);
  if (sub == "secret-id") {
    if (op == Operation::kList) return ListSecretIds(name);
    if (write) return IssueSecretId(name, request, /*custom=*/false);
  } else if (sub == "custom-secret-id") {
    if (write) return IssueSecretId(name, request, /*custom=*/true);
  } else if (sub == "secret-id/lookup" || sub == "secret-id-accessor/lookup") {
    if (write) {
      return sub.starts_with("secret-id/") ? SecretIdByValue(name, request, false)
                                           : SecretIdByAccessor(name, request, false);
    }
  } else if (sub == "secret-id/destroy" || sub == "secret-id-accessor/destroy") {
    if (write || op == Operation::kDelete) {
      return sub.starts_with("secret-id/") ? SecretIdByValue(name, request, true)
                                           : SecretIdByAccessor(name, request, true);
    }
  } else {
    return std::nullopt;
  }
  return StatusOr<Response>(ApproleUnsupported(request));
}

StatusOr<Response> AppRoleEngine::IssueSecretId(const std::string& name, const Request& request,
                                                bool custom) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  std::string secret_id;
  if (custom) {
    TRESOR_ASSIGN_OR_RETURN(secret_id, ApproleRequiredString(fields, "secret_id"));
    if (secret_id.size() > kMaxHmacInput) {
      return InvalidArgumentError("secret_id is longer than maximum of 4096 bytes");
    }
  }
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
  if (!role.has_value()) return RoleNotFoundError(name);
  if (!role->bind_secret_id) return InvalidArgumentError("bind_secret_id is not set on the role");
  TRESOR_ASSIGN_OR_RETURN(SecretIdEntry limits,
                          ReadSecretIdRequest(fields, *role, request.mount_max_lease_ttl));
  if (!custom) secret_id = RandomUuid();
  TRESOR_ASSIGN_OR_RETURN(SecretIdEntry entry,
                          store_.CreateSecretId(name, secret_id, std::move(limits)));
  Response response = Response::Data({{"secret_id", secret_id},
                                      {"secret_id_accessor", entry.accessor},
                                      {"secret_id_ttl", entry.ttl.count()},
                                      {"secret_id_num_uses", entry.num_uses}});
  SecureWipe(secret_id);
  AddApproleUnusedWarning(fields, response);
  return response;
}

StatusOr<Response> AppRoleEngine::ListSecretIds(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
  if (!role.has_value()) return RoleNotFoundError(name);
  TRESOR_ASSIGN_OR_RETURN(auto accessors, store_.ListAccessors(name));
  if (accessors.empty()) return NotFoundError("");
  return Response::Data({{"keys", std::move(accessors)}});
}

StatusOr<Response> AppRoleEngine::SecretIdByValue(const std::string& name, const Request& request,
                                                  bool destroy) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  TRESOR_ASSIGN_OR_RETURN(std::string secret_id, ApproleRequiredString(fields, "secret_id"));
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
  if (!role.has_value()) return RoleNotFoundError(name);
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.GetSecretId(name, secret_id));
  SecureWipe(secret_id);
  Response response;
  // An unknown secret ID is not an error, as in Vault: lookup answers 204.
  if (entry.has_value() && destroy) TRESOR_RETURN_IF_ERROR(store_.DestroySecretId(name, *entry));
  if (entry.has_value() && !destroy) response.data = SecretIdLookupData(*entry);
  AddApproleUnusedWarning(fields, response);
  return response;
}

StatusOr<Response> AppRoleEngine::SecretIdByAccessor(const std::string& name,
                                                     const Request& request, bool destroy) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  TRESOR_ASSIGN_OR_RETURN(std::string accessor,
                          ApproleRequiredString(fields, "secret_id_accessor"));
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(name));
  if (!role.has_value()) return RoleNotFoundError(name);
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.GetSecretIdByAccessor(name, accessor));
  if (!entry.has_value()) {
    return NotFoundError("failed to find accessor entry for secret_id_accessor: \"" +
                         accessor.substr(0, 64) + "\"");
  }
  Response response;
  if (destroy) {
    TRESOR_RETURN_IF_ERROR(store_.DestroySecretId(name, *entry));
  } else {
    response.data = SecretIdLookupData(*entry);
  }
  AddApproleUnusedWarning(fields, response);
  return response;
}

StatusOr<Response> AppRoleEngine::Tidy() {
  TRESOR_ASSIGN_OR_RETURN(ApproleTidyCounts counts, store_.Tidy());
  // As Vault does, the outcome goes to the server log, not to the client.
  spdlog::info(
      "approle tidy: removed {} expired secret IDs, {} secret IDs of missing roles or without "
      "an accessor, {} dangling accessors",
      counts.expired_secret_ids, counts.orphan_secret_ids, counts.dangling_accessors);
  return Response::TidyStarted();
}

}  // namespace tresor::engines::approle

// login: role_id and secret_id in, a Login for core to mint a token from.
#include "common/cidr.h"
#include "common/secure_memory.h"
#include "engines/auth/approle/approle_engine.h"
#include "engines/auth/approle/approle_engine_internal.h"

namespace tresor::engines::approle {
namespace {

// Vault's answer for a wrong, expired or used-up role ID or secret ID alike,
// so that it does not tell which of the two was wrong.
constexpr char kApproleInvalidLogin[] = "invalid role or secret ID";

// The client's address without its port, for messages.
std::string ApproleSourceAddress(std::string_view remote) {
  auto parsed = ParseRemoteAddress(remote);
  return parsed.has_value() ? parsed->ToString() : std::string(remote.substr(0, 64));
}

}  // namespace

StatusOr<logical::Response> AppRoleEngine::Login(const logical::Request& request) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  TRESOR_ASSIGN_OR_RETURN(std::string role_id, ApproleRequiredString(fields, "role_id"));
  TRESOR_ASSIGN_OR_RETURN(auto secret_id, fields.String("secret_id"));

  TRESOR_ASSIGN_OR_RETURN(auto name, store_.RoleNameForRoleId(role_id));
  if (!name.has_value()) return InvalidArgumentError(kApproleInvalidLogin);
  TRESOR_ASSIGN_OR_RETURN(auto role, store_.GetRole(*name));
  // The index can be stale for a moment while a role ID changes.
  if (!role.has_value() || !ConstantTimeEquals(role->role_id, role_id)) {
    return InvalidArgumentError(kApproleInvalidLogin);
  }

  std::optional<SecretIdEntry> entry;
  if (role->bind_secret_id) {
    if (!secret_id.has_value() || secret_id->empty()) {
      return InvalidArgumentError("missing secret_id");
    }
    TRESOR_ASSIGN_OR_RETURN(entry, store_.GetSecretId(*name, *secret_id));
    SecureWipe(*secret_id);
    if (!entry.has_value() || entry->ExpiredAt(store_.clock().Now())) {
      return InvalidArgumentError(kApproleInvalidLogin);
    }
    // Vault's rule: a secret ID's blocks stay within its role's, even after
    // the role is narrowed.
    TRESOR_ASSIGN_OR_RETURN(bool within,
                            CidrsWithin(entry->cidr_list, role->secret_id_bound_cidrs));
    if (!within) {
      return InvalidArgumentError(
          "the secret ID's cidr_list is no longer within the role's secret_id_bound_cidrs");
    }
    if (!entry->cidr_list.empty() && !logical::ClientInCidrs(request, entry->cidr_list)) {
      return InvalidArgumentError("source address \"" +
                                  ApproleSourceAddress(request.remote_address) +
                                  "\" unauthorized through CIDR restrictions on the secret ID");
    }
  }
  if (!role->secret_id_bound_cidrs.empty() &&
      !logical::ClientInCidrs(request, role->secret_id_bound_cidrs)) {
    return InvalidArgumentError("source address \"" + ApproleSourceAddress(request.remote_address) +
                                "\" unauthorized by CIDR restrictions on the role");
  }
  // Every check has passed: only now is a use consumed.
  if (entry.has_value() && entry->num_uses > 0) {
    TRESOR_ASSIGN_OR_RETURN(auto used, store_.UseSecretId(*name, entry->secret_id_hmac));
    if (!used.has_value()) return InvalidArgumentError(kApproleInvalidLogin);
  }

  logical::Response response;
  logical::Response::Login login;
  auth::FillLogin(role->token, login);
  if (entry.has_value()) {
    login.metadata = entry->metadata;
    if (!entry->token_bound_cidrs.empty()) login.bound_cidrs = entry->token_bound_cidrs;
  }
  login.metadata["role_name"] = role->name;
  login.display_name = "approle";
  response.login = std::move(login);
  AddApproleUnusedWarning(fields, response);
  return response;
}

}  // namespace tresor::engines::approle

// An AppRole role: what a login with its role ID (and a secret ID) may do,
// its stored JSON form, its read form, and how a request's fields change it.
//
// Who uses it: the AppRole engine's role endpoints and login, through
// AppRoleStore (approle_store.h), which persists it.
// Threads: plain values and stateless functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engines/auth/token_params.h"
#include "engines/field_reader.h"

namespace tresor::engines::approle {

// Vault's limit on what it HMACs (role names, role IDs, secret IDs).
inline constexpr std::size_t kMaxHmacInput = 4096;

struct Role {
  std::string name;     // lower-case; see RoleName
  std::string role_id;  // a UUID unless set by the caller
  bool bind_secret_id = true;
  std::vector<std::string> secret_id_bound_cidrs;
  long long secret_id_num_uses = 0;       // 0: unlimited
  std::chrono::seconds secret_id_ttl{0};  // 0: secret IDs do not expire
  // Accepted and kept for Vault compatibility; every secret ID is handled
  // the same way (docs/auth-approle.md).
  bool local_secret_ids = false;
  auth::TokenParams token;
};

// The role name in a path, lower-cased (Vault's roles are case-insensitive).
// InvalidArgument unless it is 1 to 4096 of [A-Za-z0-9_.-], beginning and
// ending with a letter, digit or '_' (Vault's GenericNameRegex).
StatusOr<std::string> RoleName(std::string_view name);

// NotFound "role \"<name>\" does not exist".
Status RoleNotFoundError(std::string_view name);

// Applies the role fields present in `fields` to `role` (update semantics:
// absent fields keep their values), then checks the whole role. `creating`
// allows local_secret_ids to be set. InvalidArgument naming the field; the
// role may then be partly changed, so callers apply to a copy. Warnings
// (token_type adjustments) are appended to `warnings`.
Status ApplyRoleFields(FieldReader& fields, bool creating, Role& role,
                       std::vector<std::string>& warnings);

// The checks that hold for every stored role: a role ID of at most 4096
// bytes, secret_id_num_uses >= 0, CIDR blocks that parse, valid token
// parameters, and at least one constraint (bind_secret_id,
// secret_id_bound_cidrs or token_bound_cidrs), as Vault requires.
Status ValidateRole(const Role& role);

// Vault's read form: bind_secret_id, secret_id_bound_cidrs,
// secret_id_num_uses, secret_id_ttl, local_secret_ids, every token_ field,
// and the older names policies and period. Never the role ID (role-id).
nlohmann::json RoleReadData(const Role& role);

// The stored form, and back. ParseRole: Corruption when malformed.
std::string SerializeRole(const Role& role);
StatusOr<Role> ParseRole(std::string_view text);

}  // namespace tresor::engines::approle

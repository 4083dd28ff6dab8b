// Token roles (auth/token/roles/<name>): what a token created against a
// role (auth/token/create/<name>) gets, whatever the creating token holds:
// Vault's tsRoleEntry. This file holds the role itself, its stored JSON, the
// reading of its fields from a request and Vault's policy rules for roles;
// the endpoints are in token_roles.cc and the creation in token_create.cc.
//
// Who calls it: the token engine; TokenStore keeps roles under "roles/" in
// its view (token_store.h). Threads: plain values and stateless functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engines/auth/token/token_entry.h"
#include "engines/field_reader.h"

namespace tresor::engines::token {

struct TokenRole {
  std::string name;
  // Sanitised as token policies (lower-case, sorted, unique; "root" alone).
  std::vector<std::string> allowed_policies;
  // Lower-case, sorted, unique.
  std::vector<std::string> disallowed_policies;
  // Glob patterns ('*' matches any run of characters), same sanitising.
  std::vector<std::string> allowed_policies_glob;
  std::vector<std::string> disallowed_policies_glob;
  bool orphan = false;
  bool renewable = true;
  // Appended to the token's path: auth/token/create/<name>/<path_suffix>.
  std::string path_suffix;
  std::chrono::seconds token_period{0};            // alias "period"
  std::chrono::seconds token_explicit_max_ttl{0};  // alias "explicit_max_ttl"
  // "service", "batch", "default-service" or "default-batch" (the default
  // ones let the caller's "type" decide).
  std::string token_type = "default-service";
  std::vector<std::string> token_bound_cidrs;  // alias "bound_cidrs"
  long long token_num_uses = 0;                // 0: unlimited
  bool token_no_default_policy = false;
};

// InvalidArgument unless name is Vault's role-name shape: letters, digits,
// '_', '-' and '.', starting and ending with a letter, digit or '_'.
Status ValidateRoleName(std::string_view name);

// Applies the role fields present in `fields` to *role (absent ones keep
// their value: the defaults above for a new role, the stored ones for an
// update), then checks the role as a whole (a batch role must be orphan,
// not renewable, not periodic, without explicit max TTL or use limit).
// max_ttl is the token mount's max TTL, for Vault's warning about an
// explicit max TTL above it. Returns warnings (deprecated alias given with
// its token_ name, explicit max TTL above max_ttl). InvalidArgument naming
// the field for bad input; *role is then partly updated and must not be
// stored.
StatusOr<std::vector<std::string>> ApplyRoleFields(FieldReader& fields,
                                                   std::chrono::seconds max_ttl, TokenRole* role);

// The stored form, and its parse (Corruption when malformed).
std::string SerializeTokenRole(const TokenRole& role);
StatusOr<TokenRole> ParseTokenRole(std::string_view text);

// The data of GET auth/token/roles/<name>, in Vault's shape.
nlohmann::json TokenRoleData(const TokenRole& role);

// Whether `name` matches `pattern`, where '*' matches any run of
// characters (Vault's policy globs).
bool PolicyGlobMatch(std::string_view pattern, std::string_view name);

// Vault's policies for a token created against `role`, when the role sets
// allowed or disallowed policies (plain or glob): `requested` (sanitised,
// or the role's allowed policies, or the parent's when the role allows any)
// must be allowed and not disallowed; "default" is added unless
// no_default_policy, the role's token_no_default_policy or the disallowed
// lists say otherwise. InvalidArgument "token policies (...) must be subset
// of the role's allowed policies (...)" or "token policy \"x\" is
// disallowed by this role". REQUIRES: RoleRestrictsPolicies(role).
StatusOr<std::vector<std::string>> RolePolicies(const TokenRole& role,
                                                const std::vector<std::string>& requested,
                                                bool no_default_policy,
                                                const std::vector<std::string>& parent_policies);
bool RoleRestrictsPolicies(const TokenRole& role);

}  // namespace tresor::engines::token

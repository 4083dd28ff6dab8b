// The token_* fields that Vault's auth methods share (its tokenutil
// package): what a login's token will be, set per user (userpass) or per
// role (AppRole). This file reads them from a request, validates them, keeps
// them in the engine's stored JSON, shows them on read, and turns them into
// the Login that core mints a token from (logical.h).
//
//   token_policies           (alias policies)     list, or "a,b"
//   token_ttl                (alias ttl)          seconds or "1h"
//   token_max_ttl            (alias max_ttl)
//   token_explicit_max_ttl
//   token_period             (alias period)
//   token_num_uses                                integer >= 0
//   token_type                                    default | service | batch |
//                                                 default-service | default-batch
//   token_bound_cidrs        (alias bound_cidrs)  list of CIDR blocks (common/cidr.h)
//   token_no_default_policy                       boolean
//
// Which aliases an endpoint knows differs by method (Vault's userpass takes
// policies, ttl, max_ttl and bound_cidrs; AppRole takes policies and
// period): the caller says. When a field and its alias are both given, the
// token_ one wins, as in Vault.
//
// Who calls it: the userpass and AppRole engines. Threads: plain values and
// stateless functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engines/field_reader.h"
#include "engines/logical.h"

namespace tresor::engines::auth {

struct TokenParams {
  // Sanitised (engines/auth/token/token_entry.h), without "default" added:
  // that happens at login unless no_default_policy.
  std::vector<std::string> policies;
  std::chrono::seconds ttl{0};               // 0: the mount's default
  std::chrono::seconds max_ttl{0};           // 0: the mount's max
  std::chrono::seconds explicit_max_ttl{0};  // 0: none
  std::chrono::seconds period{0};            // 0: not periodic
  long long num_uses = 0;                    // 0: unlimited
  // "default", "service" or "batch" ("default-service" and
  // "default-batch" are stored as service and batch, as Vault does).
  std::string type = "default";
  std::vector<std::string> bound_cidrs;  // empty: usable from anywhere
  bool no_default_policy = false;
};

// The legacy names an endpoint accepts besides the token_ ones.
struct TokenFieldAliases {
  bool policies = false;     // "policies" for token_policies
  bool ttl = false;          // "ttl" for token_ttl
  bool max_ttl = false;      // "max_ttl" for token_max_ttl
  bool period = false;       // "period" for token_period
  bool bound_cidrs = false;  // "bound_cidrs" for token_bound_cidrs
};
inline constexpr TokenFieldAliases kUserpassTokenAliases{true, true, true, false, true};
inline constexpr TokenFieldAliases kAppRoleTokenAliases{true, false, false, true, false};

// Reads every token field (and the allowed aliases) present in `fields`
// onto `params`, leaving the absent ones as they are (update semantics),
// then validates the result with ValidateTokenParams. InvalidArgument naming
// the field on a bad type or value; `params` may then be partly changed, so
// callers parse into a copy. Adds Vault's warning to `warnings` when a
// default-service / default-batch type is adjusted.
Status ParseTokenFields(FieldReader& fields, const TokenFieldAliases& aliases, TokenParams& params,
                        std::vector<std::string>& warnings);

// Reads only token_policies (or "policies", when allowed) onto
// params.policies. Returns whether either was given.
StatusOr<bool> ParseTokenPolicies(FieldReader& fields, bool allow_alias, TokenParams& params);

// A list of CIDR blocks read from field `field`: entries trimmed, empty ones
// dropped, each checked (common/cidr.h). InvalidArgument "<field>: ..." for
// the first that does not parse. For every CIDR list an auth method takes.
StatusOr<std::vector<std::string>> CidrListField(std::string_view field,
                                                 std::vector<std::string> cidrs);

// The rules that hold between fields: token_num_uses >= 0; token_ttl no
// greater than a non-zero token_max_ttl; a batch token neither periodic nor
// use-limited; bound CIDRs that parse. InvalidArgument naming the field.
Status ValidateTokenParams(const TokenParams& params);

// Adds the fields to `out` under their token_ names, durations in seconds:
// Vault's read form (PopulateTokenData), which is also the stored form.
void WriteTokenFields(const TokenParams& params, nlohmann::json& out);

// Reads what WriteTokenFields wrote. Fields that are missing take their
// defaults, so entries stored before a field existed still load (the first
// userpass users had only token_policies, token_ttl and token_max_ttl).
// Corruption when a field has the wrong type.
StatusOr<TokenParams> ReadTokenFields(const nlohmann::json& stored);

// Fills the token part of `login`: policies (plus "default" unless
// no_default_policy), TTLs, uses, period, type, bound CIDRs. A non-zero
// token_explicit_max_ttl caps max_ttl_seconds, since a Login has one hard
// cap on the token's life (core makes max_ttl the token's explicit max).
void FillLogin(const TokenParams& params, logical::Response::Login& login);

}  // namespace tresor::engines::auth

// The userpass auth method: users with a password and policies, and a login
// endpoint that core turns into a token. Vault's API:
//
//   POST|PUT  users/<name>            {password, and the token_* fields of
//                                      engines/auth/token_params.h with the
//                                      aliases policies, ttl, max_ttl and
//                                      bound_cidrs}
//   GET       users/<name>            the user without its password
//   DELETE    users/<name>
//   LIST      users
//   POST|PUT  users/<name>/password   {password}
//   POST|PUT  users/<name>/policies   {token_policies | policies}
//   POST|PUT  login/<name>            {password}: unauthenticated; answers a
//                                     Login (policies, TTLs, uses, period,
//                                     type, bound CIDRs) that core turns into
//                                     a token (see logical.h)
//
// Storage (the mount's view): "user/<lower-case name>" -> JSON
// {password_hash, token_policies, token_ttl, token_max_ttl,
// token_explicit_max_ttl, token_period, token_num_uses, token_type,
// token_bound_cidrs, token_no_default_policy}; users stored with only the
// first four still load (the others take their defaults). Passwords are
// kept only as PBKDF2 hashes (common/password_hash.h). Names are
// case-insensitive, as in Vault.
//
// A failed login answers 400 "invalid username or password" whether the
// user exists or not, after the same amount of hashing work, so the answer
// and its timing do not tell which.
//
// Who calls it: core's mount table (type "userpass" in the auth table).
// Threads: Handle is safe to call concurrently.
#pragma once

#include <memory>

#include "engines/logical.h"

namespace tresor::engines::userpass {

std::unique_ptr<logical::Engine> NewUserpassEngine(const logical::EngineContext& context);

}  // namespace tresor::engines::userpass

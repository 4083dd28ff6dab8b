// How token entries are shown to clients, in Vault's shapes: the `data` of
// auth/token/lookup* and the `auth` block of auth/token/create and renew.
// Field names and JSON types follow Vault's API docs (hvac 0.11.2 reads
// them); see docs/tokens.md.
//
// Who calls it: the token engine. Threads: stateless functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "engines/auth/token/token_entry.h"

namespace tresor::engines::token {

// Lookup data. `id` is the token when the caller presented it (lookup,
// lookup-self) and "" for lookup-accessor. ttl is the remaining seconds at
// `now`; expire_time is RFC 3339 or null for a token that never expires.
// period, bound_cidrs and role appear only when set. A batch token's
// accessor is "".
nlohmann::json LookupData(const TokenEntry& entry, const std::string& id, Clock::TimePoint now);

// The `auth` block. client_token is the token (create, renew with a token)
// or "" (renew-accessor). lease_duration is the TTL just granted, in seconds.
nlohmann::json AuthData(const TokenEntry& entry, const std::string& client_token,
                        long long lease_duration);

}  // namespace tresor::engines::token

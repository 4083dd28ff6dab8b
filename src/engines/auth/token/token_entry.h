// TokenEntry: what the token store keeps about one service token, and its
// stored JSON form. The token itself is never part of an entry: an entry is
// keyed by the token's hash (hex HMAC-SHA256 under the cluster's token salt),
// so neither storage nor this struct can give a token back.
//
// Who uses it: TokenStore (persists and caches entries), the token engine
// (renders them as Vault's lookup data) and core (policies, IsRoot()).
// Threads: a plain value; copy it freely between threads.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tresor::engines::token {

// num_uses of an entry whose last use has been consumed. Never stored for
// long: the store revokes the token in the same call (see UseToken).
inline constexpr long long kUsesExhausted = -1;

struct TokenEntry {
  // Hex HMAC-SHA256(salt, token): the storage key, and the identity that the
  // parent index, the revoke hook and cubbyhole use. Never the token.
  std::string id_hash;
  // Public handle for lookup-accessor / revoke-accessor: 24 base62 chars.
  std::string accessor;
  // id_hash of the parent token; empty for an orphan.
  std::string parent;
  // Sorted, de-duplicated, lower-case; ["root"] alone for a root token.
  std::vector<std::string> policies;
  std::map<std::string, std::string> meta;
  // "root" for root tokens, "token" or "token-<sanitised name>" otherwise.
  std::string display_name;
  // Remaining uses; 0 = unlimited, kUsesExhausted = used up.
  long long num_uses = 0;
  // Whole seconds (Vault reports creation_time as unix seconds).
  Clock::TimePoint creation_time;
  // The TTL granted at creation (lookup's creation_ttl).
  std::chrono::seconds creation_ttl{0};
  // The TTL granted by the last renewal, or creation_ttl before any; 0 means
  // the token never expires (only root tokens).
  std::chrono::seconds ttl{0};
  // When the token was last renewed; ttl runs from here when set.
  std::optional<Clock::TimePoint> last_renewal_time;
  // 0 = none. Caps creation + renewals, measured from creation_time.
  std::chrono::seconds explicit_max_ttl{0};
  // 0 = not periodic. A periodic token renews to `period` each time.
  std::chrono::seconds period{0};
  bool renewable = true;
  // The creation path: "auth/token/create", "auth/token/create-orphan",
  // "auth/token/create/<role>[/<path_suffix>]", "auth/token/root", or an
  // auth method's login path.
  std::string path;
  // "service", or "batch" for a token decoded from its own blob.
  std::string type = "service";
  // CIDR blocks the token may be used from; empty: anywhere. Core checks
  // them on every use (common/cidr.h).
  std::vector<std::string> bound_cidrs;
  // The token role it was created against (auth/token/create/<role>); "".
  std::string role;

  bool IsRoot() const;
  bool IsOrphan() const { return parent.empty(); }
  // (last_renewal_time or creation_time) + ttl; std::nullopt when ttl is 0.
  std::optional<Clock::TimePoint> ExpireTime() const;
  // Whether the token can no longer be used at `now`: expired
  // (now >= ExpireTime()) or its uses are exhausted.
  bool IsInvalidAt(Clock::TimePoint now) const;
  // Seconds until expiry at `now` (0 when it never expires or has expired).
  long long RemainingSeconds(Clock::TimePoint now) const;
};

// The stored form (a JSON object). Holds no token, only its hash.
std::string SerializeTokenEntry(const TokenEntry& entry);
// Parses a stored entry; `id_hash` is the key it was found under (entries
// written by the earlier core/token_store carry only accessor, policies,
// display_name and creation_time, and are read as non-expiring root-style
// entries). Corruption when the JSON is malformed or has wrong types.
StatusOr<TokenEntry> ParseTokenEntry(std::string_view text, std::string_view id_hash);

// Vault's policy sanitising: trims spaces, lower-cases, drops empties,
// de-duplicates and sorts; adds "default" when add_default; a set holding
// "root" becomes ["root"] alone.
std::vector<std::string> SanitizePolicies(const std::vector<std::string>& policies,
                                          bool add_default);

// "token-<name>" with every character outside [a-zA-Z0-9-] replaced by '-'
// and one trailing '-' dropped, as Vault does; "token" when name is empty.
std::string TokenDisplayName(std::string_view name);

// Unix seconds of t.
long long UnixSeconds(Clock::TimePoint t);

}  // namespace tresor::engines::token

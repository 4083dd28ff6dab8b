// The TTL arithmetic of the token store, as Vault's framework.CalculateTTL
// does it, kept apart from storage so each rule is tested on its own.
//
// Rules (all durations in whole seconds):
//   creation, periodic:  ttl = period, period capped at the system max;
//                        ttl also capped by explicit_max_ttl.
//   creation, otherwise: ttl = requested ttl, or the mount default when none;
//                        capped by min(system max, explicit_max_ttl).
//                        A root-policy token with neither ttl nor period gets
//                        ttl 0 (never expires) unless explicit_max_ttl is set.
//   renewal, periodic:   ttl = period from now, capped so that it ends no
//                        later than creation + explicit_max_ttl.
//   renewal, otherwise:  ttl = increment (or creation_ttl when 0, or the
//                        default when that is 0) from now, capped so that it
//                        ends no later than creation + min(system max,
//                        explicit_max_ttl).
// Capping adds a warning worded as Vault's.
//
// Who calls it: TokenStore (renew) and the token engine (create).
// Threads: stateless functions.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engines/auth/token/token_entry.h"

namespace tresor::engines::token {

struct TtlLimits {
  // The token mount's default lease TTL and the system max lease TTL.
  std::chrono::seconds default_ttl{std::chrono::hours(768)};
  std::chrono::seconds max_ttl{std::chrono::hours(768)};
};

struct TtlDecision {
  std::chrono::seconds ttl{0};
  // The period to store (capped at the system max); 0 when not periodic.
  std::chrono::seconds period{0};
  std::vector<std::string> warnings;
};

// The TTL of a new token. requested_ttl, period and explicit_max_ttl are 0
// when not given. is_root: the token's final policies hold "root".
TtlDecision CreationTtl(const TtlLimits& limits, std::chrono::seconds requested_ttl,
                        std::chrono::seconds period, std::chrono::seconds explicit_max_ttl,
                        bool is_root);

// The TTL a renewal at `now` (whole seconds) grants `entry`; increment 0
// means "the token's own TTL". InvalidArgument "past the max TTL, cannot
// renew" when nothing is left before the token's maximum lifetime ends.
// REQUIRES: entry.renewable.
StatusOr<TtlDecision> RenewalTtl(const TtlLimits& limits, const TokenEntry& entry,
                                 std::chrono::seconds increment, Clock::TimePoint now);

}  // namespace tresor::engines::token

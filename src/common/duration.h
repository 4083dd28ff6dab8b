// Durations as Vault spells them in config files and API fields: a bare
// integer is a number of seconds ("3600"), otherwise a Go duration ("768h",
// "1h30m", "1.5h", "500ms") extended with a "d" unit for days ("7d").
//
// Who calls it: the config loader (lease TTLs, listener timeouts) and, later,
// the HTTP/engine layers for `ttl`-style request fields.
// Thread safety: stateless free functions; safe from any thread.
//
// Tresor keeps durations in whole seconds, like Vault's lease TTLs. A value
// with a sub-second part is rounded DOWN to whole seconds ("1500ms" -> 1s,
// "500ms" -> 0s); callers that need a positive value must check for zero.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

// The largest duration accepted, the same as Go's time.Duration:
// 2562047h47m16s (about 292 years).
inline constexpr std::chrono::seconds kMaxDuration{9'223'372'036};

// Parses `text` (surrounding spaces ignored) into whole seconds.
// Accepted forms:
//   "3600"       bare non-negative integer: seconds
//   "768h"       Go duration: one or more <number><unit> with units
//   "1h30m10s"   ns, us (or µs), ms, s, m, h, and d (24h); numbers may have
//   "1.5h"       a fractional part
//   "7d"         days, as Vault accepts them
// On failure returns InvalidArgument naming the problem: empty text, a sign
// (durations are never negative), a missing or unknown unit, or a value larger
// than kMaxDuration. The message quotes the input, so never pass a secret.
StatusOr<std::chrono::seconds> ParseDuration(std::string_view text);

// Formats like Go's time.Duration.String(): "0s", "10s", "1m30s",
// "768h0m0s", "-1h0m0s". ParseDuration(FormatDuration(d)) == d for d >= 0.
std::string FormatDuration(std::chrono::seconds duration);

}  // namespace tresor

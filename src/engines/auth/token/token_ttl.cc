#include "engines/auth/token/token_ttl.h"

#include <algorithm>

#include "common/duration.h"

namespace tresor::engines::token {
namespace {

using std::chrono::seconds;

std::string Quoted(seconds d) { return "\"" + FormatDuration(d) + "\""; }

std::string CappedWarning(std::string_view what, seconds wanted, seconds max) {
  return std::string(what) + " of " + Quoted(wanted) + " exceeded the effective max_ttl of " +
         Quoted(max) + "; " + std::string(what) + " value is capped accordingly";
}

// Caps *ttl so that now + *ttl <= limit_end. InvalidArgument when the limit
// has already passed.
Status CapAt(Clock::TimePoint now, Clock::TimePoint limit_end, std::string_view what, seconds* ttl,
             std::vector<std::string>* warnings) {
  seconds left = std::chrono::floor<seconds>(limit_end - now);
  if (left <= seconds(0)) return InvalidArgumentError("past the max TTL, cannot renew");
  if (*ttl > left) {
    warnings->push_back(CappedWarning(what, *ttl, left));
    *ttl = left;
  }
  return Status::Ok();
}

}  // namespace

TtlDecision CreationTtl(const TtlLimits& limits, seconds requested_ttl, seconds period,
                        seconds explicit_max_ttl, bool is_root) {
  TtlDecision out;
  if (period > seconds(0)) {
    if (period > limits.max_ttl) {
      out.warnings.push_back(CappedWarning("period", period, limits.max_ttl));
      period = limits.max_ttl;
    }
    out.period = period;
    out.ttl = period;
    if (explicit_max_ttl > seconds(0) && out.ttl > explicit_max_ttl) {
      out.warnings.push_back(CappedWarning("TTL", out.ttl, explicit_max_ttl));
      out.ttl = explicit_max_ttl;
    }
    return out;
  }
  if (requested_ttl > seconds(0) || !is_root) {
    out.ttl = requested_ttl > seconds(0) ? requested_ttl : limits.default_ttl;
    seconds max = limits.max_ttl;
    if (explicit_max_ttl > seconds(0)) max = std::min(max, explicit_max_ttl);
    if (out.ttl > max) {
      out.warnings.push_back(CappedWarning("TTL", out.ttl, max));
      out.ttl = max;
    }
  }
  // Root tokens are still bound by an explicit max TTL.
  if (out.ttl == seconds(0) && explicit_max_ttl > seconds(0)) {
    out.ttl = explicit_max_ttl;
  }
  return out;
}

StatusOr<TtlDecision> RenewalTtl(const TtlLimits& limits, const TokenEntry& entry,
                                 seconds increment, Clock::TimePoint now) {
  TtlDecision out;
  out.period = entry.period;
  if (entry.period > seconds(0)) {
    out.ttl = entry.period;
    if (entry.explicit_max_ttl > seconds(0)) {
      TRESOR_RETURN_IF_ERROR(
          CapAt(now, entry.creation_time + entry.explicit_max_ttl, "TTL", &out.ttl, &out.warnings));
    }
    return out;
  }
  out.ttl = increment > seconds(0) ? increment : entry.creation_ttl;
  if (out.ttl == seconds(0)) out.ttl = limits.default_ttl;
  seconds max = limits.max_ttl;
  if (entry.explicit_max_ttl > seconds(0)) max = std::min(max, entry.explicit_max_ttl);
  TRESOR_RETURN_IF_ERROR(CapAt(now, entry.creation_time + max, "TTL", &out.ttl, &out.warnings));
  return out;
}

}  // namespace tresor::engines::token

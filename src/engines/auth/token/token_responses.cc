#include "engines/auth/token/token_responses.h"

#include <algorithm>

namespace tresor::engines::token {
namespace {

// Vault renders an absent metadata map as null, not {}.
nlohmann::json MetaJson(const TokenEntry& entry) {
  if (entry.meta.empty()) return nullptr;
  return entry.meta;
}

}  // namespace

nlohmann::json LookupData(const TokenEntry& entry, const std::string& id, Clock::TimePoint now) {
  std::optional<Clock::TimePoint> expire = entry.ExpireTime();
  nlohmann::json data = {
      {"accessor", entry.accessor},
      {"creation_time", UnixSeconds(entry.creation_time)},
      {"creation_ttl", entry.creation_ttl.count()},
      {"display_name", entry.display_name},
      {"entity_id", ""},
      {"expire_time", expire ? nlohmann::json(FormatRfc3339(*expire)) : nlohmann::json(nullptr)},
      {"explicit_max_ttl", entry.explicit_max_ttl.count()},
      {"id", id},
      {"issue_time", FormatRfc3339(entry.creation_time)},
      {"meta", MetaJson(entry)},
      {"num_uses", std::max(entry.num_uses, 0LL)},
      {"orphan", entry.IsOrphan()},
      {"path", entry.path},
      {"policies", entry.policies},
      {"renewable", entry.renewable},
      {"ttl", entry.RemainingSeconds(now)},
      {"type", entry.type},
  };
  if (entry.period.count() > 0) data["period"] = entry.period.count();
  // As Vault: present only when set.
  if (!entry.bound_cidrs.empty()) data["bound_cidrs"] = entry.bound_cidrs;
  if (!entry.role.empty()) data["role"] = entry.role;
  if (entry.last_renewal_time.has_value()) {
    data["last_renewal_time"] = UnixSeconds(*entry.last_renewal_time);
    data["last_renewal"] = FormatRfc3339(*entry.last_renewal_time);
  }
  return data;
}

nlohmann::json AuthData(const TokenEntry& entry, const std::string& client_token,
                        long long lease_duration) {
  return {
      {"client_token", client_token},
      {"accessor", entry.accessor},
      {"policies", entry.policies},
      {"token_policies", entry.policies},
      {"metadata", MetaJson(entry)},
      {"lease_duration", lease_duration},
      {"renewable", entry.renewable},
      {"entity_id", ""},
      {"token_type", entry.type},
      {"orphan", entry.IsOrphan()},
      {"num_uses", std::max(entry.num_uses, 0LL)},
  };
}

}  // namespace tresor::engines::token

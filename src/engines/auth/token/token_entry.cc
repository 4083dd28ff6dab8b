#include "engines/auth/token/token_entry.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace tresor::engines::token {
namespace {

Clock::TimePoint FromUnixSeconds(long long secs) {
  return Clock::TimePoint(std::chrono::seconds(secs));
}

std::string Trim(std::string_view s) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

}  // namespace

long long UnixSeconds(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool TokenEntry::IsRoot() const {
  return std::find(policies.begin(), policies.end(), "root") != policies.end();
}

std::optional<Clock::TimePoint> TokenEntry::ExpireTime() const {
  if (ttl.count() == 0) return std::nullopt;
  return last_renewal_time.value_or(creation_time) + ttl;
}

bool TokenEntry::IsInvalidAt(Clock::TimePoint now) const {
  if (num_uses < 0) return true;
  std::optional<Clock::TimePoint> expire = ExpireTime();
  return expire.has_value() && now >= *expire;
}

long long TokenEntry::RemainingSeconds(Clock::TimePoint now) const {
  std::optional<Clock::TimePoint> expire = ExpireTime();
  if (!expire.has_value() || now >= *expire) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(*expire - now).count();
}

std::string SerializeTokenEntry(const TokenEntry& e) {
  nlohmann::json j = {
      {"accessor", e.accessor},
      {"parent", e.parent},
      {"policies", e.policies},
      {"meta", e.meta},
      {"display_name", e.display_name},
      {"num_uses", e.num_uses},
      {"creation_time", UnixSeconds(e.creation_time)},
      {"creation_ttl", e.creation_ttl.count()},
      {"ttl", e.ttl.count()},
      {"last_renewal_time", e.last_renewal_time ? UnixSeconds(*e.last_renewal_time) : 0},
      {"explicit_max_ttl", e.explicit_max_ttl.count()},
      {"period", e.period.count()},
      {"renewable", e.renewable},
      {"path", e.path},
      {"type", e.type},
      {"bound_cidrs", e.bound_cidrs},
      {"role", e.role},
  };
  return j.dump();
}

StatusOr<TokenEntry> ParseTokenEntry(std::string_view text, std::string_view id_hash) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    TokenEntry e;
    e.id_hash = std::string(id_hash);
    e.accessor = j.at("accessor").get<std::string>();
    e.policies = j.at("policies").get<std::vector<std::string>>();
    e.display_name = j.at("display_name").get<std::string>();
    e.creation_time = FromUnixSeconds(j.at("creation_time").get<long long>());
    // Fields below were added with the full token store. Their defaults read
    // an entry of the earlier root-only store as what it was: a non-expiring,
    // non-renewable root token created at init.
    e.parent = j.value("parent", std::string());
    e.meta = j.value("meta", std::map<std::string, std::string>());
    e.num_uses = j.value("num_uses", 0LL);
    e.creation_ttl = std::chrono::seconds(j.value("creation_ttl", 0LL));
    e.ttl = std::chrono::seconds(j.value("ttl", 0LL));
    long long renewed = j.value("last_renewal_time", 0LL);
    if (renewed != 0) e.last_renewal_time = FromUnixSeconds(renewed);
    e.explicit_max_ttl = std::chrono::seconds(j.value("explicit_max_ttl", 0LL));
    e.period = std::chrono::seconds(j.value("period", 0LL));
    e.renewable = j.value("renewable", false);
    e.path = j.value("path", std::string("auth/token/root"));
    e.type = j.value("type", std::string("service"));
    e.bound_cidrs = j.value("bound_cidrs", std::vector<std::string>());
    e.role = j.value("role", std::string());
    return e;
  } catch (const nlohmann::json::exception& ex) {
    return CorruptionError(std::string("token entry cannot be parsed: ") + ex.what());
  }
}

std::vector<std::string> SanitizePolicies(const std::vector<std::string>& policies,
                                          bool add_default) {
  std::vector<std::string> out;
  for (const std::string& p : policies) {
    std::string name = Trim(p);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!name.empty()) out.push_back(std::move(name));
  }
  if (std::find(out.begin(), out.end(), "root") != out.end()) return {"root"};
  if (add_default) out.push_back("default");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string TokenDisplayName(std::string_view name) {
  if (name.empty()) return "token";
  std::string full = "token-" + std::string(name);
  for (char& c : full) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  if (full.back() == '-') full.pop_back();
  return full;
}

}  // namespace tresor::engines::token

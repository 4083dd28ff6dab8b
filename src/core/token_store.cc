#include "core/token_store.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/hmac.h"
#include "common/random.h"

namespace tresor::core {
namespace {
constexpr char kSaltKey[] = "sys/token/salt";
constexpr char kIdPrefix[] = "sys/token/id/";

nlohmann::json ToJson(const TokenEntry& e) {
  return {{"accessor", e.accessor},
          {"policies", e.policies},
          {"display_name", e.display_name},
          {"creation_time",
           std::chrono::duration_cast<std::chrono::seconds>(e.creation_time.time_since_epoch())
               .count()}};
}

StatusOr<TokenEntry> FromJson(std::string_view text) {
  try {
    auto j = nlohmann::json::parse(text);
    TokenEntry e;
    e.accessor = j.at("accessor").get<std::string>();
    e.policies = j.at("policies").get<std::vector<std::string>>();
    e.display_name = j.at("display_name").get<std::string>();
    e.creation_time = Clock::TimePoint(std::chrono::seconds(j.at("creation_time").get<long long>()));
    return e;
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("token entry cannot be parsed: ") + e.what());
  }
}
}  // namespace

bool TokenEntry::IsRoot() const {
  return std::find(policies.begin(), policies.end(), "root") != policies.end();
}

TokenStore::TokenStore(storage::Backend& barrier, Clock& clock)
    : barrier_(barrier), clock_(clock) {}

Status TokenStore::Load() {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier_.Get(kSaltKey));
  SecureBytes salt;
  if (stored.has_value()) {
    salt = ToSecureBytes(*stored);
    SecureWipe(*stored);
  } else {
    salt = RandomSecureBytes(32);
    TRESOR_RETURN_IF_ERROR(barrier_.Put(kSaltKey, AsStringView(salt)));
  }
  std::lock_guard lock(mu_);
  salt_ = std::move(salt);
  return Status::Ok();
}

void TokenStore::Unload() {
  std::lock_guard lock(mu_);
  salt_.clear();
  salt_.shrink_to_fit();  // The allocator wipes the freed buffer.
}

StatusOr<std::string> TokenStore::StorageKey(std::string_view token) const {
  std::lock_guard lock(mu_);
  if (salt_.empty()) return SealedError();
  return std::string(kIdPrefix) + HexEncode(HmacSha256(salt_, token));
}

StatusOr<std::string> TokenStore::CreateRootToken(const std::optional<std::string>& id) {
  std::string token = id.value_or("hvs." + RandomBase62(24));
  if (token.empty()) return InvalidArgumentError("root token ID must not be empty");
  TokenEntry entry;
  entry.accessor = RandomBase62(24);
  entry.policies = {"root"};
  entry.display_name = "root";
  entry.creation_time = clock_.Now();
  TRESOR_ASSIGN_OR_RETURN(std::string key, StorageKey(token));
  TRESOR_RETURN_IF_ERROR(barrier_.Put(key, ToJson(entry).dump()));
  return token;
}

StatusOr<std::optional<TokenEntry>> TokenStore::Lookup(std::string_view token) {
  if (token.empty()) return std::optional<TokenEntry>();
  TRESOR_ASSIGN_OR_RETURN(std::string key, StorageKey(token));
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier_.Get(key));
  if (!stored.has_value()) return std::optional<TokenEntry>();
  TRESOR_ASSIGN_OR_RETURN(TokenEntry entry, FromJson(*stored));
  return std::optional<TokenEntry>(std::move(entry));
}

}  // namespace tresor::core

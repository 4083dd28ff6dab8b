#include "core/token_leases.h"

#include <spdlog/spdlog.h>

namespace tresor::core {
namespace {

using engines::token::TokenEntry;
using engines::token::TokenStore;

std::string TokenLeaseIdOf(const TokenEntry& entry) { return entry.path + "/" + entry.id_hash; }

LeaseInfo InfoOf(const TokenEntry& entry, Clock::TimePoint now) {
  LeaseInfo info;
  info.id = TokenLeaseIdOf(entry);
  info.issue_time = entry.creation_time;
  info.expire_time = entry.ExpireTime();
  info.last_renewal = entry.last_renewal_time;
  info.renewable = entry.renewable && entry.ttl.count() > 0;
  info.ttl_seconds = entry.RemainingSeconds(now);
  return info;
}

class TokenLeaseSource final : public LeaseSource {
 public:
  explicit TokenLeaseSource(TokenStore& tokens) : tokens_(tokens) {}

  bool Owns(std::string_view lease_id) const override { return lease_id.starts_with("auth/"); }

  StatusOr<std::optional<LeaseInfo>> Lookup(std::string_view lease_id) override {
    TRESOR_ASSIGN_OR_RETURN(auto entry, Find(lease_id));
    if (!entry.has_value()) return std::optional<LeaseInfo>();
    return std::optional<LeaseInfo>(InfoOf(*entry, tokens_.clock().Now()));
  }

  StatusOr<LeaseInfo> Renew(std::string_view lease_id, std::chrono::seconds increment) override {
    TRESOR_ASSIGN_OR_RETURN(auto entry, Find(lease_id));
    if (!entry.has_value()) return InvalidArgumentError("lease not found");
    if (!entry->renewable) return InvalidArgumentError("lease is not renewable");
    TRESOR_ASSIGN_OR_RETURN(auto renewed, tokens_.Renew(entry->id_hash, increment));
    LeaseInfo info = InfoOf(renewed.entry, tokens_.clock().Now());
    info.ttl_seconds = renewed.entry.ttl.count();  // what was granted, as Vault answers
    return info;
  }

  Status Revoke(std::string_view lease_id) override {
    TRESOR_ASSIGN_OR_RETURN(auto entry, Find(lease_id));
    if (!entry.has_value()) return Status::Ok();
    return tokens_.Revoke(entry->id_hash);
  }

  Status ForEachLease(std::string_view prefix,
                      const std::function<Status(const std::string&)>& visit) override {
    const auto now = tokens_.clock().Now();
    return tokens_.ForEachToken("", [&](const TokenEntry& entry) {
      if (entry.IsInvalidAt(now)) return Status::Ok();
      const std::string id = TokenLeaseIdOf(entry);
      if (!std::string_view(id).starts_with(prefix)) return Status::Ok();
      return visit(id);
    });
  }

  Status Tidy() override {
    TRESOR_ASSIGN_OR_RETURN(auto counts, tokens_.Tidy());
    spdlog::info(
        "lease tidy: removed {} dangling token accessor entries and {} dangling parent links, "
        "revoked {} tokens whose parent was gone",
        counts.accessors_removed, counts.parent_links_removed, counts.orphaned_children_revoked);
    return Status::Ok();
  }

 private:
  // The live token whose lease ID is exactly lease_id: the hash after the
  // last '/' finds it, and the path before must be its creation path.
  StatusOr<std::optional<TokenEntry>> Find(std::string_view lease_id) {
    const std::size_t slash = lease_id.rfind('/');
    if (slash == std::string_view::npos || slash + 1 == lease_id.size()) {
      return std::optional<TokenEntry>();
    }
    const std::string_view hash = lease_id.substr(slash + 1);
    // A token hash is hex; anything else names no token (and must not
    // become a storage key).
    if (hash.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      return std::optional<TokenEntry>();
    }
    TRESOR_ASSIGN_OR_RETURN(auto entry, tokens_.LookupByHash(hash));
    if (!entry.has_value() || entry->path != lease_id.substr(0, slash)) {
      return std::optional<TokenEntry>();
    }
    return entry;
  }

  TokenStore& tokens_;
};

}  // namespace

std::unique_ptr<LeaseSource> NewTokenLeaseSource(TokenStore& tokens) {
  return std::make_unique<TokenLeaseSource>(tokens);
}

}  // namespace tresor::core

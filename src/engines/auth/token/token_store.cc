#include "engines/auth/token/token_store.h"

#include <algorithm>
#include <unordered_set>

#include "common/encoding.h"
#include "common/hmac.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/random.h"
#include "engines/auth/token/token_batch.h"

namespace tresor::engines::token {
namespace {

constexpr char kSaltKey[] = "salt";
constexpr char kIdPrefix[] = "id/";
constexpr char kAccessorPrefix[] = "accessor/";
constexpr char kParentPrefix[] = "parent/";
constexpr char kRolesPrefix[] = "roles/";
constexpr std::size_t kSaltBytes = 32;
constexpr std::size_t kTokenChars = 24;
constexpr std::size_t kMaxCustomIdBytes = 256;
// The cache holds every token in use in the common case; past this it stops
// growing (an evicted entry is simply read from storage again).
constexpr std::size_t kMaxCachedEntries = 100000;

std::string IdKey(std::string_view hash) { return kIdPrefix + std::string(hash); }
std::string ChildrenPrefix(std::string_view parent) {
  return kParentPrefix + std::string(parent) + "/";
}
std::string ParentLinkKey(std::string_view parent, std::string_view child) {
  return ChildrenPrefix(parent) + std::string(child);
}

Clock::TimePoint WholeSeconds(Clock::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

// A custom ID ends up in X-Vault-Token headers: printable ASCII, no spaces.
Status ValidateCustomId(std::string_view id) {
  if (id.empty()) return InvalidArgumentError("token ID must not be empty");
  if (id.size() > kMaxCustomIdBytes) {
    return InvalidArgumentError("token ID must be at most 256 characters");
  }
  for (char c : id) {
    if (c <= ' ' || c > '~') {
      return InvalidArgumentError("token ID must be printable ASCII without spaces");
    }
  }
  if (IsBatchToken(id)) {
    return InvalidArgumentError("token ID must not start with \"hvb.\", the batch token prefix");
  }
  return Status::Ok();
}

}  // namespace

TokenStore::TokenStore(storage::Backend& view, Clock& clock, TtlLimits limits)
    : view_(view), clock_(clock), limits_(limits) {}

Status TokenStore::Load() {
  std::lock_guard write(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(kSaltKey));
  SecureBytes salt;
  if (stored.has_value()) {
    if (stored->size() != kSaltBytes) {
      SecureWipe(*stored);
      return CorruptionError("token salt has the wrong length");
    }
    salt = ToSecureBytes(*stored);
    SecureWipe(*stored);
  } else {
    salt = RandomSecureBytes(kSaltBytes);
    TRESOR_RETURN_IF_ERROR(view_.Put(kSaltKey, AsStringView(salt)));
  }
  {
    std::lock_guard lock(mu_);
    salt_ = std::move(salt);
    batch_key_.reset();  // read again below, from this (maybe restored) state
    cache_.clear();
    ++generation_;
  }
  auto batch_key = BatchKey(/*create=*/true);
  if (!batch_key.ok()) {
    // Only a standby of a cluster that never had a key cannot write one;
    // the active makes it, and this node reads it when it needs it.
    spdlog::warn(
        "the batch token key could not be created now ({}); it will be read or made "
        "when a batch token is first used",
        batch_key.status().message());
  }
  return Status::Ok();
}

void TokenStore::Unload() {
  std::lock_guard write(write_mu_);
  std::lock_guard lock(mu_);
  salt_.clear();
  salt_.shrink_to_fit();  // The allocator wipes the freed buffer.
  batch_key_.reset();     // Wiped when its last user drops it.
  cache_.clear();
  ++generation_;
}

void TokenStore::SetRevokeHook(RevokeHook hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

StatusOr<std::string> TokenStore::HashToken(std::string_view token) const {
  std::lock_guard lock(mu_);
  if (salt_.empty()) return SealedError();
  return HexEncode(HmacSha256(salt_, token));
}

Status TokenStore::CheckLoaded() const {
  std::lock_guard lock(mu_);
  if (salt_.empty()) return SealedError();
  return Status::Ok();
}

StatusOr<std::string> TokenStore::AccessorKey(std::string_view accessor) const {
  TRESOR_ASSIGN_OR_RETURN(std::string hash, HashToken(accessor));
  return kAccessorPrefix + hash;
}

void TokenStore::CachePut(const TokenEntry& entry) {
  std::lock_guard lock(mu_);
  ++generation_;
  if (cache_.size() >= kMaxCachedEntries && cache_.find(entry.id_hash) == cache_.end()) {
    cache_.erase(cache_.begin());
  }
  cache_[entry.id_hash] = entry;
}

void TokenStore::CacheErase(const std::string& hash) {
  std::lock_guard lock(mu_);
  ++generation_;
  cache_.erase(hash);
}

StatusOr<std::optional<TokenEntry>> TokenStore::ReadEntry(std::string_view hash, bool fill_cache) {
  std::uint64_t generation;
  {
    std::lock_guard lock(mu_);
    if (salt_.empty()) return SealedError();
    auto it = cache_.find(std::string(hash));
    if (it != cache_.end()) return std::optional<TokenEntry>(it->second);
    generation = generation_;
  }
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(IdKey(hash)));
  if (!stored.has_value()) return std::optional<TokenEntry>();
  TRESOR_ASSIGN_OR_RETURN(TokenEntry entry, ParseTokenEntry(*stored, hash));
  std::lock_guard lock(mu_);
  // A change since the read may have made this copy stale: serve it to this
  // caller (it was current when read) but do not cache it.
  if (fill_cache && generation == generation_ && cache_.size() < kMaxCachedEntries) {
    cache_.emplace(entry.id_hash, entry);
  }
  return std::optional<TokenEntry>(std::move(entry));
}

Status TokenStore::WriteEntry(const TokenEntry& entry) {
  TRESOR_RETURN_IF_ERROR(view_.Put(IdKey(entry.id_hash), SerializeTokenEntry(entry)));
  CachePut(entry);
  return Status::Ok();
}

StatusOr<std::string> TokenStore::CreateRootToken(const std::optional<std::string>& id) {
  if (id.has_value() && id->empty()) {
    return InvalidArgumentError("root token ID must not be empty");
  }
  NewToken spec;
  spec.id = id.value_or("");
  spec.policies = {"root"};
  spec.display_name = "root";
  spec.renewable = false;
  spec.path = "auth/token/root";
  TRESOR_ASSIGN_OR_RETURN(CreatedToken created, Create(spec));
  return std::move(created.token);
}

StatusOr<CreatedToken> TokenStore::Create(const NewToken& spec) {
  if (spec.type == "batch") return CreateBatch(spec);
  if (spec.type != "service") {
    return InvalidArgumentError("invalid token type \"" + spec.type +
                                "\": expected \"service\" or \"batch\"");
  }
  std::string token = spec.id;
  if (token.empty()) {
    token = "hvs." + RandomBase62(kTokenChars);
  } else {
    TRESOR_RETURN_IF_ERROR(ValidateCustomId(token));
  }
  // A caller-chosen id must be checked for a duplicate and written with no
  // other create in between: exclusive. A random one cannot collide.
  std::unique_lock exclusive(write_mu_, std::defer_lock);
  std::shared_lock shared(write_mu_, std::defer_lock);
  if (spec.id.empty()) {
    shared.lock();
  } else {
    exclusive.lock();
  }
  TokenEntry entry;
  TRESOR_ASSIGN_OR_RETURN(entry.id_hash, HashToken(token));
  if (!spec.id.empty()) {
    TRESOR_ASSIGN_OR_RETURN(auto existing, ReadEntry(entry.id_hash));
    if (existing.has_value()) {
      return InvalidArgumentError("cannot create a token with a duplicate ID");
    }
  }
  if (!spec.parent_hash.empty()) {
    TRESOR_ASSIGN_OR_RETURN(auto parent, ReadEntry(spec.parent_hash));
    if (!parent.has_value() || parent->IsInvalidAt(clock_.Now())) {
      return InvalidArgumentError("parent token lookup failed: no parent found");
    }
  }
  entry.accessor = RandomBase62(kTokenChars);
  entry.parent = spec.parent_hash;
  entry.policies = spec.policies;
  entry.meta = spec.meta;
  entry.display_name = spec.display_name;
  entry.num_uses = spec.num_uses;
  entry.creation_time = WholeSeconds(clock_.Now());
  entry.creation_ttl = spec.ttl;
  entry.ttl = spec.ttl;
  entry.explicit_max_ttl = spec.explicit_max_ttl;
  entry.period = spec.period;
  entry.renewable = spec.renewable;
  entry.path = spec.path;
  entry.bound_cidrs = spec.bound_cidrs;
  entry.role = spec.role;
  TRESOR_ASSIGN_OR_RETURN(std::string accessor_key, AccessorKey(entry.accessor));

  std::vector<storage::Operation> ops;
  ops.push_back(storage::Operation::Put(IdKey(entry.id_hash), SerializeTokenEntry(entry)));
  ops.push_back(storage::Operation::Put(accessor_key, entry.id_hash));
  if (!entry.parent.empty()) {
    ops.push_back(storage::Operation::Put(ParentLinkKey(entry.parent, entry.id_hash), ""));
  }
  TRESOR_RETURN_IF_ERROR(view_.Batch(ops));
  CachePut(entry);
  return CreatedToken{std::move(token), std::move(entry)};
}

StatusOr<std::optional<TokenEntry>> TokenStore::Lookup(std::string_view token) {
  if (token.empty()) return std::optional<TokenEntry>();
  if (IsBatchToken(token)) return LookupBatch(token);
  TRESOR_ASSIGN_OR_RETURN(std::string hash, HashToken(token));
  return LookupByHash(hash);
}

StatusOr<std::optional<TokenEntry>> TokenStore::LookupByHash(std::string_view hash) {
  if (hash.empty()) return std::optional<TokenEntry>();
  TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(hash));
  if (!entry.has_value() || entry->IsInvalidAt(clock_.Now())) {
    return std::optional<TokenEntry>();
  }
  return entry;
}

StatusOr<std::optional<TokenEntry>> TokenStore::LookupByAccessor(std::string_view accessor) {
  if (accessor.empty()) return std::optional<TokenEntry>();
  TRESOR_ASSIGN_OR_RETURN(std::string key, AccessorKey(accessor));
  TRESOR_ASSIGN_OR_RETURN(auto hash, view_.Get(key));
  if (!hash.has_value()) return std::optional<TokenEntry>();
  return LookupByHash(*hash);
}

StatusOr<std::optional<TokenEntry>> TokenStore::UseToken(std::string_view token) {
  // The request pipeline's token check, under Vault's name.
  static metrics::Summary& check = metrics::Default().GetSummary(
      "vault.core.check_token", "Time to complete a token check (ms).");
  metrics::ScopedTimer timer(check);
  TRESOR_ASSIGN_OR_RETURN(auto entry, Lookup(token));
  if (!entry.has_value() || entry->num_uses == 0) return entry;  // unlimited: no write

  std::vector<std::string> revoked;
  TokenEntry used;
  {
    std::lock_guard write(write_mu_);
    // Read again under the write lock: another request may have taken a use.
    TRESOR_ASSIGN_OR_RETURN(auto current, ReadEntry(entry->id_hash));
    if (!current.has_value() || current->IsInvalidAt(clock_.Now())) {
      return std::optional<TokenEntry>();
    }
    used = *current;
    if (used.num_uses > 1) {
      --used.num_uses;
      TRESOR_RETURN_IF_ERROR(WriteEntry(used));
      return std::optional<TokenEntry>(used);
    }
    // The last use. Mark it exhausted first, so the token is unusable even
    // if the revocation below fails (ReapExpired finishes it then).
    used.num_uses = kUsesExhausted;
    TRESOR_RETURN_IF_ERROR(WriteEntry(used));
    RevokeTreeLocked(used.id_hash, &revoked).IgnoreError();
  }
  RunHook(revoked);
  used.num_uses = 0;  // none left; this request is the last one it serves
  return std::optional<TokenEntry>(std::move(used));
}

StatusOr<RenewedToken> TokenStore::Renew(std::string_view hash, std::chrono::seconds increment) {
  std::lock_guard write(write_mu_);
  Clock::TimePoint now = WholeSeconds(clock_.Now());
  TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(hash));
  if (!entry.has_value() || entry->IsInvalidAt(now)) {
    return InvalidArgumentError("token not found");
  }
  if (!entry->renewable) return InvalidArgumentError("lease is not renewable");
  TRESOR_ASSIGN_OR_RETURN(TtlDecision decision, RenewalTtl(limits_, *entry, increment, now));
  entry->ttl = decision.ttl;
  entry->last_renewal_time = now;
  TRESOR_RETURN_IF_ERROR(WriteEntry(*entry));
  return RenewedToken{std::move(*entry), std::move(decision.warnings)};
}

Status TokenStore::DeleteOne(const TokenEntry& entry) {
  TRESOR_ASSIGN_OR_RETURN(std::string accessor_key, AccessorKey(entry.accessor));
  std::vector<storage::Operation> ops;
  ops.push_back(storage::Operation::Delete(IdKey(entry.id_hash)));
  ops.push_back(storage::Operation::Delete(accessor_key));
  if (!entry.parent.empty()) {
    ops.push_back(storage::Operation::Delete(ParentLinkKey(entry.parent, entry.id_hash)));
  }
  TRESOR_RETURN_IF_ERROR(view_.Batch(ops));
  CacheErase(entry.id_hash);
  return Status::Ok();
}

Status TokenStore::RevokeTreeLocked(std::string_view hash, std::vector<std::string>* revoked) {
  // Breadth-first walk of the parent index with an explicit queue, so a deep
  // chain of tokens cannot exhaust the stack; `seen` stops a corrupted index
  // that loops from looping forever.
  std::vector<std::string> order{std::string(hash)};
  std::unordered_set<std::string> seen{std::string(hash)};
  for (std::size_t i = 0; i < order.size(); ++i) {
    TRESOR_ASSIGN_OR_RETURN(auto children, view_.List(ChildrenPrefix(order[i])));
    for (std::string& child : children) {
      if (!child.empty() && child.back() == '/') continue;  // not a link
      if (seen.insert(child).second) order.push_back(std::move(child));
    }
  }
  // Children before parents: a crash part-way leaves the parent, and with it
  // the way to retry, in place.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(*it));
    if (!entry.has_value()) continue;
    TRESOR_RETURN_IF_ERROR(DeleteOne(*entry));
    revoked->push_back(*it);
  }
  return Status::Ok();
}

void TokenStore::RunHook(const std::vector<std::string>& revoked) {
  if (revoked.empty()) return;
  RevokeHook hook;
  {
    std::lock_guard lock(mu_);
    hook = hook_;
  }
  if (!hook) return;
  for (const std::string& hash : revoked) hook(hash);
}

Status TokenStore::Revoke(std::string_view hash) {
  std::vector<std::string> revoked;
  Status status;
  {
    std::lock_guard write(write_mu_);
    status = RevokeTreeLocked(hash, &revoked);
  }
  RunHook(revoked);  // for the part that was revoked, even on failure
  return status;
}

Status TokenStore::RevokeOrphan(std::string_view hash) {
  {
    std::lock_guard write(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(hash));
    if (!entry.has_value()) return InvalidArgumentError("token to revoke not found");
    TRESOR_ASSIGN_OR_RETURN(auto children, view_.List(ChildrenPrefix(hash)));
    for (const std::string& child_hash : children) {
      std::string link = ParentLinkKey(hash, child_hash);
      TRESOR_ASSIGN_OR_RETURN(auto child, ReadEntry(child_hash));
      if (!child.has_value()) {
        TRESOR_RETURN_IF_ERROR(view_.Delete(link));
        continue;
      }
      child->parent.clear();
      TRESOR_RETURN_IF_ERROR(
          view_.Batch({storage::Operation::Put(IdKey(child_hash), SerializeTokenEntry(*child)),
                       storage::Operation::Delete(link)}));
      CachePut(*child);
    }
    TRESOR_RETURN_IF_ERROR(DeleteOne(*entry));
  }
  RunHook({std::string(hash)});
  return Status::Ok();
}

StatusOr<std::vector<std::string>> TokenStore::ListAccessors() {
  TRESOR_ASSIGN_OR_RETURN(auto hashes, view_.List(kIdPrefix));
  std::vector<std::string> accessors;
  for (const std::string& hash : hashes) {
    TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(hash));
    if (entry.has_value()) accessors.push_back(entry->accessor);
  }
  std::sort(accessors.begin(), accessors.end());
  return accessors;
}

StatusOr<std::size_t> TokenStore::ReapExpired() {
  std::vector<std::string> revoked;
  Status status;
  {
    std::lock_guard write(write_mu_);
    Clock::TimePoint now = clock_.Now();
    auto hashes = view_.List(kIdPrefix);
    if (!hashes.ok()) return hashes.status();
    for (const std::string& hash : *hashes) {
      auto entry = ReadEntry(hash);
      if (!entry.ok()) {
        status = entry.status();
        break;
      }
      if (!entry->has_value() || !(*entry)->IsInvalidAt(now)) continue;
      status = RevokeTreeLocked(hash, &revoked);
      if (!status.ok()) break;
    }
  }
  RunHook(revoked);
  if (!status.ok()) return status;
  return revoked.size();
}

Status TokenStore::ForEachToken(std::string_view path_prefix,
                                const std::function<Status(const TokenEntry& entry)>& visit) {
  TRESOR_RETURN_IF_ERROR(CheckLoaded());
  constexpr std::size_t kIdPrefixSize = sizeof(kIdPrefix) - 1;
  return storage::ForEachKey(view_, kIdPrefix, [&](const std::string& key) -> Status {
    // Not cached: a walk over every token must not fill the cache with them.
    TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(key.substr(kIdPrefixSize), false));
    if (!entry.has_value() || !entry->path.starts_with(path_prefix)) return Status::Ok();
    return visit(*entry);
  });
}

StatusOr<std::optional<TokenRole>> TokenStore::ReadRole(std::string_view name) {
  TRESOR_RETURN_IF_ERROR(ValidateRoleName(name));
  TRESOR_RETURN_IF_ERROR(CheckLoaded());
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(kRolesPrefix + std::string(name)));
  if (!stored.has_value()) return std::optional<TokenRole>();
  TRESOR_ASSIGN_OR_RETURN(TokenRole role, ParseTokenRole(*stored));
  return std::optional<TokenRole>(std::move(role));
}

Status TokenStore::WriteRole(const TokenRole& role) {
  TRESOR_RETURN_IF_ERROR(ValidateRoleName(role.name));
  TRESOR_RETURN_IF_ERROR(CheckLoaded());
  return view_.Put(kRolesPrefix + role.name, SerializeTokenRole(role));
}

Status TokenStore::DeleteRole(std::string_view name) {
  TRESOR_RETURN_IF_ERROR(ValidateRoleName(name));
  TRESOR_RETURN_IF_ERROR(CheckLoaded());
  return view_.Delete(kRolesPrefix + std::string(name));
}

StatusOr<std::vector<std::string>> TokenStore::ListRoles() {
  TRESOR_RETURN_IF_ERROR(CheckLoaded());
  return view_.List(kRolesPrefix);
}

StatusOr<TidyCounts> TokenStore::Tidy() {
  TidyCounts counts;
  std::vector<std::string> revoked;
  Status status = [&]() -> Status {
    std::lock_guard write(write_mu_);
    TRESOR_ASSIGN_OR_RETURN(auto accessor_keys, view_.List(kAccessorPrefix));
    for (const std::string& name : accessor_keys) {
      std::string key = kAccessorPrefix + name;
      TRESOR_ASSIGN_OR_RETURN(auto hash, view_.Get(key));
      if (!hash.has_value()) continue;
      TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(*hash));
      if (entry.has_value()) continue;
      TRESOR_RETURN_IF_ERROR(view_.Delete(key));
      ++counts.accessors_removed;
    }
    TRESOR_ASSIGN_OR_RETURN(auto parents, view_.List(kParentPrefix));
    for (std::string parent : parents) {
      if (parent.empty() || parent.back() != '/') continue;
      parent.pop_back();
      TRESOR_ASSIGN_OR_RETURN(auto parent_entry, ReadEntry(parent));
      TRESOR_ASSIGN_OR_RETURN(auto children, view_.List(ChildrenPrefix(parent)));
      for (const std::string& child : children) {
        TRESOR_ASSIGN_OR_RETURN(auto child_entry, ReadEntry(child));
        if (!child_entry.has_value()) {
          TRESOR_RETURN_IF_ERROR(view_.Delete(ParentLinkKey(parent, child)));
          ++counts.parent_links_removed;
        } else if (!parent_entry.has_value()) {
          // An interrupted tree revocation: finish it.
          std::size_t before = revoked.size();
          TRESOR_RETURN_IF_ERROR(RevokeTreeLocked(child, &revoked));
          counts.orphaned_children_revoked += revoked.size() - before;
        }
      }
    }
    return Status::Ok();
  }();
  RunHook(revoked);
  if (!status.ok()) return status;
  return counts;
}

}  // namespace tresor::engines::token

// TokenStore: every service token of the cluster, with its indexes, an
// in-memory cache, revocation of token trees and expiry.
//
// Storage layout, inside the view it is given (core hands it the barrier
// confined to "sys/token/"); every key names a token by its hash, never by
// the token itself:
//   salt                                 32 random bytes, created at first Load
//   id/<hex HMAC(salt, token)>           the entry (token_entry.h JSON)
//   accessor/<hex HMAC(salt, accessor)>  the id hash of the accessor's token
//   parent/<parent hash>/<child hash>    "" (lists a token's children)
// A creation writes the three keys in one atomic Batch; a revocation deletes
// them in one Batch. A revoked tree is deleted children first, so a crash
// mid-way leaves the parent (and the path to retry) in place; Tidy removes
// whatever such a crash leaves dangling.
//
// Token format: "hvs." + 24 base62 characters (about 143 bits); accessors
// are 24 base62 characters.
//
// Cache: entries are cached by hash after the first read and updated or
// dropped by every change made through this store, so the per-request
// Lookup of a known token reads no storage. Each store must be the only
// writer of its view (the active node's); a standby builds a new store.
//
// Who calls it: core/lifecycle (Load at unseal, Unload at seal,
// CreateRootToken at init), core's request path (Lookup, UseToken,
// ReapExpired periodically) and the token engine (token_engine.h).
// Threads: every method is thread-safe. Mutations are serialised among
// themselves, except creations of random-id tokens, which run alongside
// each other (their storage writes can then share a commit); a cache-hit
// Lookup takes only a short lock. The revoke hook
// runs on the calling thread after the store's locks are released.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "engines/auth/token/token_entry.h"
#include "engines/auth/token/token_ttl.h"
#include "storage/backend.h"

namespace tresor::engines::token {

// What a new token should be; the store fills in the hash, accessor and
// creation time.
struct NewToken {
  // The token to use (root callers' "id"); a random "hvs." token when empty.
  std::string id;
  std::string parent_hash;  // empty: orphan
  std::vector<std::string> policies;
  std::map<std::string, std::string> meta;
  std::string display_name = "token";
  long long num_uses = 0;
  std::chrono::seconds ttl{0};
  std::chrono::seconds explicit_max_ttl{0};
  std::chrono::seconds period{0};
  bool renewable = true;
  std::string path = "auth/token/create";
  // "service" (stored, renewable, revocable) or "batch" (an encrypted blob,
  // never stored; see docs/tokens.md).
  std::string type = "service";
  // CIDR blocks the token may be used from (common/cidr.h); empty: anywhere.
  std::vector<std::string> bound_cidrs;
};

struct CreatedToken {
  std::string token;  // The only place the token is ever returned.
  TokenEntry entry;
};

struct RenewedToken {
  TokenEntry entry;
  std::vector<std::string> warnings;
};

struct TidyCounts {
  std::size_t accessors_removed = 0;          // index entries without a token
  std::size_t parent_links_removed = 0;       // parent/<p>/<c> without token c
  std::size_t orphaned_children_revoked = 0;  // children of a vanished parent
};

class TokenStore {
 public:
  using RevokeHook = std::function<void(const std::string& token_hash)>;

  // view: storage confined to the token store (see above); outlives this.
  TokenStore(storage::Backend& view, Clock& clock, TtlLimits limits = {});

  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Reads the salt, creating it on first use, and empties the cache.
  // REQUIRES: the view is readable (barrier unsealed).
  Status Load();
  // Wipes the salt and drops the cache; every call but Load then returns
  // Sealed.
  void Unload();

  // Called with the hash of every token revoked (explicitly, as part of a
  // tree, by use exhaustion or by ReapExpired), after its entry is gone.
  // The hook must not call back into this store.
  void SetRevokeHook(RevokeHook hook);

  // The hex HMAC of token under the salt: the token's storage identity.
  // Sealed when unloaded.
  StatusOr<std::string> HashToken(std::string_view token) const;

  // Creates a root token (policies ["root"], never expires, orphan, path
  // "auth/token/root") and returns it. `id` is used as the token when given
  // (server -dev's -dev-root-token-id); InvalidArgument when it is empty.
  StatusOr<std::string> CreateRootToken(const std::optional<std::string>& id);

  // Creates a token. InvalidArgument when spec.id is taken ("cannot create a
  // token with a duplicate ID"), when the parent no longer exists, or when
  // spec.id is malformed.
  StatusOr<CreatedToken> Create(const NewToken& spec);

  // The entry of a usable token: std::nullopt for an empty, unknown,
  // expired or used-up token. A known token is answered from the cache.
  StatusOr<std::optional<TokenEntry>> Lookup(std::string_view token);
  // As Lookup, by hash.
  StatusOr<std::optional<TokenEntry>> LookupByHash(std::string_view hash);
  // As Lookup, by accessor (one index read, then the cache).
  StatusOr<std::optional<TokenEntry>> LookupByAccessor(std::string_view accessor);

  // Lookup, then consumes one use when the token is use-limited. The call
  // that consumes the last use gets the entry (num_uses 0 left, so that
  // request proceeds, as in Vault) and the token is revoked, with its tree,
  // before this returns. std::nullopt when the token is not usable.
  StatusOr<std::optional<TokenEntry>> UseToken(std::string_view token);

  // Renews a usable token at the clock's now (see token_ttl.h).
  // InvalidArgument: "token not found", "lease is not renewable", "past the
  // max TTL, cannot renew".
  StatusOr<RenewedToken> Renew(std::string_view hash, std::chrono::seconds increment);

  // Revokes the token and every descendant (iteratively: depth is not
  // limited by the stack). Revoking an unknown hash is OK.
  Status Revoke(std::string_view hash);
  // Revokes only the token; its children become orphans. NotFound-free:
  // InvalidArgument "token to revoke not found" when hash is unknown.
  Status RevokeOrphan(std::string_view hash);

  // Every stored accessor, sorted (expired but not yet reaped included).
  StatusOr<std::vector<std::string>> ListAccessors();

  // Revokes (with their trees) the tokens that are expired or used up at the
  // clock's now, and returns how many entries were removed.
  StatusOr<std::size_t> ReapExpired();

  // Removes index entries that point at missing tokens and revokes children
  // whose parent has vanished.
  StatusOr<TidyCounts> Tidy();

  const TtlLimits& limits() const { return limits_; }
  Clock& clock() const { return clock_; }

 private:
  // Reads an entry (cache, then storage) whatever its validity.
  StatusOr<std::optional<TokenEntry>> ReadEntry(std::string_view hash);
  StatusOr<std::string> AccessorKey(std::string_view accessor) const;
  // Writes an existing entry and updates the cache. REQUIRES: write_mu_.
  Status WriteEntry(const TokenEntry& entry);
  // Revokes hash and its subtree. REQUIRES: write_mu_.
  Status RevokeTreeLocked(std::string_view hash, std::vector<std::string>* revoked);
  // Deletes one entry and its indexes. REQUIRES: write_mu_.
  Status DeleteOne(const TokenEntry& entry);
  // Cache updates made by a mutation (they bump generation_).
  void CacheErase(const std::string& hash);
  void CachePut(const TokenEntry& entry);
  void RunHook(const std::vector<std::string>& revoked);

  storage::Backend& view_;
  Clock& clock_;
  const TtlLimits limits_;

  // Serialises every mutation (and the storage I/O it does), so that each
  // read-modify-write of an entry and its indexes is atomic. Creating a
  // token with a random id takes it shared: such creates touch only keys of
  // their own, so they may share one raft round trip (group commit), while
  // a revocation (exclusive) still sees either the whole new child, parent
  // link included, or a create that then finds its parent gone.
  std::shared_mutex write_mu_;

  // Guards the fields below; never held across storage I/O.
  mutable std::mutex mu_;
  SecureBytes salt_;                                   // GUARDED_BY(mu_)
  std::unordered_map<std::string, TokenEntry> cache_;  // GUARDED_BY(mu_)
  // Bumped on every cache change, so that a reader that fetched an entry
  // from storage does not cache it over a newer change.
  std::uint64_t generation_ = 0;  // GUARDED_BY(mu_)
  RevokeHook hook_;               // GUARDED_BY(mu_)
};

}  // namespace tresor::engines::token

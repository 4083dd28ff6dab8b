// TokenStore: every token of the cluster: service tokens with their indexes,
// an in-memory cache, revocation of token trees and expiry; batch tokens,
// which are never stored; and the token roles.
//
// Storage layout, inside the view it is given (core hands it the barrier
// confined to "sys/token/"); every key names a token by its hash, never by
// the token itself:
//   salt                                 32 random bytes, created at first Load
//   batch-key                            32 random bytes, the AES-256-GCM key of
//                                        batch tokens, created at first Load
//   id/<hex HMAC(salt, token)>           the entry (token_entry.h JSON)
//   accessor/<hex HMAC(salt, accessor)>  the id hash of the accessor's token
//   parent/<parent hash>/<child hash>    "" (lists a token's children)
//   roles/<name>                         a token role (token_role.h JSON)
// A creation writes the three token keys in one atomic Batch; a revocation
// deletes them in one Batch. A revoked tree is deleted children first, so a
// crash mid-way leaves the parent (and the path to retry) in place; Tidy
// removes whatever such a crash leaves dangling.
//
// Token format: service tokens are "hvs." + 24 base62 characters (about 143
// bits); accessors are 24 base62 characters. Batch tokens are "hvb." + an
// encrypted, authenticated entry (token_batch.h): nothing is written for
// them, and every node that has loaded the (replicated) batch key reads them.
//
// Cache: entries are cached by hash after the first read and updated or
// dropped by every change made through this store, so the per-request
// Lookup of a known token reads no storage. Each store must be the only
// writer of its view (the active node's); a standby builds a new store.
//
// Who calls it: core/lifecycle (Load at unseal, Unload at seal,
// CreateRootToken at init), core's request path (Lookup, UseToken,
// ReapExpired periodically), the token engine (token_engine.h) and a lease
// manager (ForEachToken).
// Threads: every method is thread-safe. Mutations are serialised among
// themselves, except creations of random-id tokens, which run alongside
// each other (their storage writes can then share a commit); a cache-hit
// Lookup takes only a short lock, a batch token's Lookup none beyond it.
// The revoke hook runs on the calling thread after the store's locks are
// released.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
#include "engines/auth/token/token_role.h"
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
  // The token role it is created against, for lookups; "" for none.
  std::string role;
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

  // Reads the salt and the batch-token key, creating them on first use, and
  // empties the cache. A batch key that cannot be written (a standby of a
  // cluster that never had one) is not an error: the key is read again, or
  // made, when a batch token is first created or looked up.
  // REQUIRES: the view is readable (barrier unsealed).
  Status Load();
  // Wipes the salt and the batch key and drops the cache; every call but
  // Load then returns Sealed.
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
  // token with a duplicate ID"), when the parent no longer exists, when
  // spec.id is malformed (or starts with "hvb."), or when spec.type is
  // neither "service" nor "batch".
  //
  // A batch token (spec.type "batch") is sealed, not stored: its entry has
  // no accessor, renewable false, and ttl = spec.ttl, or the store's default
  // TTL when 0 (a batch token always expires), capped by explicit_max_ttl,
  // which is not kept. InvalidArgument when it asks for what a batch token
  // cannot have: an id, the root policy, num_uses or a period ("batch tokens
  // cannot ..."). Its parent is checked now and at every lookup.
  StatusOr<CreatedToken> Create(const NewToken& spec);

  // The entry of a usable token: std::nullopt for an empty, unknown,
  // expired or used-up token. A known service token is answered from the
  // cache. A batch token is decrypted (no storage read), and is unusable
  // once expired, when it was tampered with or made under another key, and
  // when its parent (if any) is no longer usable (one cached lookup).
  StatusOr<std::optional<TokenEntry>> Lookup(std::string_view token);
  // As Lookup, by hash. Never finds a batch token: none is stored.
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

  // Calls visit with the entry of every stored token whose creation path
  // starts with path_prefix ("" for all), for a lease manager's
  // revoke-prefix and listings. Batch tokens are never visited (nothing is
  // stored for them). Expired and used-up tokens not yet reaped are visited
  // too: check IsInvalidAt. The walk pages through the id/ index
  // (storage::ForEachKey, 1000 names a page) and reads one entry at a time
  // (from the cache when there, without filling it), so memory stays
  // bounded; time and storage reads grow with the number of stored tokens,
  // whatever the prefix (the index is by hash, not by path). No lock is
  // held while visit runs: it may revoke the token it is given (or any
  // other), and a token created or revoked during the walk may or may not
  // be visited. The first error, the storage's or visit's, stops the walk
  // and is returned. Sealed when unloaded.
  Status ForEachToken(std::string_view path_prefix,
                      const std::function<Status(const TokenEntry& entry)>& visit);

  // Token roles, under roles/<name>. Each validates the name
  // (ValidateRoleName: InvalidArgument) and returns Sealed when unloaded.
  // ReadRole: std::nullopt when there is no such role; Corruption when the
  // stored role cannot be parsed.
  StatusOr<std::optional<TokenRole>> ReadRole(std::string_view name);
  Status WriteRole(const TokenRole& role);
  // Deleting a missing role is OK.
  Status DeleteRole(std::string_view name);
  // Every role's name, sorted.
  StatusOr<std::vector<std::string>> ListRoles();

  const TtlLimits& limits() const { return limits_; }
  Clock& clock() const { return clock_; }

 private:
  // Reads an entry (cache, then storage) whatever its validity; an entry
  // read from storage is cached only when fill_cache.
  StatusOr<std::optional<TokenEntry>> ReadEntry(std::string_view hash, bool fill_cache = true);
  // Sealed when unloaded.
  Status CheckLoaded() const;
  // Batch tokens (token_store_batch.cc).
  StatusOr<CreatedToken> CreateBatch(const NewToken& spec);
  StatusOr<std::optional<TokenEntry>> LookupBatch(std::string_view token);
  // The batch key: the loaded one, or the one in storage (then kept), or,
  // when create, a new one written to storage. nullptr when there is none
  // and !create. Sealed when unloaded.
  StatusOr<std::shared_ptr<const SecureBytes>> BatchKey(bool create);
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
  // Wiped when the last user drops it (SecureBytes' allocator).
  std::shared_ptr<const SecureBytes> batch_key_;  // GUARDED_BY(mu_)
  // Serialises reading or making the batch key (taken after write_mu_,
  // before mu_), so two threads never make two keys.
  std::mutex batch_key_mu_;
};

}  // namespace tresor::engines::token

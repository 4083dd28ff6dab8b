// PolicyStore: the ACL policies of the cluster, kept inside the barrier,
// and a cache of the Acls compiled from them.
//
// Storage layout (inside the barrier, so encrypted at rest):
//   sys/policy/<name>  JSON {"name": "<name>", "policy": "<text as written>"}
// Names are lower-cased before use, as Vault does.
//
// Built-ins:
//   "root"    never stored; grants everything; cannot be written or deleted
//             (InvalidArgument, HTTP 400). Reading it gives an empty text.
//   "default" served from DefaultPolicyText() until an operator writes their
//             own; may be rewritten (the stored version then wins), cannot be
//             deleted.
//
// The Acl cache is keyed by the sorted, de-duplicated set of policy names,
// so that checking a request reads no storage once its token's set has been
// compiled. Every write or delete through this store empties the cache. A
// policy a token names but that does not exist grants nothing (Vault
// ignores it the same way), so deleting a policy takes effect at once.
// Writes by another node (HA standbys) do not pass through this store: call
// InvalidateCache() when storage changes underneath it.
//
// Who calls it: the sys/policy handlers (CRUD) and core's request pipeline
// (AclFor). Constructed at unseal with the barrier; dropped at seal.
// Thread safety: all methods are thread-safe. One mutex guards the cache;
// storage is never called with it held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/policy/acl.h"
#include "core/policy/policy.h"
#include "storage/backend.h"

namespace tresor::core::policy {

class PolicyStore {
 public:
  // barrier: the unsealed barrier (plaintext view); must outlive the store.
  explicit PolicyStore(storage::Backend& barrier);

  // Parses and stores `text` as policy `name`, replacing any earlier
  // version. InvalidArgument for a bad name, for "root", or for text that
  // does not parse (the message gives the line); storage errors as
  // returned by the barrier. Empties the Acl cache.
  Status SetPolicy(std::string_view name, std::string_view text);

  // The policy `name` with its text as written. NotFound when there is no
  // such policy; InvalidArgument for a bad name; Corruption when the stored
  // value does not parse.
  StatusOr<Policy> GetPolicy(std::string_view name);

  // Deletes policy `name`; deleting a missing policy is OK (like Vault).
  // InvalidArgument for a bad name, "root" or "default". Empties the cache.
  Status DeletePolicy(std::string_view name);

  // Every policy name as Vault lists them: the stored names and "default",
  // sorted, followed by "root".
  StatusOr<std::vector<std::string>> ListPolicies();

  // The Acl of a token holding `policy_names` (any order and case,
  // duplicates allowed). Root when the names include "root". Served from the
  // cache when possible; otherwise compiled from storage and cached. The
  // returned Acl stays valid (and unchanged) for as long as it is held,
  // even after the policies change.
  StatusOr<std::shared_ptr<const Acl>> AclFor(const std::vector<std::string>& policy_names);

  // Empties the Acl cache.
  void InvalidateCache();

  std::size_t CachedAclCountForTest() const;

  // The cache is emptied when it would grow past this many Acls: a bound on
  // memory that costs only recompilation.
  static constexpr std::size_t kMaxCachedAcls = 4096;

 private:
  StatusOr<Policy> LoadPolicy(const std::string& normalized_name);

  storage::Backend& barrier_;

  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::shared_ptr<const Acl>> cache_;  // GUARDED_BY(mu_)
  // Bumped by every invalidation, so that an Acl compiled from storage read
  // before a write is not cached after it.
  std::uint64_t generation_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace tresor::core::policy

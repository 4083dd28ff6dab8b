// AppRoleStore: an AppRole mount's roles and secret IDs in the mount's own
// storage view, and the one lock that keeps their read-modify-writes whole.
//
// Storage layout (inside the mount's barrier view, so every value is
// encrypted by the barrier as well):
//   salt                                  32 random bytes, created on first use
//   role/<lower-case name>                the role (approle_role.h JSON)
//   role_id/<hex HMAC(salt, role ID)>     {"name": role name}: login's index
//   secret_id/<role name>/<hex HMAC(salt, secret ID)>
//                                         the secret ID's entry
//                                         (approle_secret_id.h JSON)
//   accessor/<hex HMAC(salt, accessor)>   {"role_name", "secret_id_hmac"}
// A secret ID is never stored, only its HMAC under the salt (a random key
// that is itself only in the barrier); neither are role IDs as keys. An
// entry and its accessor are written and deleted together in one Batch. A
// role is deleted secret IDs first, role last, so a crash part-way leaves
// the role in place to delete again; tidy/secret-id removes what any crash
// leaves dangling.
//
// Who calls it: the AppRole engine (approle_engine.h), one store per mount.
// Threads: every method is thread-safe. Every change (role writes and
// deletions, secret ID creation, use, destruction, tidy) runs under one
// mutex, so a use count is decremented exactly once per login and a role
// cannot vanish while a secret ID is being issued for it. Reads take no
// lock.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "engines/auth/approle/approle_role.h"
#include "engines/auth/approle/approle_secret_id.h"
#include "storage/backend.h"

namespace tresor::engines::approle {

struct ApproleTidyCounts {
  std::size_t expired_secret_ids = 0;  // past their TTL
  std::size_t orphan_secret_ids = 0;   // of a role that is gone, or without accessor
  std::size_t dangling_accessors = 0;  // pointing at no secret ID
};

class AppRoleStore {
 public:
  // view: the mount's storage; outlives the store.
  AppRoleStore(storage::Backend& view, Clock& clock) : view_(view), clock_(clock) {}
  AppRoleStore(const AppRoleStore&) = delete;
  AppRoleStore& operator=(const AppRoleStore&) = delete;

  // --- Roles. `name` is a RoleName() result. ---
  StatusOr<std::optional<Role>> GetRole(std::string_view name);
  // The role names, sorted.
  StatusOr<std::vector<std::string>> ListRoles();
  // Loads role `name` (std::nullopt when it does not exist), lets `change`
  // create or modify it, checks it (ValidateRole) and stores it with its
  // role ID index, all under the lock. A role created without a role ID
  // gets a random UUID. `change` returning an error, or leaving std::nullopt,
  // stores nothing. InvalidArgument "role_id already in use" when another
  // role has the role ID. Returns the stored role.
  StatusOr<Role> UpdateRole(std::string_view name,
                            const std::function<Status(std::optional<Role>&)>& change);
  // Deletes the role, its secret IDs with their accessors, and its role ID
  // index. Deleting a missing role is OK.
  Status DeleteRole(std::string_view name);
  // The name of the role whose role ID is `role_id`; std::nullopt when none.
  StatusOr<std::optional<std::string>> RoleNameForRoleId(std::string_view role_id);

  // --- Secret IDs. ---
  // Stores `entry` (from ReadSecretIdRequest) for `secret_id` under role
  // `role_name`, with a new accessor and the clock's times. NotFound "role
  // \"x\" does not exist" when the role is gone; InvalidArgument "secret_id
  // is already registered" when it is taken. Returns the stored entry.
  StatusOr<SecretIdEntry> CreateSecretId(std::string_view role_name, std::string_view secret_id,
                                         SecretIdEntry entry);
  // The entry of `secret_id` under the role (expired or not); std::nullopt
  // when unknown. The stored HMAC is compared in constant time.
  StatusOr<std::optional<SecretIdEntry>> GetSecretId(std::string_view role_name,
                                                     std::string_view secret_id);
  // The entry whose accessor is `accessor`, when it belongs to the role.
  StatusOr<std::optional<SecretIdEntry>> GetSecretIdByAccessor(std::string_view role_name,
                                                               std::string_view accessor);
  // Deletes the entry and its accessor. A missing one is OK.
  Status DestroySecretId(std::string_view role_name, const SecretIdEntry& entry);
  // The accessors of the role's secret IDs, sorted.
  StatusOr<std::vector<std::string>> ListAccessors(std::string_view role_name);
  // Consumes one use of the secret ID whose HMAC is `secret_id_hmac`, under
  // the lock: a use-limited entry is decremented, and deleted (with its
  // accessor) when this was its last use. Returns the entry as it was
  // before, or std::nullopt when it is gone, expired or used up by now.
  StatusOr<std::optional<SecretIdEntry>> UseSecretId(std::string_view role_name,
                                                     std::string_view secret_id_hmac);

  // Removes secret IDs that are expired, whose role is gone or whose
  // accessor is missing, and accessors that point at no secret ID.
  StatusOr<ApproleTidyCounts> Tidy();

  Clock& clock() const { return clock_; }

 private:
  // Hex HMAC-SHA256 of `value` under the salt, which is read or created on
  // first use.
  StatusOr<std::string> Hmac(std::string_view value);
  StatusOr<std::optional<SecretIdEntry>> ReadEntry(std::string_view role_name,
                                                   std::string_view secret_id_hmac);
  // The operations that delete one entry and its accessor.
  StatusOr<std::vector<storage::Operation>> DeleteEntryOps(std::string_view role_name,
                                                           const SecretIdEntry& entry);
  // REQUIRES: write_mu_.
  Status DeleteSecretIdsLocked(std::string_view role_name);

  storage::Backend& view_;
  Clock& clock_;
  // Serialises every change and the storage I/O it does (see above).
  std::mutex write_mu_;
  // Guards salt_; held while the salt is first read or created.
  std::mutex salt_mu_;
  SecureBytes salt_;  // GUARDED_BY(salt_mu_); empty until first use
};

}  // namespace tresor::engines::approle

// The token store, as far as the foundation needs it: root tokens created at
// init (or by `server -dev`), and lookup of a presented token.
//
// A token never reaches storage as itself: entries live at
// "sys/token/id/<hex HMAC-SHA256(salt, token)>" inside the barrier, and the
// per-cluster salt lives at "sys/token/salt", also inside the barrier. The
// lookup is a keyed hash, so its timing does not depend on how close a
// guess is to a real token.
//
// Token format: Vault's current service-token shape, "hvs." followed by 24
// base62 characters (about 143 bits of entropy).
//
// Who calls it: core/lifecycle (create, load at unseal, unload at seal) and
// core/core (lookup on every authenticated request).
// Threads: thread-safe; Load/Unload are serialised by the lifecycle.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "storage/backend.h"

namespace tresor::core {

struct TokenEntry {
  std::string accessor;
  std::vector<std::string> policies;
  std::string display_name;
  Clock::TimePoint creation_time;

  bool IsRoot() const;
};

class TokenStore {
 public:
  // barrier: the unsealed barrier (plaintext view). Outlives the store.
  TokenStore(storage::Backend& barrier, Clock& clock);

  // Reads the salt, creating it on first use. REQUIRES: barrier unsealed.
  Status Load();
  // Forgets (and wipes) the salt; every lookup fails until Load.
  void Unload();

  // Creates a root token and returns it. `id` is used as the token when
  // given (server -dev's -dev-root-token-id); otherwise a random one.
  StatusOr<std::string> CreateRootToken(const std::optional<std::string>& id);

  // The entry for token, std::nullopt when it is unknown.
  StatusOr<std::optional<TokenEntry>> Lookup(std::string_view token);

 private:
  StatusOr<std::string> StorageKey(std::string_view token) const;

  storage::Backend& barrier_;
  Clock& clock_;
  mutable std::mutex mu_;
  SecureBytes salt_;  // GUARDED_BY(mu_); empty when unloaded.
};

}  // namespace tresor::core

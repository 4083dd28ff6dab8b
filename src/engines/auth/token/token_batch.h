// Batch tokens: a token that is its own entry. Nothing is stored for it; the
// token carries the entry's fields, encrypted and authenticated under the
// cluster's batch-token key, so any node that has loaded the key can read it
// (docs/tokens.md, "Batch tokens").
//
// Format: "hvb." + base64url (no padding) of AES-256-GCM(key, plaintext,
// AAD "tresor batch token v1"), i.e. nonce || ciphertext || tag
// (common/aes_gcm.h). The plaintext is a JSON object: "v" (1), "parent"
// (the parent's id hash, "" for an orphan), "policies", "meta",
// "display_name", "creation_time" (unix seconds), "ttl" (seconds), "path",
// "bound_cidrs" and "role". A batch token has no accessor, no use limit, no
// period and no explicit max TTL, and is never renewable.
//
// Who calls it: TokenStore (token_store_batch.cc). Threads: stateless
// functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"
#include "engines/auth/token/token_entry.h"

namespace tresor::engines::token {

inline constexpr std::string_view kBatchTokenPrefix = "hvb.";
// The longest batch token Lookup reads, and the longest Create makes: far
// above what a few dozen policies and some metadata need, far below the
// HTTP layer's 64 KiB header limit.
inline constexpr std::size_t kMaxBatchTokenBytes = 16 * 1024;

inline bool IsBatchToken(std::string_view token) { return token.starts_with(kBatchTokenPrefix); }

// The token for `entry`: its parent, policies, meta, display_name,
// creation_time, ttl, path, bound_cidrs and role; every other field is
// ignored. REQUIRES: key.size() == kAesGcmKeySize. InvalidArgument when the
// token would be longer than kMaxBatchTokenBytes (too many policies or too
// much metadata).
StatusOr<std::string> SealBatchToken(const SecureBytes& key, const TokenEntry& entry);

// The entry a batch token carries (id_hash and accessor empty, type
// "batch", renewable false), or std::nullopt when `token` is not a batch
// token made under `key`: wrong prefix, too long, not base64url, tampered
// with, made under another key, or holding a plaintext it cannot parse.
// Never an error: a bad token is simply an unknown one. Expiry is not
// checked here.
std::optional<TokenEntry> OpenBatchToken(const SecureBytes& key, std::string_view token);

}  // namespace tresor::engines::token

// The plaintext records under core/ that say how the barrier is opened, and
// their encoding. Shared by the lifecycle's files (lifecycle.cc, Shamir;
// lifecycle_seals.cc, auto seals and migration).
//
//   core/seal-config   JSON SealConfig: type, secret_*, recovery_* (no secret)
//   core/root-key      Shamir: AES-256-GCM(unseal key, root key, AAD = the
//                      path); auto seal: the provider's blob wrapping it
//   core/recovery-key  auto seal only: AES-256-GCM(root key, recovery key,
//                      AAD = the path), so recovery shares are checked while
//                      unsealed and never open the barrier themselves
//
// Threads: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/lifecycle.h"

namespace tresor::core {

inline constexpr char kSealConfigKey[] = "core/seal-config";
inline constexpr char kRootKeyKey[] = "core/root-key";
inline constexpr char kRecoveryKeyKey[] = "core/recovery-key";

// The physical records that are not barrier values (the keyring and the
// records above), so a snapshot check does not decrypt them through it.
bool IsPhysicalOnlyKey(std::string_view key);
inline constexpr std::size_t kRootKeyBytes = 32;

std::string SealConfigJson(const SealConfig& config);
// Corruption when the stored text does not parse or is out of range.
StatusOr<SealConfig> ParseSealConfig(std::string_view stored);

}  // namespace tresor::core

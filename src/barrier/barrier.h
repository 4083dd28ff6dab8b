// AesGcmBarrier: the encryption barrier. It is itself a storage::Backend (the
// plaintext view that core and, through prefixed views, engines use) layered
// over another storage::Backend (the untrusted physical store, which only
// ever sees ciphertext).
//
// Every value is encrypted with AES-256-GCM under the keyring's active term,
// and authenticated together with its storage path, so storage can neither
// read values nor swap them between paths, alter their term, or flip a bit
// without the read failing with Corruption. Paths themselves are stored in the
// clear and List passes through unchanged, as in Vault: paths are not secret
// (engines put secrets in values, never in paths). Value sizes leak too.
// Byte layouts: docs/barrier.md.
//
// States: not initialised (no "core/keyring" in physical storage), sealed
// (the keys are not in memory: every Backend method returns SealedError()),
// unsealed. The keyring is stored at physical path "core/keyring", sealed
// with AES-256-GCM under the root key; that path is reserved, and barrier
// Get/Put/Delete/Batch on it return InvalidArgument.
//
// Callers: core/ (lifecycle: init, unseal, seal, rotate, key status) and,
// through views, engines/.
// Threads: every method is thread-safe. Reads and writes run concurrently
// under a shared lock; Initialize, Unseal, Seal and Rotate take it exclusively.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "barrier/keyring.h"
#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "storage/backend.h"

namespace tresor::barrier {

// The physical path of the sealed keyring.
inline constexpr std::string_view kKeyringPath = "core/keyring";

// Value format version (the first byte of every stored value).
inline constexpr unsigned char kValueVersion = 0x01;
// version byte + 4-byte big-endian term.
inline constexpr std::size_t kValueHeaderSize = 5;

struct KeyStatus {
  std::uint32_t term = 0;
  Clock::TimePoint install_time;
  // Encryptions under this term since this process last unsealed (0 in the
  // result of Rotate). Random 96-bit nonces are safe for about 2^32
  // encryptions per key: core can advise rotation as this grows.
  std::uint64_t encryptions = 0;
};

class AesGcmBarrier final : public storage::Backend {
 public:
  // Neither physical nor clock is owned; both must outlive the barrier.
  // The barrier starts sealed.
  AesGcmBarrier(storage::Backend& physical, const Clock& clock);
  ~AesGcmBarrier() override;

  AesGcmBarrier(const AesGcmBarrier&) = delete;
  AesGcmBarrier& operator=(const AesGcmBarrier&) = delete;

  // Whether a keyring exists in physical storage. Works sealed or unsealed.
  // Errors are those of the physical Get.
  StatusOr<bool> Initialized();

  // Creates a keyring with term 1 and stores it at kKeyringPath, sealed
  // under root_key (AAD = "core/keyring"). The barrier stays sealed.
  // REQUIRES: root_key.size() == 32 (InvalidArgument otherwise).
  // FailedPrecondition when already initialised; physical errors otherwise.
  Status Initialize(const SecureBytes& root_key);

  // Opens the keyring with root_key and keeps both in memory.
  // REQUIRES: root_key.size() == 32 (InvalidArgument otherwise).
  // Returns FailedPrecondition when not initialised, PermissionDenied
  // ("root key does not open the keyring") when root_key is wrong (the barrier
  // stays as it was), Corruption when the keyring opens but does not parse.
  // Unsealing an unsealed barrier with the same root key is OK.
  Status Unseal(const SecureBytes& root_key);

  // Wipes and drops the keyring and root key. Idempotent.
  void Seal();

  bool Sealed() const;

  // Encrypts plaintext under the root key (AES-256-GCM, AAD = aad): for a
  // raft join challenge, which only a holder of the unseal keys can open
  // (they open the stored root key). SealedError when sealed.
  StatusOr<std::string> SealWithRootKey(std::string_view plaintext, std::string_view aad) const;

  // The inverse of SealWithRootKey: decrypts and authenticates `sealed`
  // under the root key and `aad` (for a snapshot's SHA256SUMS.sealed, which
  // tells this cluster's snapshots from foreign ones). SealedError when
  // sealed; PermissionDenied "not sealed by this cluster's root key" when
  // `sealed` does not open (another key, another aad, or altered bytes).
  StatusOr<std::string> OpenWithRootKey(std::string_view sealed, std::string_view aad) const;

  // Decrypts `stored`, the value of `path` as the physical storage holds it
  // but read from elsewhere (a snapshot's record), with the current
  // keyring: what a snapshot check does to prove every value still opens.
  // Sealed when sealed; the same errors as Get otherwise.
  StatusOr<std::string> Decrypt(std::string_view path, std::string_view stored) const;

  // Re-reads the stored keyring with the root key in memory, after the
  // whole of physical storage was replaced underneath (a snapshot restore).
  // SealedError when sealed. When the root key does not open the stored
  // keyring (a snapshot of another cluster), or the keyring is missing or
  // does not parse, the barrier seals itself and says so
  // (PermissionDenied, FailedPrecondition, Corruption).
  Status ReloadKeyring();

  // Adds a keyring term and persists the keyring (sealed under the root key)
  // before any value is encrypted under the new term. Returns the new term's
  // status. SealedError when sealed; on a physical error the in-memory keyring
  // is unchanged and the old term stays active.
  StatusOr<KeyStatus> Rotate();

  // The active term, its install time and the encryptions under it since
  // unseal. SealedError when sealed.
  StatusOr<KeyStatus> ActiveKeyStatus() const;

  // storage::Backend: the plaintext view. All return SealedError() while
  // sealed and InvalidArgument for kKeyringPath. Get returns Corruption
  // ("value at <path> failed authentication", or an unknown-term message)
  // for any value that does not authenticate under its path and term.
  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  // Passes through to physical storage: paths are not encrypted.
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<storage::Operation>& ops) override;
  // Seals the barrier (physical storage is not the barrier's to close).
  Status Close() override;

 private:
  // Encrypts value for path under the active term. REQUIRES: mu_ held
  // (shared or exclusive) and unsealed.
  StatusOr<std::string> EncryptLocked(std::string_view path, std::string_view value);
  // Decrypts a stored value read from path. REQUIRES: mu_ held and unsealed.
  StatusOr<std::string> DecryptLocked(std::string_view path, std::string_view stored) const;
  // Seals keyring under root_key and writes it to kKeyringPath.
  Status PersistKeyring(const Keyring& keyring, const SecureBytes& root_key);

  storage::Backend& physical_;
  const Clock& clock_;

  mutable std::shared_mutex mu_;
  std::optional<Keyring> keyring_;  // GUARDED_BY(mu_); engaged iff unsealed.
  SecureBytes root_key_;            // GUARDED_BY(mu_); empty iff sealed.
  // Encryptions under the active term since unseal. Incremented under the
  // shared lock, reset under the exclusive one.
  std::atomic<std::uint64_t> encryptions_{0};
};

}  // namespace tresor::barrier

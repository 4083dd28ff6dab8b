// An auto-unseal provider ("seal" in Vault's config): something outside
// this server that wraps the barrier's root key, so that a node unseals by
// asking it rather than by collecting key shares. Implementations: transit
// (another Tresor's or Vault's transit engine), awskms (AWS KMS, envelope
// encryption), pkcs11 (an HSM through its PKCS#11 module).
//
// Who calls it: core::Lifecycle, at init (Wrap), at every unseal (Unwrap)
// and during seal migration; seal/key_wrapper_factory.h makes one from the
// config's seal block.
// Threads: implementations are thread-safe; calls may block on the network
// or the HSM for up to their timeout.
#pragma once

#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor::seal {

class KeyWrapper {
 public:
  virtual ~KeyWrapper() = default;

  // "transit", "awskms" or "pkcs11": the seal type shown by sys/seal-status.
  virtual std::string Type() const = 0;

  // Encrypts `key` with the provider; the result is opaque and is stored.
  // Unavailable when the provider cannot be reached (retry later),
  // PermissionDenied when it refuses (a revoked token, a wrong PIN), other
  // codes for what retrying will not fix.
  virtual StatusOr<std::string> Wrap(const SecureBytes& key) = 0;

  // The inverse of Wrap, with the same error codes; InvalidArgument when
  // `blob` is not something this provider wrapped.
  virtual StatusOr<SecureBytes> Unwrap(std::string_view blob) = 0;

  // Which provider key version wrapped `blob` ("" when the provider has no
  // versions). When a fresh Wrap reports another version, the provider's
  // key was rotated and the stored blob is re-wrapped.
  virtual std::string KeyVersion(std::string_view blob) const { return ""; }
};

}  // namespace tresor::seal

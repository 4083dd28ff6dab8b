// `seal "pkcs11"`: the root key is encrypted inside an HSM with an AES key
// that never leaves it (AES-GCM, CKM_AES_GCM 0x1087, a fresh 96-bit IV per
// wrap), through the HSM's PKCS#11 module, loaded with dlopen.
//
// Options (environment fallbacks as Vault's VAULT_HSM_*): lib (the module's
// path), slot (a slot ID) or token_label (the token's label), pin, key_label,
// mechanism (only 0x1087 / CKM_AES_GCM, the default), generate_key (create
// the AES-256 key when no key has key_label; otherwise a missing key is an
// error).
//
// Threads: thread-safe: one session, logged in once, used under a mutex.
#pragma once

#include <memory>

#include "seal/key_wrapper.h"
#include "seal/seal_block.h"

namespace tresor::seal {

// InvalidArgument for a missing or bad option, Unavailable when the module
// cannot be loaded or the token found, PermissionDenied for a wrong PIN.
StatusOr<std::unique_ptr<KeyWrapper>> NewPkcs11Wrapper(const SealBlock& block);

}  // namespace tresor::seal

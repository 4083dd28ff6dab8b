// AES-256-GCM authenticated encryption on OpenSSL's EVP interface: the one
// symmetric primitive Tresor uses for data at rest (the barrier encrypts every
// stored value with it, core wraps the root key under the unseal key with it).
//
// Sealed layout: nonce (12 bytes) || ciphertext (plaintext.size() bytes) ||
// tag (16 bytes). The nonce is drawn fresh from RAND_bytes on every call, so
// a caller must bound the number of encryptions under one key (NIST SP 800-38D
// guidance: 2^32 random nonces); see docs/barrier.md.
//
// Opening never returns unauthenticated bytes: any tag mismatch, short input,
// wrong key or wrong AAD gives Corruption "ciphertext failed authentication".
// Error messages never contain key, plaintext or ciphertext bytes.
//
// Callers: barrier/ (values, keyring), core/ (root key wrapping), seal/.
// Threads: stateless; every function is safe to call from many threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor {

inline constexpr std::size_t kAesGcmKeySize = 32;
inline constexpr std::size_t kAesGcmNonceSize = 12;
inline constexpr std::size_t kAesGcmTagSize = 16;
// Bytes AesGcmSeal adds to the plaintext.
inline constexpr std::size_t kAesGcmOverhead = kAesGcmNonceSize + kAesGcmTagSize;

// Encrypts plaintext under key, authenticating aad too (aad is not stored in
// the output; the opener must supply the same bytes).
// REQUIRES: key.size() == kAesGcmKeySize (InvalidArgument otherwise).
// Returns nonce || ciphertext || tag, plaintext.size() + kAesGcmOverhead bytes.
// Fails with Internal only if OpenSSL itself fails.
StatusOr<std::string> AesGcmSeal(const SecureBytes& key, std::string_view plaintext,
                                 std::string_view aad);

// Same as AesGcmSeal, for plaintext that is key material held in SecureBytes.
StatusOr<std::string> AesGcmSeal(const SecureBytes& key, const SecureBytes& plaintext,
                                 std::string_view aad);

// Decrypts and authenticates the output of AesGcmSeal.
// REQUIRES: key.size() == kAesGcmKeySize (InvalidArgument otherwise).
// Returns the plaintext, or Corruption "ciphertext failed authentication" when
// sealed is too short or was not produced under this key and aad. No byte of
// unauthenticated plaintext ever leaves this function.
StatusOr<std::string> AesGcmOpen(const SecureBytes& key, std::string_view sealed,
                                 std::string_view aad);

// Same as AesGcmOpen, but the plaintext lands in SecureBytes (locked, wiped on
// free): use it when the plaintext is key material.
StatusOr<SecureBytes> AesGcmOpenSecure(const SecureBytes& key, std::string_view sealed,
                                       std::string_view aad);

}  // namespace tresor

// Cryptographically secure random bytes (OpenSSL RAND_bytes) and IDs.
// Thread-safe. Failure of the CSPRNG is not recoverable and aborts.
#pragma once

#include <cstddef>
#include <string>

#include "common/secure_memory.h"

namespace tresor {

// n random bytes.
std::string RandomBytes(std::size_t n);
// n random bytes in locked, wiped-on-free memory (for keys).
SecureBytes RandomSecureBytes(std::size_t n);
// A random RFC 4122 version 4 UUID, lower-case, as Vault formats request IDs.
std::string RandomUuid();
// n random characters from [0-9A-Za-z], unbiased.
std::string RandomBase62(std::size_t n);

}  // namespace tresor

// Password hashing for auth methods that keep passwords (userpass): a slow,
// salted PBKDF2-HMAC-SHA256 from OpenSSL, stored as a self-describing string
//   "pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>"
// so the cost can be raised later without breaking stored hashes.
//
// Who calls it: engines/auth/userpass. Threads: stateless, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

// Iterations for new hashes: about 0.1 s of one core per login check, the
// same order as Vault's bcrypt cost, and a brake on guessing.
inline constexpr int kPasswordHashIterations = 200'000;

// A new salted hash of password (16 random bytes of salt).
std::string HashPassword(std::string_view password, int iterations = kPasswordHashIterations);

// Whether password matches `stored` (a HashPassword result), compared in
// constant time. Corruption when `stored` is not in the format above.
StatusOr<bool> VerifyPassword(std::string_view password, std::string_view stored);

}  // namespace tresor

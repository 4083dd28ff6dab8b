// Shamir secret sharing over GF(2^8), as Vault splits its root (unseal) key
// into key shares: each byte of the secret is the constant term of its own
// random polynomial of degree threshold - 1, and a share holds that
// polynomial evaluated at the share's x coordinate.
//
// Share layout (Vault's): secret.size() y-values, then one byte holding the
// share's x coordinate, so a share is secret.size() + 1 bytes. x coordinates
// are distinct, non-zero and random.
//
// Field arithmetic is constant time: multiplication is a bitwise shift-and-add
// with masks, inversion is exponentiation (a^254); there are no
// secret-dependent table lookups or branches.
//
// Combining fewer shares than the threshold is not an error that can be
// detected here: it yields a wrong secret (that is the point of the scheme).
// Callers authenticate the result, e.g. by opening something sealed under it.
//
// Callers: core/ (operator init and unseal), seal/ (recovery keys).
// Threads: stateless; every function is safe to call from many threads.
#pragma once

#include <cstdint>
#include <vector>

#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor::seal {

inline constexpr int kMaxShares = 255;

// Splits secret into `parts` shares, any `threshold` of which recombine it.
// REQUIRES: 1 <= threshold <= parts <= 255 and !secret.empty(); otherwise
// InvalidArgument naming the allowed range.
// Returns `parts` shares of secret.size() + 1 bytes each. The random
// polynomial coefficients are wiped before returning.
StatusOr<std::vector<SecureBytes>> Split(const SecureBytes& secret, int parts, int threshold);

// Recombines shares by Lagrange interpolation at x = 0.
// REQUIRES: at least one share; all shares the same length, at least 2 bytes;
// x coordinates (last byte) non-zero and distinct. Otherwise InvalidArgument
// ("duplicate share" for a repeated x coordinate).
// Returns the secret (shares[0].size() - 1 bytes) when the shares are at
// least `threshold` genuine shares of one split; otherwise an unrelated value.
StatusOr<SecureBytes> Combine(const std::vector<SecureBytes>& shares);

// GF(2^8) with the AES reduction polynomial x^8 + x^4 + x^3 + x + 1 (0x11b).
// Exposed for tests; constant time in both operands.
namespace gf256 {

inline std::uint8_t Add(std::uint8_t a, std::uint8_t b) { return a ^ b; }
std::uint8_t Mul(std::uint8_t a, std::uint8_t b);
// The multiplicative inverse of a; Inverse(0) is 0 (a^254 of 0).
std::uint8_t Inverse(std::uint8_t a);
// a / b. REQUIRES: b != 0 (returns 0 when b == 0).
inline std::uint8_t Div(std::uint8_t a, std::uint8_t b) { return Mul(a, Inverse(b)); }

}  // namespace gf256
}  // namespace tresor::seal

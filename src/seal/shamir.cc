#include "seal/shamir.h"

#include <openssl/rand.h>

#include <array>
#include <numeric>
#include <string>

#include "common/check.h"
#include "common/random.h"

namespace tresor::seal {
namespace gf256 {

std::uint8_t Mul(std::uint8_t a, std::uint8_t b) {
  // Shift-and-add over the bits of b; masks replace branches so the time does
  // not depend on either operand.
  unsigned product = 0;
  unsigned x = a;
  unsigned y = b;
  for (int i = 0; i < 8; ++i) {
    product ^= x & (0u - (y & 1u));
    unsigned carry = 0u - ((x >> 7) & 1u);  // All ones when x overflows on shift.
    x = ((x << 1) ^ (0x1bu & carry)) & 0xffu;
    y >>= 1;
  }
  return static_cast<std::uint8_t>(product);
}

std::uint8_t Inverse(std::uint8_t a) {
  // a^254 = a^-1 in GF(2^8)* (order 255). 254 = 2 + 4 + ... + 128, so multiply
  // the seven successive squares of a together: a fixed sequence of Muls.
  std::uint8_t square = a;
  std::uint8_t result = 1;
  for (int i = 0; i < 7; ++i) {
    square = Mul(square, square);
    result = Mul(result, square);
  }
  return result;
}

}  // namespace gf256

namespace {

// A uniformly random integer in [0, bound), by rejection (x coordinates are
// public, so the data-dependent loop is fine here).
unsigned RandomBelow(unsigned bound) {
  unsigned limit = 256 - (256 % bound);
  for (;;) {
    unsigned char c;
    TRESOR_CHECK(RAND_bytes(&c, 1) == 1);
    if (c < limit) return c % bound;
  }
}

// `count` distinct x coordinates from 1..255, in random order: the prefix of
// a Fisher-Yates shuffle.
std::vector<std::uint8_t> RandomXCoordinates(int count) {
  std::array<std::uint8_t, kMaxShares> all;
  std::iota(all.begin(), all.end(), std::uint8_t{1});
  for (int i = 0; i < count; ++i) {
    unsigned j = static_cast<unsigned>(i) + RandomBelow(static_cast<unsigned>(kMaxShares - i));
    std::swap(all[static_cast<std::size_t>(i)], all[j]);
  }
  return std::vector<std::uint8_t>(all.begin(), all.begin() + count);
}

}  // namespace

StatusOr<std::vector<SecureBytes>> Split(const SecureBytes& secret, int parts, int threshold) {
  if (threshold < 1 || threshold > parts || parts > kMaxShares) {
    return InvalidArgumentError("shares and threshold must satisfy 1 <= threshold <= shares <= " +
                                std::to_string(kMaxShares) + " (got shares " +
                                std::to_string(parts) + ", threshold " + std::to_string(threshold) +
                                ")");
  }
  if (secret.empty()) return InvalidArgumentError("cannot split an empty secret");

  const std::size_t size = secret.size();
  const std::size_t degree = static_cast<std::size_t>(threshold) - 1;
  // Coefficients 1..degree of byte i's polynomial are coefficients[i*degree ..].
  // SecureBytes wipes them when this function returns.
  SecureBytes coefficients = RandomSecureBytes(size * degree);
  std::vector<std::uint8_t> xs = RandomXCoordinates(parts);

  std::vector<SecureBytes> shares;
  shares.reserve(static_cast<std::size_t>(parts));
  for (std::uint8_t x : xs) {
    SecureBytes share(size + 1);
    for (std::size_t i = 0; i < size; ++i) {
      // Horner's rule from the highest coefficient down to the secret byte.
      const unsigned char* c = coefficients.data() + i * degree;
      std::uint8_t y = 0;
      for (std::size_t k = degree; k > 0; --k) y = gf256::Add(gf256::Mul(y, x), c[k - 1]);
      share[i] = gf256::Add(gf256::Mul(y, x), secret[i]);
    }
    share[size] = x;
    shares.push_back(std::move(share));
  }
  return shares;
}

StatusOr<SecureBytes> Combine(const std::vector<SecureBytes>& shares) {
  if (shares.empty()) return InvalidArgumentError("at least one share is required");
  const std::size_t length = shares[0].size();
  if (length < 2) return InvalidArgumentError("a share must be at least 2 bytes");
  if (shares.size() > static_cast<std::size_t>(kMaxShares)) {
    return InvalidArgumentError("at most 255 shares can be combined");
  }
  std::array<bool, 256> seen{};
  std::vector<std::uint8_t> xs;
  xs.reserve(shares.size());
  for (const SecureBytes& share : shares) {
    if (share.size() != length) return InvalidArgumentError("shares have different lengths");
    std::uint8_t x = share[length - 1];
    if (x == 0) return InvalidArgumentError("share has an invalid x coordinate");
    if (seen[x]) return InvalidArgumentError("duplicate share");
    seen[x] = true;
    xs.push_back(x);
  }

  // Lagrange basis at 0: w_i = prod_{j != i} x_j / (x_j - x_i); in GF(2^8)
  // subtraction is xor. The weights depend only on the public x coordinates.
  std::vector<std::uint8_t> weights(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::uint8_t w = 1;
    for (std::size_t j = 0; j < xs.size(); ++j) {
      if (j != i) w = gf256::Mul(w, gf256::Div(xs[j], gf256::Add(xs[j], xs[i])));
    }
    weights[i] = w;
  }

  SecureBytes secret(length - 1);
  for (std::size_t b = 0; b + 1 < length; ++b) {
    std::uint8_t value = 0;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      value = gf256::Add(value, gf256::Mul(shares[i][b], weights[i]));
    }
    secret[b] = value;
  }
  return secret;
}

}  // namespace tresor::seal

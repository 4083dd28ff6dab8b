#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>

#include "common/check.h"
#include "common/secure_memory.h"

namespace tresor {
namespace {
void Fill(unsigned char* out, std::size_t n) {
  if (n == 0) return;
  TRESOR_CHECK(RAND_bytes(out, static_cast<int>(n)) == 1);
}
}  // namespace

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  Fill(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

SecureBytes RandomSecureBytes(std::size_t n) {
  SecureBytes out(n);
  Fill(out.data(), n);
  return out;
}

std::string RandomUuid() {
  unsigned char b[16];
  Fill(b, sizeof(b));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char text[37];
  std::snprintf(text, sizeof(text),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return text;
}

std::string RandomBase62(std::size_t n) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(n);
  // Bytes are drawn a pool at a time: one RAND_bytes call per character
  // made token creation spend a seventh of its CPU in the DRBG's locking.
  unsigned char pool[64];
  std::size_t used = sizeof(pool);
  while (out.size() < n) {
    if (used == sizeof(pool)) {
      Fill(pool, sizeof(pool));
      used = 0;
    }
    const unsigned char c = pool[used++];
    if (c >= 248) continue;  // 248 = 62 * 4: reject to keep the draw unbiased.
    out.push_back(kAlphabet[c % 62]);
  }
  // The pool's unused bytes are as secret as the token drawn from it.
  SecureWipe(pool, sizeof(pool));
  return out;
}

}  // namespace tresor

#include "common/password_hash.h"

#include <openssl/evp.h>

#include <charconv>
#include <vector>

#include "common/check.h"
#include "common/encoding.h"
#include "common/random.h"
#include "common/secure_memory.h"

namespace tresor {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string Derive(std::string_view password, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                             reinterpret_cast<const unsigned char*>(salt.data()),
                             static_cast<int>(salt.size()), iterations, EVP_sha256(),
                             static_cast<int>(out.size()),
                             reinterpret_cast<unsigned char*>(out.data()));
  TRESOR_CHECK(ok == 1);
  return out;
}

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t dollar = text.find('$');
    parts.push_back(text.substr(0, dollar));
    if (dollar == std::string_view::npos) return parts;
    text.remove_prefix(dollar + 1);
  }
}

}  // namespace

std::string HashPassword(std::string_view password, int iterations) {
  std::string salt = RandomBytes(kSaltBytes);
  std::string hash = Derive(password, salt, iterations);
  std::string stored = std::string(kScheme) + "$" + std::to_string(iterations) + "$" +
                       Base64Encode(salt) + "$" + Base64Encode(hash);
  SecureWipe(hash);
  return stored;
}

StatusOr<bool> VerifyPassword(std::string_view password, std::string_view stored) {
  std::vector<std::string_view> parts = Split(stored);
  int iterations = 0;
  if (parts.size() != 4 || parts[0] != kScheme ||
      std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations).ec !=
          std::errc() ||
      iterations < 1) {
    return CorruptionError("stored password hash is malformed");
  }
  auto salt = Base64Decode(parts[2]);
  auto expected = Base64Decode(parts[3]);
  if (!salt.ok() || !expected.ok() || expected->size() != kHashBytes) {
    return CorruptionError("stored password hash is malformed");
  }
  std::string actual = Derive(password, *salt, iterations);
  bool match = ConstantTimeEquals(actual, *expected);
  SecureWipe(actual);
  return match;
}

}  // namespace tresor

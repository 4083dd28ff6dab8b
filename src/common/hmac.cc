#include "common/hmac.h"

#include <openssl/hmac.h>

#include "common/check.h"

namespace tresor {

std::string HmacSha256(const SecureBytes& key, std::string_view data) {
  unsigned char out[32];
  unsigned int out_len = 0;
  TRESOR_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                    &out_len) != nullptr);
  TRESOR_CHECK(out_len == sizeof(out));
  return std::string(reinterpret_cast<char*>(out), out_len);
}

}  // namespace tresor

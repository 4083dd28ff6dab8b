#include "common/sha256.h"

#include <openssl/evp.h>

#include "common/check.h"
#include "common/encoding.h"

namespace tresor {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  TRESOR_CHECK(ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view bytes) {
  if (bytes.empty()) return;
  TRESOR_CHECK(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

std::string Sha256::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  TRESOR_CHECK(EVP_DigestFinal_ex(ctx_, digest, &length) == 1 && length == kDigestBytes);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Sha256::FinishHex() { return HexEncode(Finish()); }

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hash;
  hash.Update(bytes);
  return hash.FinishHex();
}

}  // namespace tresor

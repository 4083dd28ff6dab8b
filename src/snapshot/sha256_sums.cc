#include "snapshot/sha256_sums.h"

#include <openssl/evp.h>

#include "common/check.h"
#include "common/encoding.h"
#include "snapshot/archive_format.h"

namespace tresor::snapshot {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  TRESOR_CHECK(ctx_ != nullptr && EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view bytes) {
  if (bytes.empty()) return;
  TRESOR_CHECK(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  TRESOR_CHECK(EVP_DigestFinal_ex(ctx_, digest, &length) == 1 && length == 32);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 hash;
  hash.Update(bytes);
  return hash.FinishHex();
}

std::string FormatSums(const Sums& sums) {
  return sums.meta_sha256 + "  " + std::string(kMetaMember) + "\n" + sums.state_sha256 + "  " +
         std::string(kStateMember) + "\n";
}

namespace {

bool IsLowerHexDigest(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

StatusOr<Sums> ParseSums(std::string_view text) {
  // Two lines of 64 + 2 + name + 1 bytes: parse by position, then require
  // the exact text back, so no variant spelling slips through.
  const std::size_t meta_line = 64 + 2 + kMetaMember.size() + 1;
  if (text.size() < meta_line + 64) {
    return CorruptionError("snapshot is damaged: SHA256SUMS is malformed");
  }
  Sums sums{std::string(text.substr(0, 64)), std::string(text.substr(meta_line, 64))};
  if (!IsLowerHexDigest(sums.meta_sha256) || !IsLowerHexDigest(sums.state_sha256) ||
      FormatSums(sums) != text) {
    return CorruptionError("snapshot is damaged: SHA256SUMS is malformed");
  }
  return sums;
}

}  // namespace tresor::snapshot

// SHA-256 over streamed bytes (OpenSSL EVP), for checksums of state that is
// too large to hold at once: snapshot archives, raft state streams.
// Failures of OpenSSL itself abort (they mean a broken library, not bad
// input).
// Thread safety: a Sha256 belongs to one thread; Sha256Hex is stateless.
#pragma once

#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace tresor {

class Sha256 {
 public:
  static constexpr std::size_t kDigestBytes = 32;

  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything given to Update: 32 raw bytes, or 64
  // lowercase hex digits. REQUIRES: one of them, once; no Update after it.
  std::string Finish();
  std::string FinishHex();

 private:
  EVP_MD_CTX* ctx_;
};

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace tresor

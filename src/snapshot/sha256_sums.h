// SHA-256 over streamed bytes (OpenSSL EVP) and the SHA256SUMS member of a
// snapshot archive, in sha256sum(1)'s format so that `sha256sum -c
// SHA256SUMS` checks an extracted archive:
//
//   <64 lowercase hex>  meta.json\n<64 lowercase hex>  state.bin\n
//
// Who calls it: the archive writer and reader.
// Thread safety: a Sha256 belongs to one thread; the functions are stateless.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace tresor::snapshot {

// An incremental SHA-256. Failures of OpenSSL itself abort (they mean a
// broken library, not bad input).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything given to Update, as 64 lowercase hex digits.
  // REQUIRES: called once; no Update after it.
  std::string FinishHex();

 private:
  EVP_MD_CTX* ctx_;
};

// SHA-256 of `bytes` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

struct Sums {
  std::string meta_sha256;   // 64 lowercase hex digits
  std::string state_sha256;  // 64 lowercase hex digits
};

// The SHA256SUMS text for these digests.
std::string FormatSums(const Sums& sums);

// Parses SHA256SUMS. Only the exact text FormatSums produces is accepted;
// anything else is Corruption "SHA256SUMS is malformed ...".
StatusOr<Sums> ParseSums(std::string_view text);

}  // namespace tresor::snapshot

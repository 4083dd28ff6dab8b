#include "snapshot/sha256_sums.h"

#include "common/check.h"
#include "common/encoding.h"
#include "snapshot/archive_format.h"

namespace tresor::snapshot {

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

// The SHA256SUMS member of a snapshot archive, in sha256sum(1)'s format so
// that `sha256sum -c SHA256SUMS` checks an extracted archive:
//
//   <64 lowercase hex>  meta.json\n<64 lowercase hex>  state.bin\n
//
// Who calls it: the archive writer and reader.
// Thread safety: stateless. The streamed hash itself is common/sha256.h.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "common/status.h"

namespace tresor::snapshot {

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

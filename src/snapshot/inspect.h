// InspectArchive: what `tresor operator raft snapshot inspect` shows, read
// offline from an archive: its meta.json, and the number and bytes of the
// records under each key prefix, cut at `depth` path segments as Vault's
// `snapshot inspect -depth` does ("logical/<uuid>/", "core/", "sys/token/").
// The archive is fully verified (ReadArchive without the seal check) before
// any figure is returned.
//
// Who calls it: the CLI (inspect) and tests.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"

namespace tresor::snapshot {

struct PrefixStats {
  std::string prefix;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;  // key + value bytes of the records under prefix

  friend bool operator==(const PrefixStats&, const PrefixStats&) = default;
};

struct Inspection {
  Meta meta;
  // Sorted by count, largest first, then by prefix.
  std::vector<PrefixStats> prefixes;
  std::uint64_t total_count = 0;
  std::uint64_t total_bytes = 0;
};

// The prefix of `key` at `depth`: the key up to and including its depth-th
// '/'; a key with fewer slashes counts under its parent ("core/keyring" at
// depth 2 is "core/"); a key without '/' counts as itself.
// REQUIRES: depth >= 1.
std::string KeyPrefix(std::string_view key, int depth);

// Reads and verifies the archive from `in` and counts its records by
// prefix. InvalidArgument when depth < 1; ReadArchive's errors otherwise.
StatusOr<Inspection> InspectArchive(const ByteSource& in, int depth);

}  // namespace tresor::snapshot

// meta.json of a snapshot archive: what the snapshot is (ID, raft index and
// term, creation time, size of state.bin, cluster, keyring term), as a struct
// and its strict JSON encoding (docs/snapshot-format.md).
//
// Who calls it: the archive writer and reader, inspect, and core (which
// fills a Meta before WriteArchive).
// Thread safety: stateless functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace tresor::snapshot {

// Where an archive stands in the cluster's replication log (present only
// when the log is on: docs/snapshot-format.md): the position of the last
// entry it holds, and a time. For a snapshot, every write in it was
// proposed before that time; for a write archive segment, every write
// acknowledged before it is in the segment or an earlier one.
struct LogPoint {
  std::uint64_t index = 0;
  std::string hash;  // 32 raw bytes; hex in meta.json
  std::int64_t unix_ns = 0;
  friend bool operator==(const LogPoint&, const LogPoint&) = default;
};

struct Meta {
  int version = 1;
  std::string id;
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  std::string created_at;  // RFC 3339, UTC ("2026-01-01T00:00:00Z")
  std::uint64_t size = 0;  // bytes of state.bin
  std::string cluster_id;
  std::uint32_t keyring_term = 0;
  std::optional<LogPoint> log;

  friend bool operator==(const Meta&, const Meta&) = default;
};

// The JSON object of meta.json, compact, keys in a fixed order.
std::string EncodeMeta(const Meta& meta);

// Parses meta.json. Strict: a JSON object with exactly the fields of Meta,
// each of its type (non-negative integers, strings; id and created_at not
// empty, keyring_term within 32 bits). Returns InvalidArgument naming the
// field otherwise (only "log" may be absent); a "version" other than kFormatVersion is refused first,
// with a message that says which versions this build reads.
StatusOr<Meta> ParseMeta(std::string_view json);

// A snapshot ID in Vault's/Consul's style: "<term>-<index>-<unix ms>".
std::string NewSnapshotId(std::uint64_t term, std::uint64_t index, Clock::TimePoint now);

}  // namespace tresor::snapshot

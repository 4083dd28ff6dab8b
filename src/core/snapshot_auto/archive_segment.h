// Segments of the point-in-time write archive (docs/snapshots.md,
// "Point-in-time recovery"): the replication log's entries, as stored
// (barrier ciphertext; never plaintext), in a snapshot archive of the usual
// format (docs/snapshot-format.md), so that a segment has the same
// checksums and sealed sums as a snapshot:
//   state.bin records  key: the entry's log index, 20 decimal digits (so
//                      byte order is log order); value: its 32-byte hash,
//                      u64 raft index, u64 proposal time in unix ns (big
//                      endian), then the entry.
//   meta.json          index: the raft index applied when the segment
//                      closed; log: the last entry's position and the close
//                      time (every write acknowledged before it is in this
//                      segment or an earlier one).
//
// SegmentSpool collects a segment's entries in a scratch file as the
// archiver reads them, so that a segment's size costs disk, not memory.
//
// Threads: a spool belongs to one thread; ScanSegment is stateless.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"
#include "storage/replication_log.h"

namespace tresor::core::snapshot_auto {

struct ArchivedWrite {
  storage::LogPosition position;
  storage::LogStamp stamp;
  std::string entry;
};

class SegmentSpool {
 public:
  explicit SegmentSpool(std::string path) : path_(std::move(path)) {}
  ~SegmentSpool();  // removes the file
  SegmentSpool(const SegmentSpool&) = delete;
  SegmentSpool& operator=(const SegmentSpool&) = delete;

  Status Append(const ArchivedWrite& write);
  std::size_t count() const { return count_; }
  std::uint64_t bytes() const { return bytes_; }
  const std::optional<ArchivedWrite>& first() const { return first_; }
  const storage::LogPosition& last() const { return last_; }

  // Writes the spooled entries as a segment archive at `path` (meta's
  // size and log.index/hash are filled in here) and empties the spool.
  Status WriteSegment(const std::string& path, snapshot::Meta meta, const snapshot::SumsSeal& seal);
  void Clear();

 private:
  const std::string path_;
  std::FILE* file_ = nullptr;
  std::size_t count_ = 0;
  std::uint64_t bytes_ = 0;
  std::optional<ArchivedWrite> first_;  // without its entry
  storage::LogPosition last_;
};

// Reads the segment at `path`, calling `on_meta` then `visit` for every
// write in log order; verifies the whole file (checksums, and the sealed
// sums when `seal` is given) before returning Ok. What `visit` saw is
// unverified until then. Corruption or InvalidArgument for a bad segment,
// naming `name`.
Status ScanSegment(const std::string& path, const std::string& name,
                   const snapshot::SumsSeal* seal,
                   const std::function<Status(const snapshot::Meta&)>& on_meta,
                   const std::function<Status(const ArchivedWrite&)>& visit);

// The time a segment or snapshot object name carries
// (<file_prefix>-<unix ns>.<suffix>); 0 when it has none.
std::int64_t NameTime(std::string_view name);

}  // namespace tresor::core::snapshot_auto

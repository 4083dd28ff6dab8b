// Point-in-time recovery from a schedule's target (docs/snapshots.md,
// "Point-in-time recovery"): what a target covers, and a restore to a
// point in it.
//
// A restore to point P takes the newest snapshot that stands in the
// replication log at or before P (its meta.json "log"), stages it as a
// snapshot restore does, replays onto the staged records the archived
// writes after it in log order, up to the last one before P, and commits
// all of it in one step: readers see the old state or the restored one,
// never a mix. Every write replayed must continue the hash chain from the
// snapshot: a missing segment or a write from another history stops the
// restore (nothing changes) with the gap named, never skipped.
//
// P is a time or a raft index. A time keeps every write acknowledged
// before it (writes are stamped when proposed; an acknowledged write and
// all before it were proposed earlier); a raft index keeps the writes of
// raft entries up to it. A point after what the archive covers (the close
// time and raft index of its newest segment) is refused: writes after it
// may not be archived yet.
//
// Threads: stateless; one call runs on the caller's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "core/snapshot_auto/auto_config.h"
#include "snapshot/sums_seal.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::core::snapshot_auto {

struct PitrPoint {
  std::optional<std::uint64_t> raft_index;
  std::optional<std::int64_t> unix_ns;
  std::string text;  // as given, for messages
};

// A raft index (digits) or an RFC 3339 time; InvalidArgument otherwise.
StatusOr<PitrPoint> ParsePitrPoint(std::string_view text);

// The snapshots and segments of `target` and what they cover: time and
// raft index ranges, and every gap between segments. Reads (and checks)
// every segment; `seal` null skips the sealed sums (another cluster's).
StatusOr<nlohmann::json> InspectTarget(const AutoConfig& target, const std::string& scratch_dir,
                                       const snapshot::SumsSeal* seal);

// Restores the state as it was at `point` (see above). `seal` null for
// another cluster's target (force). The answer describes what was
// restored: the snapshot, the writes replayed, the last one's time.
// InvalidArgument (nothing changed) when the target cannot give that
// point; the storage's errors otherwise.
StatusOr<nlohmann::json> RestoreToPoint(const AutoConfig& target, const PitrPoint& point,
                                        storage::Snapshotter& snapshotter,
                                        const storage::ReplicationLog& log,
                                        const snapshot::SumsSeal* seal,
                                        const std::string& scratch_dir);

}  // namespace tresor::core::snapshot_auto

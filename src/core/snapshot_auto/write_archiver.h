// WriteArchiver: the point-in-time write archive of every schedule with
// pitr_enabled (docs/snapshots.md, "Point-in-time recovery"). A thread on
// every node; only the active node of a cluster that writes its own data
// (not a DR secondary), unsealed, archives.
//
// The source is the replication log (storage/replication_log.h): every
// committed write, as stored, with its position in a hash chain and the
// time it was proposed. The archive of a schedule starts at the position
// of one of its snapshots and goes on from there without a hole: the
// entries after the archived position are spooled to a scratch file and
// stored as one segment (archive_segment.h) when the segment is
// pitr_segment_interval old or pitr_segment_max_bytes big. Only then does
// the archived position move on, in the barrier
// (core/snapshot-auto/pitr/<name>), so a new active node carries on from
// there (storing again, under the same name, what the old one stored but
// had not recorded: a replay skips what it already has).
//
// A gap: when the log no longer holds the archived position (trimmed
// while no node archived, or its history broken by a whole-state restore),
// the archive cannot go on; it is recorded (status: pitr_gaps,
// pitr_last_gap) and the archive starts again from a new snapshot of the
// schedule, taken at once. A restore to a point inside the gap is refused, naming it.
//
// Threads: Start/Stop from the owner; StatusOf from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/snapshot_auto/archive_segment.h"
#include "core/snapshot_auto/auto_snapshotter.h"
#include "storage/replication_log.h"

namespace tresor::core::snapshot_auto {

class SnapshotTarget;

inline constexpr char kPitrPrefix[] = "core/snapshot-auto/pitr/";

class WriteArchiver {
 public:
  // `log` is null when the storage has no replication log (nothing runs).
  // `writes_own_data` is false on a DR secondary.
  WriteArchiver(Lifecycle& lifecycle, Ha& ha, Clock& clock, storage::ReplicationLog* log,
                AutoSnapshotter& snapshots, std::string scratch_dir,
                std::function<bool()> writes_own_data);
  ~WriteArchiver();  // Stop()

  void Start();
  void Stop();

  // The archive's status fields of schedule `name` (pitr_*), for
  // AutoSnapshotter::StatusOf.
  StatusOr<nlohmann::json> StatusOf(const std::string& name);

 private:
  struct Archived {  // the barrier record
    std::optional<storage::LogPosition> position;
    std::uint64_t segments = 0;
    std::string last_segment_url;
    std::int64_t last_segment_end_ns = 0;  // every write acknowledged before is archived
    std::uint64_t last_segment_raft_index = 0;
    std::string last_error;
    std::uint64_t gaps = 0;
    std::string last_gap;
  };
  StatusOr<Archived> ReadArchived(const std::string& name);
  Status WriteArchived(const std::string& name, const Archived& archived);

  // What this node holds of one schedule's archive while active.
  struct Open {
    Archived archived;
    storage::LogPosition read_to;  // the last entry spooled
    std::unique_ptr<SegmentSpool> spool;
    std::chrono::steady_clock::time_point opened{};
    std::int64_t last_name_ns = 0;
    bool snapshot_asked = false;  // a snapshot to start again from
  };

  void Run();
  void RunOnce();
  // Reads new entries of one schedule, and stores a segment when due.
  Status Archive(const AutoConfig& config, Open& open);
  // Starts (again) from the schedule's newest snapshot, recording the gap
  // `why` when the archive had a position already.
  Status Restart(const AutoConfig& config, Open& open, const std::string& why);
  Status CloseSegment(const AutoConfig& config, Open& open);
  // Deletes the segments no kept snapshot needs (after a stored segment).
  void PruneSegments(const AutoConfig& config, SnapshotTarget& target);
  static constexpr std::int64_t kPruneMarginNs = 300'000'000'000;
  Status EnsureLogOn();

  Lifecycle& lifecycle_;
  Ha& ha_;
  Clock& clock_;
  storage::ReplicationLog* const log_;
  AutoSnapshotter& snapshots_;
  const std::string scratch_dir_;
  const std::function<bool()> writes_own_data_;

  std::map<std::string, Open> open_;  // Run's thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tresor::core::snapshot_auto

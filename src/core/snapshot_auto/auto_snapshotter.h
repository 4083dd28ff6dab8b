// AutoSnapshotter: runs the automated snapshot schedules (docs/snapshots.md,
// "Automated snapshots"). A thread on every node; only the active node,
// unsealed, takes snapshots.
//
// The schedule lives in the barrier beside each config, as its status
// (core/snapshot-auto/status/<name>): when the next snapshot is due, and,
// while one is being taken, by whom. Before it starts a snapshot the active
// node records itself as taking it and moves the due time one interval on,
// so a new active node after a failover neither repeats a snapshot that
// was finished nor skips one: a snapshot another node left unrecorded
// counts if it was stored (only checked snapshots get their name), and is
// taken again at once if not; the next falls due as scheduled.
//
// Each snapshot is written from one point-in-time view of the raft state,
// then checked before it counts: the archive read back whole (checksums and
// the sealed sums, with this cluster's root key) and every value decrypted
// with the current keyring. One that fails is removed and reported, and
// retention (which deletes the oldest beyond `retain`) runs only after a
// snapshot that passed, so the newest good snapshot is never deleted.
//
// Threads: the handlers' methods are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/snapshot_auto/auto_config.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::core::snapshot_auto {

class SnapshotTarget;

class AutoSnapshotter {
 public:
  static constexpr std::chrono::milliseconds kTick{200};

  // snapshotter is null when the storage has none (no schedules run); log
  // when it has no replication log (pitr_enabled refused). A node whose
  // writes_own_data() is false (a DR secondary) takes no snapshots.
  AutoSnapshotter(Lifecycle& lifecycle, Ha& ha, Clock& clock, storage::Snapshotter* snapshotter,
                  storage::ReplicationLog* log, std::string scratch_dir,
                  std::function<bool()> writes_own_data);
  ~AutoSnapshotter();  // Stop()

  void Start();
  void Stop();

  // ---- the API (active node, unsealed) ----
  Status Write(const AutoConfig& config);
  StatusOr<std::optional<AutoConfig>> Read(const std::string& name);
  Status Delete(const std::string& name);
  StatusOr<std::vector<std::string>> List();
  // Vault's status fields, with consecutive_failures, last_verified_index,
  // last_verified_time and last_verified_age_seconds (null: none yet).
  StatusOr<nlohmann::json> StatusOf(const std::string& name);
  // Where the newest checked snapshot of schedule `name` stands in the
  // replication log (pitr_enabled schedules); nullopt when none does.
  StatusOr<std::optional<storage::LogPosition>> NewestSnapshotPosition(const std::string& name);
  // Makes schedule `name`'s next snapshot due now (the write archive lost
  // its history and starts again from a new snapshot).
  Status SnapshotNow(const std::string& name);
  // The raft index this node has applied (0 when unknown).
  std::uint64_t AppliedRaftIndex();
  const std::string& scratch_dir() const { return scratch_dir_; }

 private:
  struct Progress {
    std::int64_t next_due_ns = 0;
    std::string in_progress_by;  // who is taking one now ("" when none)
    std::int64_t snapshot_start_ns = 0;
    std::string snapshot_url;
    std::int64_t last_start_ns = 0, last_end_ns = 0;
    std::string last_error, last_url;
    std::uint64_t consecutive_failures = 0, last_verified_index = 0;
    std::int64_t last_verified_ns = 0;  // when the newest good one ended
    std::optional<storage::LogPosition> last_verified_log;  // pitr_enabled only
  };
  StatusOr<Progress> ReadProgress(const std::string& name);
  Status WriteProgress(const std::string& name, const Progress& progress);

  void Run();
  void RunDue();
  // Takes, checks, stores as `object` and prunes one snapshot; its url.
  StatusOr<std::string> TakeSnapshot(const AutoConfig& config, const std::string& object,
                                     std::uint64_t* index,
                                     std::optional<storage::LogPosition>* position);
  // Whether the object `url` names is among the target's snapshots.
  static bool Stored(SnapshotTarget& target, const std::string& file_prefix,
                     const std::string& url);
  // The archive at path read back with the seal and every value decrypted.
  Status Check(const std::string& path);
  std::int64_t NowNs() const;

  Lifecycle& lifecycle_;
  Ha& ha_;
  Clock& clock_;
  storage::Snapshotter* const snapshotter_;
  storage::ReplicationLog* const log_;
  const std::string scratch_dir_;
  const std::function<bool()> writes_own_data_;
  const std::string taker_id_;  // this process, in in_progress_by

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tresor::core::snapshot_auto

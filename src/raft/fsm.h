// raft/fsm: the libraft state machine (struct raft_fsm) over a StateStore.
//
// apply   decodes the entry's command and adds it to the Applier
//         (raft/applier.h), which stages and commits entries in groups on a
//         thread of its own; the owner hands each event-loop iteration's
//         entries over (HandOff). Puts and deletes are published first
//         (StateStore::Publish): readers see them at once, and their writer
//         is answered at once, the entry being durable in the log. Any
//         other entry's writer is answered by the Applier once the entry is
//         committed (AnswerLast); AnsweredAtOnce tells which.
// snapshot drains the Applier, syncs the store and returns a manifest:
//         "TRSMANI1" and the applied index (u64 big endian), 16 bytes. The
//         state itself is the store, durable on every node, so a snapshot
//         costs one sync whatever the size of the state and libraft never
//         holds the state in memory (docs/raft.md, "Snapshots").
// restore takes a manifest: nothing to do when the store already holds
//         that index or a newer one (at start-up libraft restores its last
//         snapshot, which the store is always at or past). A follower that
//         is behind it fetches the leader's state through the state fetcher
//         (raft/state_transfer.h), streamed and installed record by record.
//         An image in the older format ("TRSTATE1", raft/state_image.h),
//         from a snapshot taken by an earlier version, is still loaded.
//
// When snapshots are taken: libraft counts entries (snapshot_threshold),
// the Fsm also counts bytes. Once the entries applied since the last
// snapshot hold threshold_bytes, it lowers libraft's threshold so that one
// is taken at once; and at each snapshot it lowers libraft's trailing count
// so that the entries kept behind it hold at most trailing_bytes. libraft
// keeps every log entry in memory until a snapshot drops it, so the two
// byte bounds bound that memory whatever the size of the entries
// (docs/raft.md, "Memory").
//
// Every entry is recorded as applied even when its operations fail (a full
// map, an over-long key): the failure is the entry's result, so that one bad
// write never stops the log. Such an entry is never published: its failure
// reaches the writer through the answer its apply callback registers with
// AnswerLast (libraft calls that callback right after apply returns for the
// same entry).
//
// Threads: the raft thread only (libraft calls it there), except what the
// Applier says of its own methods.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "raft/applier.h"
#include "raft/libraft.h"
#include "raft/state_store.h"

namespace tresor::raft {

class Fsm {
 public:
  // `store` and `raft` must outlive the Fsm; raft may be set later (SetRaft)
  // but before the first callback, as libraft wants the fsm at raft_init.
  explicit Fsm(StateStore& store);

  Fsm(const Fsm&) = delete;
  Fsm& operator=(const Fsm&) = delete;

  struct raft_fsm* get() {
    return &fsm_;
  }
  void SetRaft(struct raft* raft) { raft_ = raft; }

  // How a follower behind a manifest gets the state: installs a state at
  // `min_index` or later in the store and returns its index. Without one
  // such a restore fails. Set before libraft starts.
  using StateFetcher = std::function<StatusOr<std::uint64_t>(std::uint64_t min_index)>;
  void SetStateFetcher(StateFetcher fetch) { fetch_state_ = std::move(fetch); }

  struct SnapshotLimits {
    unsigned threshold_entries = 8192;
    std::uint64_t threshold_bytes = std::uint64_t{64} << 20;
    unsigned trailing_entries = 10000;
    std::uint64_t trailing_bytes = std::uint64_t{32} << 20;
  };
  // Sets libraft's counts too. After SetRaft, before libraft starts.
  void SetSnapshotLimits(const SnapshotLimits& limits);

  // The manifest of a snapshot at `applied_index` (tests build their own).
  static std::string Manifest(std::uint64_t applied_index);

  // Where applied entries go, and where their writers get their answers.
  Applier& applier() { return applier_; }

  // Given the result libraft hands the apply callback: true when the entry
  // was published and its writer may be answered Ok now; false when the
  // answer must come from applier().AnswerLast.
  static bool AnsweredAtOnce(void* apply_result) { return apply_result == nullptr; }

  // How many log entries libraft has applied through this Fsm (replays of
  // entries the store already holds included). Any thread.
  std::uint64_t entries_applied() const { return entries_applied_.load(std::memory_order_relaxed); }

 private:
  static int Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result);
  static int Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs);
  static int Restore(struct raft_fsm* fsm, struct raft_buffer* buf);
  // Restore's two formats; 0 or a RAFT_* error.
  int RestoreManifest(std::uint64_t index);
  int RestoreImage(std::string_view image);

  StateStore& store_;
  struct raft* raft_ = nullptr;
  struct raft_fsm fsm_ {};
  StateFetcher fetch_state_;
  SnapshotLimits limits_;
  std::atomic<std::uint64_t> entries_applied_{0};
  // Since the last snapshot: entries applied and their bytes. And the sizes
  // of the last limits_.trailing_entries entries, newest last.
  std::uint64_t bytes_since_snapshot_ = 0;
  std::deque<std::uint32_t> recent_sizes_;
  // Counts bytes and lowers libraft's threshold once they reach the limit.
  void CountApplied(std::size_t bytes);
  // At a snapshot: resets the counts and sets libraft's trailing count.
  void PrepareSnapshot();
  // The newest entry not published (raft thread).
  std::uint64_t late_index_ = 0;
  // Last: its destructor drains it while the rest still exists.
  Applier applier_;
};

}  // namespace tresor::raft

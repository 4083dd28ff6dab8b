// raft/fsm: the libraft state machine (struct raft_fsm) over a StateStore.
//
// apply   decodes the entry's command and stages its operations in the
//         store's open write transaction; the owner commits the group with
//         CommitStaged once per event-loop iteration (group commit: one
//         fsync for every entry applied in that iteration), and only then
//         acknowledges the writes.
// snapshot commits what is staged and returns the store's image.
// restore loads an image, unless the store already holds that state or a
//         newer one: at start-up libraft restores its last snapshot, and the
//         store, which is durable on its own, is usually ahead of it, so a
//         restart reloads nothing it does not have to.
//
// Every entry is recorded as applied even when its operations fail (a full
// map, an over-long key): the failure is the entry's result, so that one bad
// write never stops the log. The failure reaches the writer through
// LastResult() in libraft's apply callback, which libraft calls right after
// apply returns for the same entry.
//
// Threads: the raft thread only (libraft calls it there; CommitStaged too).
#pragma once


#include "common/status.h"
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

  struct raft_fsm* get() { return &fsm_; }
  void SetRaft(struct raft* raft) { raft_ = raft; }

  // Commits the staged group durably. An error means the state store could
  // not write: the caller stops the node (the log still holds the entries,
  // and a restart applies them again).
  Status CommitStaged();
  bool HasStaged() const { return store_.HasStaged(); }

  // The result of the entry applied last; see the header comment.
  static const Status& ResultOf(void* apply_result);

 private:
  static int Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result);
  static int Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs);
  static int Restore(struct raft_fsm* fsm, struct raft_buffer* buf);

  StateStore& store_;
  struct raft* raft_ = nullptr;
  struct raft_fsm fsm_ {};
  Status last_result_;
};

}  // namespace tresor::raft

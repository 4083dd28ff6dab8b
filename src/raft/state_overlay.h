// raft/state_overlay: the writes raft has applied that the StateStore has
// not committed yet, so that a writer can be answered once its entry is
// durable in the raft log, without waiting for the store's own fsync.
//
// Why: the store's commit (an LMDB fsync) came after the log's, in series,
// on every write's path. The log alone makes an applied entry durable: the
// store is synced before libraft drops any log entry (Fsm::Snapshot), and
// after a crash the entries the store had not committed are applied again
// from the log. What the store adds is visibility to readers, and that is
// what this overlay gives in the meantime: StateStore::Get looks here
// first. etcd does the same with its backend's read buffer.
//
// Only puts and deletes that the store is sure to accept pass through here
// (keys checked first, as Stage checks them); restore steps and anything
// else are answered after the commit, as before.
//
// Readers that need more than one key (a listing, a View) wait until what
// the overlay holds at the time of the call is committed (WaitUntilRetired):
// at most one commit of the store.
//
// Threads: Add from the raft thread; RetireThrough and Fail from the
// store's writer; Find and WaitUntilRetired from any thread (never the raft
// thread for WaitUntilRetired: what it waits for may still be in the raft
// thread's hands).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::raft {

struct StateOp;  // raft/state_store.h

class StateOverlay {
 public:
  // The puts and deletes of entry `index`, visible to Find at once.
  void Add(std::uint64_t index, const std::vector<StateOp>& ops);

  // The store committed every entry up to `index`: forgets them (a key
  // written again by a later entry keeps that later value).
  void RetireThrough(std::uint64_t index);

  // The store cannot commit: waiters stop waiting, with `cause`.
  void Fail(const Status& cause);
  // The store cannot commit for now (not Ok), or can again (Ok): while
  // stalled, WaitUntilRetired returns `cause` instead of waiting.
  void SetStalled(const Status& cause);

  // What the overlay says of `key`: nothing (nullopt: ask the store), or
  // the value of its newest write, nullopt for a delete.
  std::optional<std::optional<std::string>> Find(std::string_view key) const;

  // Waits until everything added before the call is committed. Errors:
  // the cause given to Fail.
  Status WaitUntilRetired() const;

  // Entries added and not yet retired (tests, and the fast path of Find).
  std::size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  struct Write {
    std::uint64_t index;
    std::optional<std::string> value;  // nullopt: deleted
  };

  mutable std::shared_mutex writes_mutex_;
  std::map<std::string, Write, std::less<>> writes_;
  std::atomic<std::size_t> size_{0};

  mutable std::mutex retired_mutex_;
  mutable std::condition_variable retired_changed_;
  std::uint64_t newest_added_ = 0;
  std::uint64_t retired_through_ = 0;
  Status failed_;
  Status stalled_;
};

}  // namespace tresor::raft

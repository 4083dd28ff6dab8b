// core::Ha: high availability. The holder of the storage's HA lock
// (storage/ha_backend.h, kActiveLock) is the active node; every other
// unsealed node is a standby. On integrated raft storage the lock is raft
// leadership (storage/raft/raft_ha.h).
//
// A contender thread takes the lock while the node is unsealed: once it
// holds it (raft: leads, after a barrier that applies every entry of
// earlier terms here) it becomes active: the cluster key and CA (raft),
// the become-active hook (core reloads the mount table and drops cached
// policies: a standby's copies may be stale), then it records itself at
// core/ha/active (inside the barrier: node id, the tenure's holder id and
// epoch, api_addr, cluster_addr, since when). Losing the lock makes it a
// standby at once (the backend's on_lost), before any further request is
// served as active. A watcher thread does the chores of every unsealed
// node: the removal marker, state replaced by a restore, the cluster CA.
//
// ForwardTarget tells http/ where a standby sends a request: the active's
// api_addr as recorded, accepted only while the record names the tenure
// the backend reports as holding the lock (a record left by a previous
// active is never used).
//
// Storage without an HA capability (file, inmem): HA is off and the node is
// always active.
// Threads: every method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "core/lifecycle.h"
#include "core/request.h"
#include "storage/backend.h"
#include "storage/cluster_membership.h"
#include "storage/ha_backend.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::core {

// Written by the active node, through raft, for a server it is about to
// remove (key: this prefix + the server's raft id). The removed server
// sees it in its own copy of the state and stops serving: Ha::Removed().
inline constexpr char kRemovedMarkerPrefix[] = "core/raft/removed/";
// node_id of each server by raft id (raft knows only the hashed id): the
// join answer records a joining node's, each node becoming active its own.
inline constexpr char kServerNamesPrefix[] = "core/raft/servers/";
// The HA lock whose holder is the active node.
inline constexpr char kActiveLock[] = "core/lock";

struct HaOptions {
  std::string api_addr;      // advertised to standbys (forwarding, sys/leader)
  std::string cluster_addr;  // reported by sys/leader
};

struct LeaderInfo {
  bool ha_enabled = false;
  bool is_self = false;
  std::string leader_address;          // the active's api_addr, "" when unknown
  std::string leader_cluster_address;
  std::string active_time;             // RFC 3339, Vault's zero time when unknown
  std::uint64_t raft_committed_index = 0;
  std::uint64_t raft_applied_index = 0;
};

class Ha {
 public:
  // Takes the storage's capabilities: its HA lock (none: HA off), cluster
  // membership (raft: cluster key, CA, removal, indexes), snapshotter
  // (tells when the state was replaced). lifecycle, physical and clock
  // outlive Ha; clock stamps the active record and times the waits for a
  // new active node's record.
  Ha(Lifecycle& lifecycle, storage::Backend& physical, Clock& clock, HaOptions options);
  ~Ha();

  // Starts the threads; on_become_active runs before the node serves as
  // active (its failure keeps the node a standby and is retried).
  void Start(std::function<Status()> on_become_active);
  void Stop();

  bool enabled() const { return ha_ != nullptr; }
  // Active: HA off, or this node holds the lock, is unsealed and finished
  // becoming active.
  bool IsActive() const { return ha_ == nullptr || (active_ && lock_held_); }
  // Whether this node holds the HA lock (lock-free; active or about to be).
  bool LockHeld() const { return lock_held_; }
  // An unsealed node that is not active and not about to be (a node
  // holding the lock while it finishes becoming active is not a standby).
  bool IsStandby() const {
    return ha_ != nullptr && !lifecycle_.Sealed() && !active_ && !lock_held_;
  }

  std::optional<std::string> ForwardTarget(const Request& request) const;

  // Called before the active node serves a request from its own state:
  // Ok when HA is off or this node is not active (it answers only what
  // every node answers itself), else the lock's tenure is confirmed
  // (HALock::ConfirmHeld: raft's read lease); Unavailable when this node
  // has lost the lock, so it never serves a stale read.
  Status ConfirmActiveForRequest() const;

  // True once this node found its removal marker (see kRemovedMarkerPrefix)
  // in its state: it has sealed itself and refuses every request but status
  // until its storage is wiped. Checked by the watcher and at start.
  bool Removed() const { return removed_; }

  // The cluster key raft connections prove membership with
  // (docs/cluster-security.md), kept in the barrier at core/raft/cluster-key
  // and created by the first active node. OnUnseal hands it to the raft
  // transport (a sealed node takes no part in raft: OnSeal forgets it);
  // ClusterKey is what the join answer gives a node that proved the keys.
  void OnUnseal();
  void OnSeal();
  StatusOr<std::string> ClusterKey() const;
  // The cluster CA record the cluster port's TLS comes from
  // (raft/cluster_tls.h), kept in the barrier at core/raft/cluster-tls and
  // created by the first active node. Every unsealed node re-reads it every
  // few seconds (the watcher), so a rotation reaches every node.
  StatusOr<std::string> ClusterTlsRecord() const;
  // Puts a new CA in front of the record (active node only): returns the new
  // record. FailedPrecondition while the last rotation is still in progress.
  StatusOr<std::string> RotateClusterTls();
  LeaderInfo Leader() const;
  // Gives the lock up so that another node takes it (raft: hands leadership
  // to the most up-to-date voter).
  Status StepDown();
  // When the storage was replaced since the last call (a snapshot restore
  // committed, a raft snapshot installed: the snapshotter's ReplacedCount
  // moved), reloads keys and caches (Lifecycle::ReloadAfterStateReplaced),
  // which seals the node when its keys do not open the new state. The
  // watcher calls it on every node; a restore on this node calls it too, so
  // that its answer reflects the reload. Each replacement reloads once.
  void ReloadIfStateReplaced();
  // The storage's capabilities, for the sys/ endpoints that need one (null
  // when the storage has none).
  storage::ClusterMembership* cluster() const { return cluster_; }
  storage::Snapshotter* snapshotter() const { return snapshotter_; }
  storage::ReplicationLog* replication_log() const { return log_; }

 private:
  void Watch();
  // The contender thread: takes the lock whenever the node is unsealed and
  // serves as active while it holds it.
  void Contend();
  void ServeAsActive(storage::HALock& tenure);
  Status BecomeActive(const storage::HALock& tenure);
  // Hands the barrier's CA record to raft (which re-mints this node's
  // certificate only when it changed), at most every few seconds.
  void RefreshClusterTls(bool now_please);
  // Sets removed_ (and seals) when this node's removal marker is in its
  // state.
  void CheckRemoved();
  // The active's api_addr when the record names the tenure holding the lock.
  std::string ActiveApiAddr() const;
  // Wakes the contender (the lock was lost, the node sealed, Ha stops).
  void WakeContender();
  // The tenure the contender holds (null when none), for requests and
  // step-down; copied out under tenure_mu_ so that no call holds the mutex.
  void SetTenure(std::shared_ptr<storage::HALock> tenure);
  std::shared_ptr<storage::HALock> CurrentTenure() const;

  Lifecycle& lifecycle_;
  storage::Backend& physical_;
  storage::HABackend* const ha_;
  storage::ClusterMembership* const cluster_;
  storage::Snapshotter* const snapshotter_;
  storage::ReplicationLog* const log_;
  Clock& clock_;
  const HaOptions options_;
  std::function<Status()> on_become_active_;
  // When RefreshClusterTls last read the record (watcher thread and unseal).
  std::mutex tls_mu_;
  std::chrono::steady_clock::time_point tls_checked_at_{};
  std::atomic<bool> active_{false};
  // This node holds the lock: set by the contender when Acquire returns,
  // cleared by the backend's on_lost the moment it is lost.
  std::atomic<bool> lock_held_{false};
  mutable std::mutex tenure_mu_;
  std::shared_ptr<storage::HALock> tenure_;  // GUARDED_BY(tenure_mu_)
  // Ends the contender's Acquire (Stop, OnSeal); guarded by mu_.
  std::stop_source acquire_stop_;
  // When this node last became active (contender thread only), for
  // vault.core.leadership_lost.
  std::chrono::steady_clock::time_point became_active_at_;
  std::atomic<bool> removed_{false};
  std::string active_since_;  // GUARDED_BY(mu_)
  // ActiveApiAddr's answer for the tenure it was computed for.
  mutable std::string cached_holder_;        // GUARDED_BY(mu_)
  mutable std::uint64_t cached_epoch_ = 0;   // GUARDED_BY(mu_)
  mutable std::string cached_api_addr_;      // GUARDED_BY(mu_)
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  // The unseal finished (OnUnseal ran, the last unseal hook), until the next
  // seal. The contender waits for it: an unseal writes (keys, migrations),
  // and a lock taken in the middle of it would fence those writes off on a
  // backend that fences (a tenure begun and lost while still unsealing).
  bool unseal_done_ = false;  // GUARDED_BY(mu_)
  std::thread watcher_;
  std::thread contender_;
  std::mutex replaced_mu_;
  std::uint64_t replaced_seen_ = 0;  // GUARDED_BY(replaced_mu_)
};

}  // namespace tresor::core

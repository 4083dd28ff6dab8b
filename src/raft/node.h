// raft::Node: one member of a raft cluster. Owns the libraft instance, its
// libuv event loop and thread (the raft thread), the TCP transport and the
// state machine (Fsm over a StateStore in `dir`/state).
//
// The one queue between threads: every call that touches libraft (Apply,
// Barrier, Bootstrap, membership changes, Close) posts a task to the raft
// thread through Post() (a mutex-guarded vector drained by a uv_async
// handle) and waits on a future. Writes from many threads therefore
// pipeline into libraft, which batches the entries that arrive together into
// one log append (one fsync). A write applied by libraft is durable in the
// log; its puts and deletes are published to the store's readers at once
// and its writer is answered at the end of that loop iteration (a uv_check
// handle). The entries of the iteration then go to the Fsm's Applier, which
// commits them to LMDB together (one fsync) on a thread of its own while the
// raft thread goes on appending (raft/applier.h, raft/state_overlay.h).
// Entries that are not plain puts and deletes (restore steps) are answered
// by the Applier once committed.
//
// Reads never go through the raft thread: state() is the StateStore, whose
// readers use their own MVCC transactions.
//
// Life cycle: Open prepares everything and starts the thread but not
// libraft. A node whose raft directory is empty is pristine: Bootstrap makes
// it a one-voter cluster, StartJoining starts it with no configuration so
// that a leader can add it. A node with raft state on disk is started by
// Start (or by Open when options.start_if_initialised).
//
// Threads: every public method is safe from any thread except the raft
// thread itself (they wait for it).
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "raft/fsm.h"
#include "raft/keyed_transport.h"
#include "raft/libraft.h"
#include "raft/state_store.h"
#include "raft/state_transfer.h"

namespace tresor::raft {

struct NodeOptions {
  std::string dir;              // holds raft/ (libraft's log and snapshots) and state/ (LMDB)
  std::uint64_t id = 0;         // this server's raft id; non-zero
  std::string cluster_address;  // host:port the raft transport listens on
  unsigned election_timeout_ms = 1000;
  unsigned heartbeat_timeout_ms = 100;
  unsigned snapshot_threshold = 8192;  // entries between raft snapshots
  unsigned trailing_logs = 10000;      // entries kept after a snapshot
  // The same in bytes of entries: whichever limit comes first (raft::Fsm).
  std::uint64_t snapshot_threshold_bytes = std::uint64_t{64} << 20;
  std::uint64_t trailing_logs_bytes = std::uint64_t{32} << 20;
  std::size_t max_entry_size = 1 << 20;
  // The state store's LMDB map: the most it can ever hold. Address space
  // only (the file grows as it is used), so it is set far above any store:
  // at 8 GiB a 10 GiB restore failed with "the LMDB map is full".
  std::size_t state_map_size = std::size_t{1} << 40;
};

enum class Role { kUnavailable, kFollower, kCandidate, kLeader };
std::string_view RoleName(Role role);

struct ServerInfo {
  std::uint64_t id = 0;
  std::string address;
  bool voter = false;  // RAFT_VOTER; otherwise a non-voter (RAFT_STANDBY or RAFT_SPARE)
  // Known on the leader only (elsewhere 0 and -1). The highest index the
  // server has stored (the leader's own last index for itself), and how
  // long ago the leader last heard from it: libraft flags a server heard
  // within the current election-timeout window, so the figure may be up to
  // one election timeout too recent. 0 for the leader itself.
  std::uint64_t match_index = 0;
  std::int64_t last_contact_ms = -1;
};

// A copy of the raft state, refreshed by the raft thread after every loop
// iteration.
struct NodeStatus {
  bool started = false;
  Role role = Role::kUnavailable;
  std::uint64_t leader_id = 0;
  std::string leader_address;
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t last_index = 0;
  // Log entries libraft holds (in memory, and on disk), from the oldest not
  // yet dropped by a snapshot to last_index.
  std::uint64_t log_entries = 0;
  std::vector<ServerInfo> configuration;
  // Leader only: a non-voter's promotion to voter is running (libraft takes
  // no other configuration change meanwhile).
  bool promoting = false;
  // When this node last knew of a leader (itself included): a follower
  // keeps its leader until an election timeout passes without word from
  // it, so this is the last contact with the leader, up to one election
  // timeout too recent. The epoch when it never knew one.
  std::chrono::steady_clock::time_point leader_seen_at{};
};

class Node {
 public:
  // The stuck-log watchdog's limits (WatchLogProgress): after this many
  // election timeouts without a log write completing the leader hands
  // over; after twice as many it exits with this code (EX_IOERR).
  static constexpr int kStuckLogTimeouts = 10;
  static constexpr int kStuckLogExitCode = 74;

  // Opens the state store and prepares libraft; InvalidArgument for bad
  // options, IOError when the directory or the store cannot be opened.
  static StatusOr<std::unique_ptr<Node>> Open(NodeOptions options);
  ~Node();

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // True while no raft state exists on disk and libraft is not started.
  bool IsPristine() const;
  // Pristine only (FailedPrecondition otherwise): writes a configuration of
  // this server alone, starts libraft and waits until it leads.
  Status Bootstrap();
  // Starts libraft on existing raft state (FailedPrecondition when pristine
  // or already started).
  Status Start();
  // Starts a pristine node with no configuration, to be added by a leader.
  Status StartJoining();
  // Quorum-loss recovery, offline: appends `servers` (voters; this node
  // among them) to the log on disk as the new configuration, through
  // libraft's raft_recover. Only on a node that has raft state and is not
  // started (FailedPrecondition otherwise); the node is then closed and
  // reopened to serve. InvalidArgument for an empty or duplicate list.
  Status Recover(const std::vector<ServerInfo>& servers);

  // The replicated state, for reads.
  const StateStore& state() const { return *store_; }

  // Who serves DR replication connections on the cluster port (raft/
  // keyed_transport.h, "TRSDREP1"): called with the socket (blocking; the
  // callee owns it) on the raft thread, so it must hand the connection to a
  // thread of its own at once. Null refuses them. Any thread, any time.
  void SetReplicationServer(std::function<void(int fd, std::string peer)> serve);

  // Appends ops as one entry and waits until it is committed, applied and
  // durable here. FailedPrecondition("not the raft leader") off the leader,
  // TooLarge over max_entry_size, Unavailable when leadership was lost or
  // the node stopped before the entry committed (it may or may not apply).
  Status Apply(const std::vector<StateOp>& ops);
  // Apply without the wait: the future holds what Apply would return.
  // Entries submitted from one thread are appended in submission order, so
  // a caller may keep several in flight (a restore does, to overlap the
  // log's fsyncs with the state store's).
  std::future<Status> ApplyAsync(const std::vector<StateOp>& ops);
  // Waits until every entry of earlier terms is applied here (leader only):
  // after it, a read of state() sees every write acknowledged before.
  Status Barrier();
  // Linearizable reads (docs/raft.md, "Reads"): called before a request
  // is served from this node's state. Ok at once while the leader's read
  // lease holds, else a Barrier renews it first. FailedPrecondition on a
  // node that does not lead, and the barrier's error when it turns out not
  // to, so a deposed leader never answers from stale state. The lease:
  // once an entry submitted at time S commits, a majority heard from this
  // leader after S, and libraft's voters refuse every other candidate for
  // an election timeout after hearing from their leader (except for a
  // leadership transfer, which ends the lease); so no other leader exists
  // before S + 90% of the election timeout (clock rates assumed within 10%).
  Status ConfirmLeadershipForRead();

  // Membership (leader only; FailedPrecondition elsewhere). AddServer adds
  // id as a non-voter that replicates the log (RAFT_STANDBY); a promoter on
  // the raft thread makes caught-up non-voters voters (libraft catches a
  // server up before it counts it in the quorum). RemoveServer takes id out
  // of the configuration; NotFound for an unknown id.
  // AddServer is refused (FailedPrecondition) while a restore stages
  // without the log (BeginDirectStaging).
  Status AddServer(std::uint64_t id, const std::string& address);
  Status RemoveServer(std::uint64_t id);
  // Hands leadership to `id`, or to the most up-to-date voter when id is 0,
  // and waits until this node no longer leads.
  Status TransferLeadership(std::uint64_t id);

  // For a snapshot restore on a leader that is its cluster's only member:
  // the restore's records can skip the log (StateStore::StagingWriter),
  // several times faster, because no other node needs them. Until
  // EndDirectStaging no server may join, so none can miss them.
  // FailedPrecondition when the cluster has another member or this node
  // does not lead, or another restore stages directly.
  StatusOr<std::unique_ptr<StateStore::StagingWriter>> BeginDirectStaging(
      std::uint64_t restore_id);
  void EndDirectStaging();

  // The cluster key the transport proves membership with
  // (docs/cluster-security.md); until one is set, and after "" is set,
  // this node neither accepts nor makes raft connections.
  void SetClusterKey(std::string key);
  // The cluster CA record (raft/cluster_tls.h) the transport's TLS comes
  // from: this node mints its certificate from it, unless the one it has is
  // still current for `record` (so calling this every few seconds is cheap).
  // An empty record forgets the certificates: no raft connections, as
  // without a key. Any thread.
  Status SetClusterTls(std::string_view record);

  NodeStatus GetStatus() const;
  // {GetStatus().leader_id, .term} without copying the configuration (hot
  // paths).
  std::pair<std::uint64_t, std::uint64_t> LeaderAndTerm() const;
  // Lock-free: whether the raft thread last saw this node lead.
  bool IsLeader() const { return leader_; }
  // Called on the raft thread, at the end of the loop iteration that saw
  // this node start or stop leading or the term change, with whether it
  // leads and the term; at once (on the caller's thread) with the current
  // pair. It must not block or call into the node. One listener; an empty
  // function removes it.
  using LeadershipListener = std::function<void(bool leads, std::uint64_t term)>;
  void SetLeadershipListener(LeadershipListener listener);
  // How many group commits the state store has made: with many writers in
  // flight this grows slower than the number of writes.
  std::uint64_t group_commits() const { return fsm_->applier().group_commits(); }
  // How many times this node, behind the leader's snapshot, fetched and
  // installed the leader's whole state (raft/state_transfer.h).
  std::uint64_t state_installs() const { return state_installs_; }
  // How many log entries libraft applied here since Open, replays at start
  // included: a restart replays the log behind the last snapshot only.
  std::uint64_t entries_applied() const { return fsm_->entries_applied(); }
  // Waits up to `timeout` for this node to lead; true when it does.
  bool WaitUntilLeader(std::chrono::milliseconds timeout) const;

  // Stops libraft and the thread; pending writes fail with Unavailable.
  // Idempotent.
  void Close();

  // Queues task for the raft thread (the queue described above); false
  // once the node is closing (the task is dropped).
  bool Post(std::function<void()> task);

 private:
  explicit Node(NodeOptions options);
  Status Init();
  Status RunOnLoop(std::function<Status()> task);
  Status StartOnLoop();
  void DrainQueue();
  void AfterIteration();
  void RefreshStatus();
  // Raft thread: an entry submitted at `submitted` committed in this term.
  void ExtendReadLease(std::chrono::steady_clock::time_point submitted);

  Status ChangeOnLoop(std::function<int(struct raft_change*, raft_change_cb)> start,
                      std::string_view what);
  // One attempt; *refused is libraft's code when it refused to start it.
  Status ChangeOnLoopOnce(const std::function<int(struct raft_change*, raft_change_cb)>& start,
                          std::string_view what, int* refused);
  void PromoteNonVoters();
  // The stuck-log watchdog (every second on the raft thread): a server whose
  // log has stored nothing for kStuckLogTimeouts election timeouts while
  // entries wait, or since a write of it failed, exits the process with
  // kStuckLogExitCode; a leader first hands leadership over and exits only
  // if still stuck as long again. A log stuck on a full disk (less than two
  // segments free) waits for space instead.
  // docs/raft.md, "A failing disk".
  void WatchLogProgress();
  // Raft thread, inside a snapshot restore: Fsm's state fetcher.
  StatusOr<std::uint64_t> FetchStateFromMembers(std::uint64_t min_index);
  // Raft thread: a start deferred by Start (the store behind this node's
  // last snapshot) goes on once the state is fetched; tried when the key is
  // set and every second after.
  void TryDeferredStart();
  // Raft thread: keeps the peers file (raft/peers_file.h) up to date.
  void RememberPeers();
  std::string PeersFilePath() const;
  static void OnAsync(uv_async_t* handle);
  static void OnCheck(uv_check_t* handle);

  NodeOptions options_;
  std::string raft_dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Fsm> fsm_;
  std::unique_ptr<StateServer> state_server_;
  std::mutex replication_server_mutex_;
  std::function<void(int fd, std::string peer)> replication_server_;

  uv_loop_t loop_{};
  uv_async_t wakeup_{};
  uv_check_t after_iteration_{};
  uv_timer_t promoter_{};
  struct LogWatch {
    std::uint64_t stored = 0;  // raft_.last_stored when `since` began
    std::chrono::steady_clock::time_point since;
    bool handed_over = false;
    bool full_reported = false;  // the "disk is full" line was logged
    // A write of this node's log failed (RAFT_IOERR) since the log last
    // stored something: stuck, even with no entry waiting (libraft drops
    // the entries it could not write).
    bool write_failed = false;
  };
  LogWatch log_watch_;  // raft thread
  bool promoting_ = false;                     // raft thread only
  std::vector<std::string> remembered_peers_;  // raft thread only
  std::uint64_t deferred_start_index_ = 0;     // raft thread only
  std::unique_ptr<KeyedTransport> transport_;
  struct raft_io io_ {};
  struct raft raft_ {};
  std::thread thread_;

  std::mutex queue_mutex_;
  std::vector<std::function<void()>> queue_;
  bool closing_ = false;  // guarded by queue_mutex_

  // A writer waiting for its entry (node.cc).
  struct PendingWrite;
  // Raft thread only: writers of published entries, answered at the end of
  // the loop iteration (after RefreshStatus).
  std::vector<PendingWrite*> published_;

  mutable std::mutex status_mutex_;
  std::mutex tls_mutex_;
  std::shared_ptr<const ClusterTls> tls_;  // the last set, for SetClusterTls's staleness check
  mutable std::condition_variable status_changed_;
  NodeStatus status_;
  std::atomic<bool> started_{false};
  std::atomic<bool> leader_{false};
  std::mutex listener_mutex_;
  LeadershipListener leadership_listener_;  // guarded by listener_mutex_
  // What the listener was last told (raft thread only).
  std::pair<bool, std::uint64_t> told_leadership_{false, 0};
  // Raft thread only: when the leader last saw each server heard from
  // (progress.recent_recv), for ServerInfo::last_contact_ms.
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_heard_;
  std::chrono::steady_clock::time_point leader_seen_at_{};  // raft thread only
  std::atomic<std::uint64_t> state_installs_{0};
  // Raft thread writes (an entry committed: extend; leadership lost or being
  // transferred: 0); readers compare. steady_clock nanoseconds.
  std::atomic<std::int64_t> lease_until_ns_{0};
  std::mutex lease_renewal_;  // one barrier renews the lease for all readers
  std::atomic<bool> closed_{false};
  bool direct_staging_ = false;  // raft thread only
};

}  // namespace tresor::raft

// storage::RaftBackend: integrated storage. Reads come from this node's copy
// of the replicated state (raft::StateStore, LMDB); writes become raft log
// entries (raft::Node::Apply) and return once a majority has them and this
// node has applied them durably.
//
// A node whose directory holds no raft state is pristine: the first write
// (what `operator init` does) bootstraps a one-node cluster with this node
// as its only voter, as Vault's raft storage does at init. To join another
// cluster instead, sys/storage/raft/join (core/sys_raft_handlers.cc) starts
// the pristine node with no configuration (raft::Node::StartJoining) and the
// leader adds it; docs/raft.md, "Forming a cluster", has the protocol.
//
// Options (storage "raft" { ... }): path (required), node_id (default: a
// random id kept in <path>/node-id), performance_multiplier (election
// timeout 500 ms x multiplier; default 1), max_entry_size (bytes, default
// 1 MiB), snapshot_threshold (default 8192), trailing_logs (default 10000),
// snapshot_threshold_bytes (default 64 MiB), trailing_logs_bytes (default
// 32 MiB): see docs/raft.md.
//
// AsHA(): raft leadership is the HA lock (storage/raft/raft_ha.h).
//
// Threads: every method is safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "raft/node.h"
#include "storage/backend.h"
#include "storage/cluster_membership.h"
#include "storage/raft/raft_ha.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::storage {

struct RaftBackendOptions {
  std::string path;
  std::string node_id;                             // empty: read or create <path>/node-id
  std::string cluster_address = "127.0.0.1:8201";  // host:port for raft traffic
  unsigned performance_multiplier = 1;
  std::size_t max_entry_size = 1 << 20;
  unsigned snapshot_threshold = 8192;
  unsigned trailing_logs = 10000;
  std::uint64_t snapshot_threshold_bytes = std::uint64_t{64} << 20;
  std::uint64_t trailing_logs_bytes = std::uint64_t{32} << 20;
};

// Reads the storage "raft" options; InvalidArgument naming a bad one.
StatusOr<RaftBackendOptions> ParseRaftOptions(const std::map<std::string, std::string>& options,
                                              const std::string& cluster_address);

class RaftBackend : public Backend,
                    public Snapshotter,
                    public ReplicationLog,
                    public ClusterMembership {
 public:
  // Opens the node in options.path; starts raft at once when the node has
  // raft state already (a restart).
  static StatusOr<std::unique_ptr<RaftBackend>> Open(const RaftBackendOptions& options);
  ~RaftBackend() override;

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;
  Status Close() override;
  HABackend* AsHA() override { return ha_.get(); }
  ClusterMembership* AsClusterMembership() override { return this; }
  Snapshotter* AsSnapshotter() override { return this; }
  ReplicationLog* AsReplicationLog() override { return this; }

  // Snapshotter (raft_snapshotter.cc). A view is this node's applied state,
  // however far behind the leader it is (the caller decides whether that
  // is fresh enough). A restore is a series of raft entries (restore steps,
  // raft/state_store.h) of at most max_entry_size each, so it works on the
  // leader only and every node installs it; on a pristine node the first
  // step bootstraps a one-node cluster, as the first write does.
  StatusOr<std::unique_ptr<View>> OpenView() override;
  StatusOr<std::unique_ptr<Restore>> BeginRestore() override;
  std::uint64_t ReplacedCount() const override { return node_->state().ReplacedCount(); }

  // ReplicationLog (raft_replication_log.cc; raft/replication_log.h).
  Status ConfigureLog(std::uint64_t retain,
                      const std::vector<std::string>& excluded_prefixes) override;
  StatusOr<std::optional<LogHead>> Head() override;
  StatusOr<bool> Holds(const LogPosition& position) override;
  Status Read(std::uint64_t after, std::size_t max_bytes,
              const std::function<Status(const LogPosition&, const LogStamp&, std::string_view)>&
                  visit) override;
  std::string ChainHash(std::string_view previous_hash, std::string_view entry) const override;
  bool WaitPast(std::uint64_t index, std::chrono::milliseconds timeout) override;
  Status Settle() override { return node_->state().WaitUntilPublishedCommitted(); }
  StatusOr<std::unique_ptr<Snapshotter::View>> OpenPositionedView(
      std::optional<LogPosition>* position) override;
  Status AppendAll(const std::vector<LoggedEntry>& entries) override;
  Status MoveTo(const LogPosition& position) override;
  void ServeChannel(std::function<void(int fd, std::string peer)> serve) override {
    node_->SetReplicationServer(std::move(serve));
  }

  // Offline quorum-loss recovery (`tresor operator raft recover`): makes
  // this node (options.path, its node id and cluster address) plus
  // `other_voters` (node id -> cluster address) the whole configuration.
  // The server must be stopped: its cluster port being in use fails this
  // with IOError. FailedPrecondition on a node with no raft state.
  // Returns this node's id.
  static StatusOr<std::string> Recover(const RaftBackendOptions& options,
                                       const std::map<std::string, std::string>& other_voters);

  std::uint64_t raft_id() const { return raft_id_; }
  // The raft id a node_id maps to (what libraft calls the server).
  static std::uint64_t RaftIdFor(const std::string& node_id);
  raft::Node& node() { return *node_; }

  // ClusterMembership (raft_cluster.cc): raft's configuration, over
  // raft::Node.
  const std::string& node_id() const override { return node_id_; }
  std::uint64_t self_id() const override { return raft_id_; }
  const std::string& cluster_address() const override { return cluster_address_; }
  std::uint64_t IdFor(const std::string& node_id) const override { return RaftIdFor(node_id); }
  ClusterStatus GetStatus() const override;
  bool Leads() const override { return node_->IsLeader(); }
  bool IsPristine() const override { return node_->IsPristine(); }
  Status StartJoining() override { return node_->StartJoining(); }
  Status AddServer(std::uint64_t id, const std::string& address) override {
    return node_->AddServer(id, address);
  }
  Status RemoveServer(std::uint64_t id) override { return node_->RemoveServer(id); }
  Status Barrier() override { return node_->Barrier(); }
  void SetClusterKey(std::string key) override { node_->SetClusterKey(std::move(key)); }
  Status SetClusterTls(std::string_view record) override { return node_->SetClusterTls(record); }

 private:
  RaftBackend(std::string node_id, std::string cluster_address, std::unique_ptr<raft::Node> node,
              unsigned election_ms, std::size_t max_entry_size);
  Status Write(const std::vector<raft::StateOp>& ops);
  class RaftRestore;

  const std::string node_id_;
  const std::uint64_t raft_id_;
  const std::string cluster_address_;
  std::unique_ptr<raft::Node> node_;
  const unsigned election_ms_;
  const std::size_t max_entry_size_;
  const std::unique_ptr<RaftHA> ha_;  // leadership as the HA lock
  std::mutex bootstrap_mutex_;  // one bootstrap, however many first writers
};

// The ops of a replication log entry: puts and deletes of valid keys only
// (InvalidArgument otherwise). Used by AppendAll and a restore's Replay.
StatusOr<std::vector<raft::StateOp>> DecodeLoggedEntry(std::string_view entry);

}  // namespace tresor::storage

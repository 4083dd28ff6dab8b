// storage::ClusterMembership: what only a replicated backend with a cluster
// port of its own offers (Backend::AsClusterMembership(); raft today, null
// elsewhere): its members, joining and removing them, and the cluster key
// and CA its connections prove membership with (docs/cluster-security.md).
// Users: core's sys/storage/raft/* endpoints, sys/ha-status, autopilot
// metrics, DR tokens, core::Ha's cluster-key keeper. Plain types only, so
// that core never sees the consensus library. Ids are the numeric server
// ids raft uses (stored keys such as core/raft/servers/<id> hold them).
// Threads: every method is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::storage {

struct ClusterServer {
  std::uint64_t id = 0;
  std::string address;  // host:port of its cluster port
  bool voter = false;
  // Leader only: the last log index known to be on the server, and how long
  // ago the leader last heard from it (-1: never, or not the leader).
  std::uint64_t match_index = 0;
  std::int64_t last_contact_ms = -1;
};

struct ClusterStatus {
  std::uint64_t leader_id = 0;  // 0: no leader known
  std::string leader_address;
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t last_index = 0;
  std::vector<ClusterServer> servers;
  // When this node last knew of a leader (the epoch: never).
  std::chrono::steady_clock::time_point leader_seen_at{};
};

class ClusterMembership {
 public:
  virtual ~ClusterMembership() = default;
  virtual const std::string& node_id() const = 0;
  virtual std::uint64_t self_id() const = 0;
  virtual const std::string& cluster_address() const = 0;
  // The server id a node_id stands for.
  virtual std::uint64_t IdFor(const std::string& node_id) const = 0;
  virtual ClusterStatus GetStatus() const = 0;
  // Lock-free: whether this node leads the cluster (not whether it is the
  // active node: core::Ha says that).
  virtual bool Leads() const = 0;
  // A node with no cluster state yet, which may join a cluster.
  virtual bool IsPristine() const = 0;
  virtual Status StartJoining() = 0;
  // Leader only (FailedPrecondition elsewhere).
  virtual Status AddServer(std::uint64_t id, const std::string& address) = 0;
  virtual Status RemoveServer(std::uint64_t id) = 0;  // NotFound for a stranger
  // Waits until every entry of earlier terms is applied here (leader only).
  virtual Status Barrier() = 0;
  // The cluster key ("" forgets it: no cluster connections) and CA record
  // (common/cluster_ca.h; "" forgets the certificates).
  virtual void SetClusterKey(std::string key) = 0;
  virtual Status SetClusterTls(std::string_view record) = 0;
};

}  // namespace tresor::storage

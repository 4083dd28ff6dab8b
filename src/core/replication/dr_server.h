// DrServer: the primary's side of the DR channel (docs/replication.md).
// Every node of a primary cluster serves connections handed over by its
// cluster port; only the active node answers pulls and activations, the
// others point the secondary to it ('L'). Each connection runs on a thread
// of its own, at most kMaxConnections at once.
//
// A pull says where the secondary stands. If this cluster's log holds that
// position, the answer is the entries after it (waiting up to wait_ms for
// one when there is none yet: a heartbeat); otherwise the whole state at a
// position streams ('R', 'K'..., 'Z') from one point-in-time view, and the
// secondary pulls on from there. The position a pull gives is also the
// secondary's acknowledgement: what it holds durably (WaitForAck, for the
// synchronous mode).
//
// Threads: every method is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "core/replication/dr_tls.h"
#include "storage/backend.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::core::replication {

struct PrimaryDeps {
  storage::ReplicationLog& log;
  storage::Snapshotter& snapshotter;
  storage::Backend& barrier;
  Clock& clock;
  // Keys never shipped (core/cluster_local_keys.h).
  std::vector<std::string> excluded_prefixes;
  // This cluster is a DR primary (its local record says so).
  std::function<bool()> is_primary;
  // This node is the active one, unsealed.
  std::function<bool()> is_active;
  // The active node's cluster address, "" when unknown.
  std::function<std::string()> active_cluster_addr;
  std::function<std::string()> cluster_id;
};

class DrServer {
 public:
  static constexpr int kMaxConnections = 8;

  explicit DrServer(PrimaryDeps deps);
  ~DrServer();  // Stop()
  DrServer(const DrServer&) = delete;
  DrServer& operator=(const DrServer&) = delete;

  // Serves one connection (the socket, owned from now on) on a thread.
  void Serve(int fd, std::string peer);
  // Closes every connection and waits for their threads.
  void Stop();

  struct SecondaryState {
    std::string id;
    std::string address;
    bool connected = false;
    Clock::TimePoint last_heartbeat{};
    std::uint64_t acked_index = 0;
  };
  std::vector<SecondaryState> Secondaries() const;
  // Cuts the connections of secondary `id` (revoked).
  void Disconnect(const std::string& id);
  // Waits until a connected secondary has acknowledged `index` or later;
  // false at the timeout or when none is connected.
  bool WaitForAck(std::uint64_t index, std::chrono::milliseconds timeout);

 private:
  void Run(int fd, const std::string& peer);
  Status Activate(TlsChannel& channel, const std::string& payload);
  Status Stream(TlsChannel& channel, const std::string& id, const std::string& peer, int fd);
  Status AnswerPull(TlsChannel& channel, const std::string& id, const std::string& payload);
  Status Resync(TlsChannel& channel);
  // Why a connection must go elsewhere; Ok when this node serves it.
  Status RedirectIfNotActive(TlsChannel& channel, bool* redirected);

  PrimaryDeps deps_;
  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::condition_variable acked_;
  std::set<int> fds_;
  std::multimap<std::string, int> fds_by_id_;
  std::map<std::string, SecondaryState> secondaries_;
  bool stopping_ = false;
};

}  // namespace tresor::core::replication

// DrClient: the secondary's side of the DR channel (docs/replication.md).
// Runs on the secondary cluster's active node (its raft leader), on a
// thread of its own: connects to the primary (trying each known address,
// following 'L' to the primary's active node), then pulls in a loop. Each
// pull says where this cluster's log stands; the entries that come back are
// applied through this cluster's own raft (ReplicationLog::AppendAll),
// each continuing the log's hash chain, so a failover on either side
// resumes exactly where the secondary's log stands, with nothing lost or
// applied twice. A resync ('R') replaces the state with the primary's
// through a Snapshotter restore, record by record (bounded memory), keeping
// this cluster's own keys, then moves the log to the resync's position.
//
// Threads: every method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "core/replication/dr_tls.h"
#include "storage/replication_log.h"
#include "storage/snapshotter.h"

namespace tresor::core::replication {

struct SecondaryDeps {
  storage::ReplicationLog& log;
  storage::Snapshotter& snapshotter;
  Clock& clock;
  std::vector<std::string> excluded_prefixes;
  // After a resync replaced the state (keys and caches to reload, or seal).
  std::function<void()> on_state_replaced;
};

// How to reach the primary, and who this secondary is.
struct PrimaryLink {
  std::string secondary_id;
  std::vector<std::string> addrs;
  std::string ca_cert;
  KeyPair credentials;
};

struct Activation {
  KeyPair credentials;
  std::string cluster_id;
};
// Buys the client certificate with an activation token's one-time secret.
// The primary's refusal (expired, used, revoked) comes back as
// PermissionDenied with its reason; Unavailable when no address answers.
StatusOr<Activation> Activate(const std::vector<std::string>& addrs, std::string_view ca_cert,
                              const std::string& id, const std::string& secret);

class DrClient {
 public:
  static constexpr std::chrono::milliseconds kPullWait{1000};
  static constexpr std::size_t kPullBytes = std::size_t{4} << 20;

  DrClient(SecondaryDeps deps, PrimaryLink link);
  ~DrClient();  // Stop()
  DrClient(const DrClient&) = delete;
  DrClient& operator=(const DrClient&) = delete;

  void Start();
  void Stop();

  struct Progress {
    std::string state = "connecting";  // connecting, stream-wals, resyncing
    bool connected = false;
    std::string primary_addr;
    Clock::TimePoint last_heartbeat{};
    std::uint64_t last_remote_wal = 0;  // this cluster's log index
    std::uint64_t primary_last_wal = 0;
    // The primary's time by which every write it acknowledged is here.
    Clock::TimePoint caught_up_at{};
    std::string last_error;
    std::uint64_t resyncs = 0;
  };
  Progress GetProgress() const;
  const PrimaryLink& link() const { return link_; }

 private:
  void Run();
  // One connection's pulls until it fails or Stop.
  Status Follow(TlsChannel& channel);
  Status ApplyResync(TlsChannel& channel, const std::string& begin);
  // Waits up to `pause` unless stopped; false once stopped.
  bool Pause(std::chrono::milliseconds pause);

  SecondaryDeps deps_;
  const PrimaryLink link_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  TlsChannel* current_ = nullptr;  // GUARDED_BY(mutex_)
  Progress progress_;              // GUARDED_BY(mutex_)
  bool force_resync_ = false;      // the worker's
  std::string redirect_;           // the worker's
  std::thread worker_;
};

}  // namespace tresor::core::replication

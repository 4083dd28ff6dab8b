// DrReplication: a cluster's role in DR replication and the operations
// that change it (docs/replication.md). Core owns one; the
// sys/replication/* handlers (core/sys_replication_handlers.cc) call it.
//
//   disabled --primary/enable--> primary --demote--> secondary (idle)
//   disabled --secondary/enable--> secondary --promote--> primary
//   secondary --update-primary--> secondary (another primary)
//   primary --disable--> disabled,  secondary --disable--> disabled
//
// The role lives in the cluster-local record (dr_records.h), so every node
// of the cluster knows it, sealed or not; a supervisor thread re-reads it
// every kSupervisePeriod and runs the DR client on the secondary's raft
// leader. Every node serves the DR channel (DrServer), which answers only
// on a primary's active node.
//
// A DR secondary serves only sys/replication/*, sys/health, sys/leader,
// sys/seal-status, sys/seal, sys/unseal and its own raft cluster's
// sys/storage/raft/* endpoints (AllowsOnSecondary): anything else is
// refused, so nothing but the primary's stream writes its data.
//
// Threads: every method is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/generate_root.h"
#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/replication/dr_client.h"
#include "core/replication/dr_records.h"
#include "core/replication/dr_server.h"

namespace tresor::core::replication {

struct DrOptions {
  std::string cluster_addr;  // this node's, advertised in tokens
  std::string api_addr;
};

class DrReplication {
 public:
  static constexpr std::chrono::milliseconds kSupervisePeriod{250};
  static constexpr std::uint64_t kDefaultRetainedEntries = 100000;
  static constexpr std::chrono::seconds kDefaultTokenTtl{1800};

  DrReplication(storage::Backend& physical, Lifecycle& lifecycle, Ha& ha, Clock& clock,
                DrOptions options);
  ~DrReplication();  // Stop()
  DrReplication(const DrReplication&) = delete;
  DrReplication& operator=(const DrReplication&) = delete;

  // Registers the DR channel and starts the supervisor.
  void Start();
  void Stop();

  // Whether the storage can replicate (integrated storage only).
  bool supported() const { return log_ != nullptr && snapshotter_ != nullptr; }
  Mode mode() const { return mode_.load(std::memory_order_acquire); }
  static bool AllowsOnSecondary(std::string_view path);

  // ---- a primary ----
  struct PrimaryOptions {
    std::string primary_cluster_addr;
    std::uint64_t retained_entries = kDefaultRetainedEntries;
    // Tresor's synchronous mode: a write is answered only once a
    // secondary holds it (AwaitReplicated).
    bool synchronous = false;
    std::chrono::milliseconds synchronous_timeout{5000};
  };
  Status EnablePrimary(const PrimaryOptions& options);
  // The activation token for secondary `id`, as Vault's wrap_info.
  StatusOr<nlohmann::json> SecondaryToken(const std::string& id, std::chrono::seconds ttl);
  Status RevokeSecondary(const std::string& id);
  Status Demote();
  Status DisablePrimary();
  // Synchronous mode, around a request: the mark (the log's index) before
  // it, nullopt when not a synchronous primary or no secondary was ever
  // activated (none to wait for); after it, if the log moved
  // past the mark, waits until a secondary holds everything logged.
  // Unavailable at the timeout (the write is on the primary; whether a
  // secondary has it is unknown).
  std::optional<std::uint64_t> SynchronousMark();
  Status AwaitReplicated(std::uint64_t mark);

  // ---- a secondary ----
  // Returns the warnings to show (its data is being replaced).
  StatusOr<std::vector<std::string>> EnableSecondary(const std::string& token,
                                                     const std::string& primary_api_addr);
  // Without force, refused while a resync is being received (the data
  // would be older than the primary's when that resync began).
  // primary_cluster_addr: what this cluster advertises as a primary
  // (default: this node's cluster address).
  Status Promote(bool force, const std::string& primary_cluster_addr);
  Status UpdatePrimary(const std::string& token, const std::string& primary_api_addr);
  Status DisableSecondary();
  // The DR operation token flow (generate-root's, with the primary's
  // shares) and the check of a token given to a DR operation: one it
  // minted (single use), or, through `check_batch_token`, a token of the
  // replicated token store whose policy allows the operation's path.
  GenerateRoot& operation_token_flow() { return operation_tokens_; }
  Status CheckOperationToken(const std::string& token, const std::string& path);
  void SetBatchTokenCheck(std::function<Status(const std::string&, const std::string&)> check) {
    check_batch_token_ = std::move(check);
  }

  // sys/replication/dr/status.
  nlohmann::json StatusJson() const;

 private:
  void Supervise();
  void SuperviseOnce();
  // Makes the running parts (mode, the DR client) follow `record`.
  // REQUIRES: transition_mutex_.
  void ApplyRecord(const LocalRecord& record);
  StatusOr<LocalRecord> Record() const;
  // REQUIRES: transition_mutex_.
  Status WriteRecord(const LocalRecord& record);
  Status RequireActive() const;
  Status RequireSupported() const;
  std::vector<std::string> ExcludedPrefixes() const;
  // The ids of the activated secondaries not revoked (the barrier's list).
  std::vector<std::string> ActiveSecondaries() const;
  std::string ClusterId() const;
  void StopClient();
  StatusOr<Activation> ActivateWith(const ActivationToken& token);
  // Makes `record` a secondary following the token's primary with the
  // credentials an activation bought, and writes it.
  Status Follow(LocalRecord record, const ActivationToken& token, Activation activation,
                const std::string& primary_api_addr);

  storage::Backend& physical_;
  Lifecycle& lifecycle_;
  Ha& ha_;
  Clock& clock_;
  const DrOptions options_;
  storage::ReplicationLog* const log_;
  storage::Snapshotter* const snapshotter_;
  std::atomic<Mode> mode_{Mode::kDisabled};
  // A synchronous primary, with a secondary to wait for (refreshed by the
  // supervisor).
  std::atomic<bool> synchronous_{false};
  std::atomic<bool> has_secondaries_{false};
  std::unique_ptr<DrServer> server_;
  GenerateRoot operation_tokens_;
  std::function<Status(const std::string&, const std::string&)> check_batch_token_;

  // Held by each change of role and by the supervisor's pass, so that they
  // happen one at a time and a stale read never undoes a change.
  std::mutex transition_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  LocalRecord record_;                       // GUARDED_BY(mutex_): last read
  std::unique_ptr<DrClient> client_;         // GUARDED_BY(mutex_)
  std::optional<KeyPair> fresh_credentials_;  // GUARDED_BY(mutex_): from an activation
  std::vector<std::string> minted_tokens_;   // GUARDED_BY(mutex_)
  std::thread supervisor_;
};

}  // namespace tresor::core::replication

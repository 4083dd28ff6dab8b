// storage::PostgreSQLHA: the HA lock of storage "postgresql" (Backend::AsHA()
// when ha_enabled), Vault's design: a row of ha_table (ha_key, ha_identity,
// ha_value, valid_until) per lock name.
//
//   Acquire   INSERT ... ON CONFLICT (ha_key) DO UPDATE ... WHERE
//             valid_until < now(): takes the row when absent or expired, by
//             the database's clock. Retried every lock_retry_interval.
//             ha_identity = a fresh random UUID per Acquire (holder_id),
//             ha_value = node_id, epoch 0 (the UUID alone names a tenure).
//   renew     every lock_renew_interval: UPDATE valid_until = now() + ttl
//             WHERE ha_identity = ours, on the tenure's own thread. An error,
//             0 rows, or no success for lock_ttl ends the tenure (on_lost on
//             that thread).
//   read      ConfirmHeld: Ok while (send time of the last acknowledged
//             renewal) + ttl - ttl/3 is in the future, by this host's
//             steady clock: the row cannot expire before that unless the two
//             clocks run apart by more than a third.
//   Release   DELETE of our row; this backend's next Acquire waits
//             release_holdoff (Vault: 10 s) so that another node takes it.
//   Holder    a cached view, refreshed by a poll thread every
//             lock_retry_interval (and at once by this node's own changes).
//
// Fencing (the data lives in the same database): every write transaction of
// the backend calls CheckFence first. It takes a shared transaction-level
// advisory lock keyed by (ha_table, "core/lock"), then refuses the write when
// another identity holds a live "core/lock" row. Acquire takes the same
// advisory lock exclusively around its INSERT ... ON CONFLICT, so a takeover
// waits for every write transaction already past the check, and every
// write that starts later sees the new holder. (A FOR SHARE row lock alone
// would not do: it locks nothing when the row is absent, or when it is our
// own expired row that the check skips.)
//
// Threads: any. Per tenure one renew thread; per backend one poll thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "storage/ha_backend.h"
#include "storage/postgresql/pg_connection_pool.h"
#include "storage/postgresql/postgresql_options.h"

namespace tresor::storage {

class PostgreSQLHA : public HABackend {
 public:
  // The lock whose holder fences the data's writes (core's active lock).
  static constexpr char kFencedLock[] = "core/lock";

  // Opens its own small pool (renewals never wait behind data writes) and
  // starts the poll thread.
  static StatusOr<std::unique_ptr<PostgreSQLHA>> Open(const PostgreSQLOptions& options);
  ~PostgreSQLHA() override;

  StatusOr<std::unique_ptr<HALock>> Acquire(std::string_view name, std::string_view node_id,
                                            std::function<void()> on_lost,
                                            std::stop_token stop) override;
  StatusOr<std::optional<HAHolder>> Holder(std::string_view name) override;
  std::chrono::milliseconds lost_detection() const override { return options_.lock_ttl; }

  // Inside a write transaction on conn (after BEGIN): Ok when no other
  // identity holds a live kFencedLock; FailedPrecondition when one does;
  // the database's error otherwise.
  Status CheckFence(PgConnection& conn);

  // Renewals are skipped (the deadline still runs) while paused.
  void SetRenewalsPausedForTest(bool paused) { renewals_paused_ = paused; }

  struct Tenure;

 private:
  PostgreSQLHA(const PostgreSQLOptions& options, std::unique_ptr<PgPool> pool);
  StatusOr<std::optional<HAHolder>> QueryHolder(const std::string& name);
  void Poll(std::stop_token stop);
  void TenureEnded(const std::string& name, const std::string& identity, bool released);
  // True when the row is ours now.
  StatusOr<bool> TryTake(const std::string& name, const std::string& identity,
                         const std::string& node_id);

  friend class PgHALock;
  const PostgreSQLOptions options_;
  const std::unique_ptr<PgPool> pool_;
  std::atomic<bool> renewals_paused_{false};
  std::mutex mu_;
  std::condition_variable_any poll_wake_;
  std::map<std::string, std::optional<HAHolder>, std::less<>> holders_;  // guarded by mu_
  std::map<std::string, std::string, std::less<>> held_;  // name -> our identity, mu_
  std::string fence_identity_;                            // ours on kFencedLock, mu_
  std::chrono::steady_clock::time_point released_at_{};   // guarded by mu_
  bool released_once_ = false;                            // guarded by mu_
  std::jthread poller_;  // refreshes holders_ every lock_retry_interval
};

}  // namespace tresor::storage

#include "storage/postgresql/postgresql_ha.h"

#include <spdlog/spdlog.h>

#include <cstdint>

#include "common/random.h"

namespace tresor::storage {
namespace {

// Connections of the lock's own pool: a renewal, the poll, an Acquire and
// a Release may run at once.
constexpr std::size_t kPgHAConnections = 4;

// The advisory lock that serialises a takeover of `name` with write
// transactions (see the header): FNV-1a of the table and lock names.
std::string PgAdvisoryKey(const std::string& ha_table, std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  mix(ha_table);
  mix(std::string_view("\0", 1));
  mix(name);
  return std::to_string(static_cast<std::int64_t>(hash));
}

std::string PgMillis(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + " milliseconds";
}

std::int64_t PgSteadyNanos(std::chrono::steady_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

}  // namespace

struct PostgreSQLHA::Tenure {
  std::string name;
  std::string identity;
  std::function<void()> on_lost;
  std::atomic<bool> held{true};
  // Steady-clock time at which the last acknowledged renewal (or the take)
  // was sent.
  std::atomic<std::int64_t> acked_sent_ns{0};
};

class PgHALock : public HALock {
 public:
  PgHALock(PostgreSQLHA& ha, std::shared_ptr<PostgreSQLHA::Tenure> tenure)
      : ha_(ha), tenure_(std::move(tenure)) {
    renewer_ = std::jthread([this](std::stop_token stop) { Renew(stop); });
  }
  ~PgHALock() override {
    StopRenewing();
    if (tenure_->held.exchange(false)) GiveUp(/*released=*/false).IgnoreError();
  }

  const std::string& holder_id() const override { return tenure_->identity; }
  std::uint64_t epoch() const override { return 0; }
  bool Held() const override { return tenure_->held.load(std::memory_order_acquire); }
  bool fences_writes() const override { return tenure_->name == PostgreSQLHA::kFencedLock; }

  Status ConfirmHeld() override {
    if (!Held()) return UnavailableError("this node no longer holds the PostgreSQL lock");
    const auto ttl = std::chrono::duration_cast<std::chrono::nanoseconds>(ha_.options_.lock_ttl);
    const std::int64_t lease_end = tenure_->acked_sent_ns.load() + (ttl - ttl / 3).count();
    if (PgSteadyNanos(std::chrono::steady_clock::now()) >= lease_end) {
      return UnavailableError("the PostgreSQL lock was not renewed in time");
    }
    return Status::Ok();
  }

  Status Release() override {
    StopRenewing();
    if (!tenure_->held.exchange(false)) return Status::Ok();
    Status gone = GiveUp(/*released=*/true);
    // The row expires by itself within lock_ttl: the release still counts.
    if (!gone.ok()) spdlog::warn("postgresql ha: cannot delete the lock row: {}", gone.message());
    return Status::Ok();
  }

 private:
  void StopRenewing() {
    renewer_.request_stop();
    if (renewer_.joinable()) renewer_.join();
  }

  Status GiveUp(bool released) {
    auto conn = ha_.pool_->Get();
    Status deleted = conn.status();
    if (conn.ok()) {
      deleted = (*conn)
                    ->Exec("DELETE FROM " + ha_.options_.quoted_ha_table +
                               " WHERE ha_key = $1::text AND ha_identity = $2::text",
                           {PgParam::Of(tenure_->name), PgParam::Of(tenure_->identity)})
                    .status();
    }
    ha_.TenureEnded(tenure_->name, tenure_->identity, released);
    return deleted;
  }

  void Renew(std::stop_token stop) {
    std::mutex mu;
    std::condition_variable_any wake;
    const std::string sql = "UPDATE " + ha_.options_.quoted_ha_table +
                            " SET valid_until = now() + $3::text::interval"
                            " WHERE ha_key = $1::text AND ha_identity = $2::text";
    const std::string ttl = PgMillis(ha_.options_.lock_ttl);
    while (true) {
      {
        std::unique_lock lock(mu);
        wake.wait_for(lock, stop, ha_.options_.lock_renew_interval, [] { return false; });
      }
      if (stop.stop_requested()) return;
      const auto sent = std::chrono::steady_clock::now();
      std::string why;
      if (ha_.renewals_paused_) {
        const auto last = std::chrono::nanoseconds(tenure_->acked_sent_ns.load());
        if (sent.time_since_epoch() - last < ha_.options_.lock_ttl) continue;
        why = "no renewal for lock_ttl";
      } else {
        auto conn = ha_.pool_->Get();
        if (!conn.ok()) {
          why = conn.status().message();
        } else {
          auto renewed = (*conn)->Exec(sql, {PgParam::Of(tenure_->name),
                                             PgParam::Of(tenure_->identity), PgParam::Of(ttl)});
          if (renewed.ok() && renewed->AffectedRows() == 1) {
            tenure_->acked_sent_ns = PgSteadyNanos(sent);
            continue;
          }
          why = renewed.ok() ? "the lock row is gone or another node took it"
                             : std::string(renewed.status().message());
        }
      }
      if (tenure_->held.exchange(false)) {
        spdlog::warn("postgresql ha: lost the lock \"{}\": {}", tenure_->name, why);
        ha_.TenureEnded(tenure_->name, tenure_->identity, /*released=*/false);
        if (tenure_->on_lost) tenure_->on_lost();
      }
      return;
    }
  }

  PostgreSQLHA& ha_;
  const std::shared_ptr<PostgreSQLHA::Tenure> tenure_;
  std::jthread renewer_;  // renews the row every lock_renew_interval
};

StatusOr<std::unique_ptr<PostgreSQLHA>> PostgreSQLHA::Open(const PostgreSQLOptions& options) {
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<PgPool> pool,
                          PgPool::Open(options.connection_url, kPgHAConnections));
  return std::unique_ptr<PostgreSQLHA>(new PostgreSQLHA(options, std::move(pool)));
}

PostgreSQLHA::PostgreSQLHA(const PostgreSQLOptions& options, std::unique_ptr<PgPool> pool)
    : options_(options), pool_(std::move(pool)) {
  poller_ = std::jthread([this](std::stop_token stop) { Poll(stop); });
}

PostgreSQLHA::~PostgreSQLHA() {
  poller_.request_stop();
  if (poller_.joinable()) poller_.join();
}

StatusOr<bool> PostgreSQLHA::TryTake(const std::string& name, const std::string& identity,
                                     const std::string& node_id) {
  TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Get());
  const std::string key = PgAdvisoryKey(options_.ha_table, name);
  const std::string ttl = PgMillis(options_.lock_ttl);
  bool taken = false;
  TRESOR_RETURN_IF_ERROR(conn->InTransaction([&]() -> Status {
    // Waits for every write transaction past its fence check (header).
    TRESOR_RETURN_IF_ERROR(
        conn->Exec("SELECT pg_advisory_xact_lock($1::text::bigint)", {PgParam::Of(key)})
            .status());
    TRESOR_ASSIGN_OR_RETURN(
        PgResult result,
        conn->Exec("INSERT INTO " + options_.quoted_ha_table +
                       " AS l (ha_key, ha_identity, ha_value, valid_until)"
                       " VALUES ($1::text, $2::text, $3::text, now() + $4::text::interval)"
                       " ON CONFLICT (ha_key) DO UPDATE SET ha_identity = excluded.ha_identity,"
                       " ha_value = excluded.ha_value, valid_until = excluded.valid_until"
                       " WHERE l.valid_until < now()",
                   {PgParam::Of(name), PgParam::Of(identity), PgParam::Of(node_id),
                    PgParam::Of(ttl)}));
    taken = result.AffectedRows() == 1;
    return Status::Ok();
  }));
  return taken;
}

StatusOr<std::unique_ptr<HALock>> PostgreSQLHA::Acquire(std::string_view name_view,
                                                        std::string_view node_id,
                                                        std::function<void()> on_lost,
                                                        std::stop_token stop) {
  const std::string name(name_view);
  const std::string identity = RandomUuid();
  {
    std::unique_lock lock(mu_);
    if (held_.contains(name)) {
      return FailedPreconditionError("this node already holds the lock \"" + name + "\"");
    }
    holders_.try_emplace(name);  // polled from now on
    if (released_once_) {
      // Vault's hold-off: give the other nodes the lock this one let go.
      poll_wake_.wait_until(lock, stop, released_at_ + options_.release_holdoff,
                            [] { return false; });
    }
  }
  while (true) {
    if (stop.stop_requested()) return UnavailableError("stopped waiting for the PostgreSQL lock");
    const auto sent = std::chrono::steady_clock::now();
    auto taken = TryTake(name, identity, std::string(node_id));
    if (taken.ok() && *taken) {
      auto tenure = std::make_shared<Tenure>();
      tenure->name = name;
      tenure->identity = identity;
      tenure->on_lost = std::move(on_lost);
      tenure->acked_sent_ns = PgSteadyNanos(sent);
      {
        std::lock_guard lock(mu_);
        held_[name] = identity;
        if (name == kFencedLock) fence_identity_ = identity;
        holders_[name] = HAHolder{identity, 0};
      }
      return std::unique_ptr<HALock>(std::make_unique<PgHALock>(*this, std::move(tenure)));
    }
    if (!taken.ok() && taken.status().code() != StatusCode::kUnavailable) return taken.status();
    std::unique_lock lock(mu_);
    poll_wake_.wait_for(lock, stop, options_.lock_retry_interval, [] { return false; });
  }
}

void PostgreSQLHA::TenureEnded(const std::string& name, const std::string& identity,
                               bool released) {
  {
    std::lock_guard lock(mu_);
    auto held = held_.find(name);
    if (held != held_.end() && held->second == identity) held_.erase(held);
    if (name == kFencedLock && fence_identity_ == identity) fence_identity_.clear();
    auto cached = holders_.find(name);
    if (cached != holders_.end() && cached->second && cached->second->holder_id == identity) {
      cached->second.reset();
    }
    if (released) {
      released_at_ = std::chrono::steady_clock::now();
      released_once_ = true;
    }
  }
  poll_wake_.notify_all();
}

StatusOr<std::optional<HAHolder>> PostgreSQLHA::QueryHolder(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, pool_->Get());
  TRESOR_ASSIGN_OR_RETURN(
      PgResult result,
      conn->Exec("SELECT ha_identity FROM " + options_.quoted_ha_table +
                     " WHERE ha_key = $1::text AND valid_until > now()",
                 {PgParam::Of(name)}));
  if (result.rows() == 0) return std::optional<HAHolder>();
  return std::optional<HAHolder>(HAHolder{std::string(result.Value(0, 0)), 0});
}

StatusOr<std::optional<HAHolder>> PostgreSQLHA::Holder(std::string_view name) {
  {
    std::lock_guard lock(mu_);
    auto cached = holders_.find(name);
    if (cached != holders_.end()) return cached->second;
  }
  // First question about this name: answer it now, then keep it polled.
  TRESOR_ASSIGN_OR_RETURN(std::optional<HAHolder> holder, QueryHolder(std::string(name)));
  std::lock_guard lock(mu_);
  holders_.try_emplace(std::string(name), holder);
  return holder;
}

void PostgreSQLHA::Poll(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::vector<std::string> names;
    {
      std::unique_lock lock(mu_);
      poll_wake_.wait_for(lock, stop, options_.lock_retry_interval, [] { return false; });
      if (stop.stop_requested()) return;
      for (const auto& entry : holders_) names.push_back(entry.first);
    }
    for (const std::string& name : names) {
      auto holder = QueryHolder(name);
      // On an error the last view stays: core checks it against the
      // active record anyway.
      if (!holder.ok()) continue;
      std::lock_guard lock(mu_);
      holders_[name] = *holder;
    }
  }
}

Status PostgreSQLHA::CheckFence(PgConnection& conn) {
  TRESOR_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_xact_lock_shared($1::text::bigint)",
                                   {PgParam::Of(PgAdvisoryKey(options_.ha_table, kFencedLock))})
                             .status());
  std::string mine;
  {
    std::lock_guard lock(mu_);
    mine = fence_identity_;
  }
  TRESOR_ASSIGN_OR_RETURN(
      PgResult other,
      conn.Exec("SELECT 1 FROM " + options_.quoted_ha_table +
                    " WHERE ha_key = $1::text AND valid_until > now()"
                    " AND ha_identity <> $2::text FOR SHARE",
                {PgParam::Of(kFencedLock), PgParam::Of(mine)}));
  if (other.rows() > 0) {
    return FailedPreconditionError(
        "another node holds the active lock: this node's writes are refused");
  }
  return Status::Ok();
}

}  // namespace tresor::storage

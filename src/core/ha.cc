#include "core/ha.h"

#include "core/snapshot_paths.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "common/random.h"
#include "common/cluster_ca.h"

namespace tresor::core {
namespace {

constexpr char kActiveRecord[] = "core/ha/active";
constexpr char kClusterKeyPath[] = "core/raft/cluster-key";
constexpr char kClusterTlsPath[] = "core/raft/cluster-tls";
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";
// How often the watcher does its chores, and the contender retries
// becoming active after a failure (losing the lock wakes it at once).
constexpr std::chrono::milliseconds kWatchInterval{25};

// How long the contender waits before it asks for the lock again after an
// error (the backend retries transient ones inside Acquire).
constexpr std::chrono::seconds kAcquireRetry{1};

// How long a standby waits for the record of a newly elected active node.
constexpr std::chrono::seconds kRecordWait{5};

// Paths every node answers for itself, standby or not.
bool AnsweredLocally(const std::string& path) {
  static const char* const kLocal[] = {"sys/health",      "sys/leader", "sys/seal-status",
                                       "sys/unseal",      "sys/init",   "sys/seal",
                                       "sys/storage/raft/join",
                                       // Each node's own view, as sys/health.
                                       "sys/replication/status", "sys/replication/dr/status",
                                       // Each node's own metrics and log lines.
                                       "sys/metrics", "sys/monitor"};
  for (const char* local : kLocal) {
    if (path == local) return true;
  }
  return path.rfind("sys/storage/raft/bootstrap/", 0) == 0;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Ha::Ha(Lifecycle& lifecycle, storage::Backend& physical, Clock& clock, HaOptions options)
    : lifecycle_(lifecycle),
      physical_(physical),
      ha_(physical.AsHA()),
      cluster_(physical.AsClusterMembership()),
      snapshotter_(physical.AsSnapshotter()),
      log_(physical.AsReplicationLog()),
      clock_(clock),
      options_(std::move(options)) {}

Ha::~Ha() { Stop(); }

void Ha::Start(std::function<Status()> on_become_active) {
  if (ha_ == nullptr) return;
  on_become_active_ = std::move(on_become_active);
  {
    std::lock_guard lock(replaced_mu_);
    replaced_seen_ = snapshotter_ != nullptr ? snapshotter_->ReplacedCount() : 0;
  }
  watcher_ = std::thread([this] { Watch(); });
  contender_ = std::thread([this] { Contend(); });
}

void Ha::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    acquire_stop_.request_stop();
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (contender_.joinable()) contender_.join();
  active_ = false;
}

void Ha::SetTenure(std::shared_ptr<storage::HALock> tenure) {
  std::lock_guard lock(tenure_mu_);
  tenure_ = std::move(tenure);
}

std::shared_ptr<storage::HALock> Ha::CurrentTenure() const {
  std::lock_guard lock(tenure_mu_);
  return tenure_;
}

void Ha::WakeContender() {
  { std::lock_guard lock(mu_); }  // a waiter between its check and its wait sees the change
  stop_cv_.notify_all();
}

void Ha::CheckRemoved() {
  if (removed_ || cluster_ == nullptr) return;
  // The key is in plain text in storage (the barrier encrypts values only),
  // so a sealed node can see it too.
  auto marker = physical_.Get(kRemovedMarkerPrefix + std::to_string(cluster_->self_id()));
  if (!marker.ok() || !marker->has_value()) return;
  removed_ = true;
  active_ = false;
  spdlog::error("ha: this node ({}) was removed from the raft cluster; it serves nothing until "
                "its storage path is wiped, after which it may join again",
                cluster_->node_id());
  if (!lifecycle_.Sealed()) lifecycle_.Seal().IgnoreError();
  WakeContender();
}

void Ha::Watch() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    CheckRemoved();
    ReloadIfStateReplaced();
    RefreshClusterTls(/*now_please=*/false);
    lock.lock();
    stop_cv_.wait_for(lock, kWatchInterval, [this] { return stopping_; });
  }
}

void Ha::Contend() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (removed_ || !unseal_done_ || lifecycle_.Sealed()) {
      stop_cv_.wait_for(lock, kWatchInterval, [this] { return stopping_; });
      continue;
    }
    acquire_stop_ = std::stop_source();
    std::stop_token stop = acquire_stop_.get_token();
    lock.unlock();
    auto acquired = ha_->Acquire(
        kActiveLock, cluster_ != nullptr ? cluster_->node_id() : options_.api_addr,
        [this] {
          lock_held_ = false;
          WakeContender();
        },
        stop);
    if (acquired.ok()) {
      std::shared_ptr<storage::HALock> tenure = std::move(acquired).value();
      lock_held_ = tenure->Held();
      SetTenure(tenure);
      ServeAsActive(*tenure);
      lock_held_ = false;
      SetTenure(nullptr);
      tenure.reset();  // gives up what the backend holds for it (not raft leadership)
    } else if (!stop.stop_requested()) {
      spdlog::warn("ha: cannot take the active lock: {}", acquired.status().message());
    }
    lock.lock();
    if (!acquired.ok() && !stopping_) {
      stop_cv_.wait_for(lock, kAcquireRetry, [this] { return stopping_; });
    }
  }
}

void Ha::ServeAsActive(storage::HALock& tenure) {
  std::unique_lock lock(mu_);
  while (!stopping_ && !removed_ && tenure.Held() && !lifecycle_.Sealed()) {
    if (!active_) {
      lock.unlock();
      Status became = BecomeActive(tenure);
      if (became.ok() && tenure.Held()) {
        became_active_at_ = std::chrono::steady_clock::now();
        active_ = true;
        spdlog::info("ha: this node is now the active node");
      } else if (!became.ok()) {
        spdlog::warn("ha: could not become active yet: {}", became.message());
      }
      lock.lock();
    }
    stop_cv_.wait_for(lock, kWatchInterval, [this, &tenure] {
      return stopping_ || removed_ || !tenure.Held() || lifecycle_.Sealed();
    });
  }
  if (active_) {
    static metrics::Summary& lost = metrics::Default().GetSummary(
        "vault.core.leadership_lost", "How long this node was active before it lost that (ms).");
    lost.Observe(std::chrono::steady_clock::now() - became_active_at_);
    active_ = false;
    spdlog::info("ha: this node is now a standby");
  }
}

void Ha::ReloadIfStateReplaced() {
  if (snapshotter_ == nullptr) return;
  std::lock_guard lock(replaced_mu_);
  std::uint64_t replaced = snapshotter_->ReplacedCount();
  if (replaced == replaced_seen_) return;
  replaced_seen_ = replaced;
  lifecycle_.ReloadAfterStateReplaced();
}

void Ha::OnUnseal() {
  {
    std::lock_guard lock(mu_);
    unseal_done_ = true;
  }
  stop_cv_.notify_all();  // the contender may take the lock now
  if (cluster_ == nullptr) return;
  auto key = lifecycle_.Barrier().Get(kClusterKeyPath);
  if (key.ok() && key->has_value()) cluster_->SetClusterKey(std::move(**key));
  RefreshClusterTls(/*now_please=*/true);
}

void Ha::OnSeal() {
  {
    std::lock_guard lock(mu_);
    unseal_done_ = false;
    acquire_stop_.request_stop();  // a sealed node does not contend
  }
  stop_cv_.notify_all();
  if (cluster_ == nullptr) return;
  cluster_->SetClusterKey("");
  cluster_->SetClusterTls("").IgnoreError();
}

void Ha::RefreshClusterTls(bool now_please) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(tls_mu_);
  if (cluster_ == nullptr || lifecycle_.Sealed()) return;
  if (!now_please && now - tls_checked_at_ < kClusterTlsRefreshInterval) return;
  tls_checked_at_ = now;
  auto record = lifecycle_.Barrier().Get(kClusterTlsPath);
  // None yet: the first active node creates it (BecomeActive).
  if (!record.ok() || !record->has_value()) return;
  if (Status set = cluster_->SetClusterTls(**record); !set.ok()) {
    spdlog::error("ha: cannot use the cluster's TLS certificates: {}", set.message());
  }
}

StatusOr<std::string> Ha::ClusterTlsRecord() const {
  TRESOR_ASSIGN_OR_RETURN(auto record, lifecycle_.Barrier().Get(kClusterTlsPath));
  if (!record.has_value()) return UnavailableError("the cluster CA is not created yet");
  return std::move(*record);
}

StatusOr<std::string> Ha::RotateClusterTls() {
  if (cluster_ == nullptr) {
    return FailedPreconditionError("the cluster CA exists only with integrated raft storage");
  }
  TRESOR_ASSIGN_OR_RETURN(std::string record, ClusterTlsRecord());
  TRESOR_ASSIGN_OR_RETURN(std::string rotated,
                          RotateClusterTlsRecord(record, std::chrono::system_clock::now()));
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterTlsPath, rotated));
  TRESOR_RETURN_IF_ERROR(cluster_->SetClusterTls(rotated));
  spdlog::info("ha: the cluster CA was rotated; the new CA signs node certificates in {}s",
               kCaActivationDelay.count());
  return rotated;
}

StatusOr<std::string> Ha::ClusterKey() const {
  TRESOR_ASSIGN_OR_RETURN(auto key, lifecycle_.Barrier().Get(kClusterKeyPath));
  if (!key.has_value()) return UnavailableError("the cluster key is not created yet");
  return std::move(*key);
}

Status Ha::BecomeActive(const storage::HALock& tenure) {
  if (cluster_ != nullptr) {
    TRESOR_ASSIGN_OR_RETURN(auto key, lifecycle_.Barrier().Get(kClusterKeyPath));
    if (!key.has_value()) {
      key = RandomBytes(32);
      TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterKeyPath, *key));
    }
    cluster_->SetClusterKey(std::move(*key));
    TRESOR_ASSIGN_OR_RETURN(auto tls, lifecycle_.Barrier().Get(kClusterTlsPath));
    if (!tls.has_value()) {
      TRESOR_ASSIGN_OR_RETURN(tls, NewClusterTlsRecord(std::chrono::system_clock::now()));
      TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterTlsPath, *tls));
    }
    TRESOR_RETURN_IF_ERROR(cluster_->SetClusterTls(*tls));
    // The first node never joined, so nothing recorded its name: without
    // this, other nodes would list it by its numeric raft id.
    TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(
        kServerNamesPrefix + std::to_string(cluster_->self_id()), cluster_->node_id()));
  }
  if (on_become_active_) TRESOR_RETURN_IF_ERROR(on_become_active_());
  std::string since = Rfc3339(clock_.Now());
  nlohmann::json record = {{"node_id", cluster_ != nullptr ? cluster_->node_id() : ""},
                           {"holder_id", tenure.holder_id()},
                           {"epoch", tenure.epoch()},
                           {"api_addr", options_.api_addr},
                           {"cluster_addr", options_.cluster_addr},
                           {"active_time", since}};
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kActiveRecord, record.dump()));
  std::lock_guard lock(mu_);
  active_since_ = since;
  return Status::Ok();
}

Status Ha::ConfirmActiveForRequest() const {
  if (ha_ == nullptr || !active_) return Status::Ok();
  std::shared_ptr<storage::HALock> tenure = CurrentTenure();
  Status held = tenure != nullptr ? tenure->ConfirmHeld()
                                  : UnavailableError("the lock is not held");
  if (held.ok()) return held;
  return UnavailableError("this node has just lost the active role (" +
                          std::string(held.message()) + "); retry the request");
}

std::string Ha::ActiveApiAddr() const {
  auto holder = ha_->Holder(kActiveLock);
  if (!holder.ok() || !holder->has_value()) return "";
  const storage::HAHolder& current = **holder;
  {
    // Every forwarded request asks; the record is rewritten only by a new
    // tenure.
    std::lock_guard lock(mu_);
    if (cached_holder_ == current.holder_id && cached_epoch_ == current.epoch) {
      return cached_api_addr_;
    }
  }
  auto stored = lifecycle_.Barrier().Get(kActiveRecord);
  if (!stored.ok() || !stored->has_value()) return "";
  std::string api_addr;
  try {
    auto record = nlohmann::json::parse(**stored);
    // Written by an earlier tenure: the new active has not recorded itself.
    if (record.at("holder_id").get<std::string>() != current.holder_id ||
        record.at("epoch").get<std::uint64_t>() != current.epoch) {
      return "";
    }
    api_addr = record.at("api_addr").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return "";
  }
  std::lock_guard lock(mu_);
  cached_holder_ = current.holder_id;
  cached_epoch_ = current.epoch;
  cached_api_addr_ = api_addr;
  return api_addr;
}

std::optional<std::string> Ha::ForwardTarget(const Request& request) const {
  if (ha_ == nullptr || removed_ || lifecycle_.Sealed() || AnsweredLocally(request.path) ||
      StaleSnapshotRead(request)) {
    return std::nullopt;
  }
  // A holder that lost the lock stops serving at once, without waiting for
  // the contender.
  if (active_ && lock_held_) return std::nullopt;
  // A standby took this node for the active one, but it no longer is (or
  // not yet: it does not hold the lock). Say so at once, so that the
  // standby asks again where the active is: waiting here would hold the
  // request for the whole wait when this node is the one cut off from the
  // others.
  if (request.forwarded && !lock_held_) return "";
  // Just after the lock changed hands (or an unseal) this node may be
  // finishing becoming active, or the new active's record may not have
  // reached it yet: wait a little rather than answer 503, so that a
  // fail-over stays invisible to clients.
  // Where the wait ends: nullopt when this node turned active, the active
  // node's address when its record arrived, "" (503) otherwise.
  std::optional<std::string> target = "";
  PollUntil(clock_, kRecordWait, std::chrono::milliseconds(5), [&] {
    if (lock_held_) {
      if (active_) {
        target = std::nullopt;
        return true;
      }
    } else if (std::string addr = ActiveApiAddr(); !addr.empty()) {
      target = std::move(addr);
      return true;
    }
    return lifecycle_.Sealed();
  });
  return target;
}

LeaderInfo Ha::Leader() const {
  LeaderInfo info;
  info.active_time = kZeroTime;
  if (ha_ == nullptr) return info;
  info.ha_enabled = true;
  std::string leader_cluster_address;
  if (cluster_ != nullptr) {
    storage::ClusterStatus status = cluster_->GetStatus();
    info.raft_committed_index = status.commit_index;
    info.raft_applied_index = status.applied_index;
    if (!status.leader_address.empty()) leader_cluster_address = "https://" + status.leader_address;
  }
  if (lifecycle_.Sealed()) return info;
  info.is_self = IsActive();
  if (info.is_self) {
    info.leader_address = options_.api_addr;
    info.leader_cluster_address = options_.cluster_addr;
    std::lock_guard lock(mu_);
    info.active_time = active_since_;
    return info;
  }
  info.leader_address = ActiveApiAddr();
  info.leader_cluster_address = leader_cluster_address;
  return info;
}

Status Ha::StepDown() {
  static metrics::Summary& step_down = metrics::Default().GetSummary(
      "vault.core.step_down", "Time to step down from active (ms).");
  metrics::ScopedTimer timer(step_down);
  if (ha_ == nullptr) return Status::Ok();  // Vault: a no-op without HA
  std::shared_ptr<storage::HALock> tenure = CurrentTenure();
  if (!IsActive() || tenure == nullptr) {
    return FailedPreconditionError("this node is not the active node");
  }
  Status released = tenure->Release();
  if (released.ok()) {
    lock_held_ = false;  // no on_lost after a release: stop serving as active now
    WakeContender();
  }
  return released;
}

}  // namespace tresor::core

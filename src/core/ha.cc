#include "core/ha.h"

#include "core/snapshot_paths.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "common/random.h"
#include "raft/cluster_tls.h"

namespace tresor::core {
namespace {

constexpr char kActiveRecord[] = "core/ha/active";
constexpr char kClusterKeyPath[] = "core/raft/cluster-key";
constexpr char kClusterTlsPath[] = "core/raft/cluster-tls";
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";
// How often the watcher looks at the raft role. Losing leadership is also
// checked on every request (IsLeader is lock-free), so this only bounds how
// soon a new leader starts serving.
constexpr std::chrono::milliseconds kWatchInterval{25};

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

Ha::Ha(Lifecycle& lifecycle, storage::RaftBackend* raft, Clock& clock, HaOptions options)
    : lifecycle_(lifecycle), raft_(raft), clock_(clock), options_(std::move(options)) {}

Ha::~Ha() { Stop(); }

void Ha::Start(std::function<Status()> on_become_active) {
  if (raft_ == nullptr) return;
  on_become_active_ = std::move(on_become_active);
  {
    std::lock_guard lock(replaced_mu_);
    replaced_seen_ = raft_->ReplacedCount();
  }
  watcher_ = std::thread([this] { Watch(); });
}

void Ha::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  active_ = false;
}

void Ha::CheckRemoved() {
  if (removed_) return;
  // The key is in plain text in storage (the barrier encrypts values only),
  // so a sealed node can see it too.
  auto marker = raft_->Get(kRemovedMarkerPrefix + std::to_string(raft_->raft_id()));
  if (!marker.ok() || !marker->has_value()) return;
  removed_ = true;
  active_ = false;
  spdlog::error("ha: this node ({}) was removed from the raft cluster; it serves nothing until "
                "its storage path is wiped, after which it may join again",
                raft_->node_id());
  if (!lifecycle_.Sealed()) lifecycle_.Seal().IgnoreError();
}

void Ha::Watch() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    CheckRemoved();
    ReloadIfStateReplaced();
    RefreshClusterTls(/*now_please=*/false);
    bool leads = !removed_ && raft_->node().IsLeader() && !lifecycle_.Sealed();
    if (leads && !active_) {
      Status became = BecomeActive();
      if (became.ok()) {
        became_active_at_ = std::chrono::steady_clock::now();
        active_ = true;
        spdlog::info("ha: this node is now the active node");
      } else {
        spdlog::warn("ha: could not become active yet: {}", became.message());
      }
    } else if (!leads && active_) {
      static metrics::Summary& lost = metrics::Default().GetSummary(
          "vault.core.leadership_lost", "How long this node was active before it lost that (ms).");
      lost.Observe(std::chrono::steady_clock::now() - became_active_at_);
      active_ = false;
      spdlog::info("ha: this node is now a standby");
    }
    lock.lock();
    stop_cv_.wait_for(lock, kWatchInterval, [this] { return stopping_; });
  }
}

void Ha::ReloadIfStateReplaced() {
  if (raft_ == nullptr) return;
  std::lock_guard lock(replaced_mu_);
  std::uint64_t replaced = raft_->ReplacedCount();
  if (replaced == replaced_seen_) return;
  replaced_seen_ = replaced;
  lifecycle_.ReloadAfterStateReplaced();
}

void Ha::OnUnseal() {
  if (raft_ == nullptr) return;
  auto key = lifecycle_.Barrier().Get(kClusterKeyPath);
  if (key.ok() && key->has_value()) raft_->node().SetClusterKey(std::move(**key));
  RefreshClusterTls(/*now_please=*/true);
}

void Ha::OnSeal() {
  if (raft_ == nullptr) return;
  raft_->node().SetClusterKey("");
  raft_->node().SetClusterTls("").IgnoreError();
}

void Ha::RefreshClusterTls(bool now_please) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(tls_mu_);
  if (lifecycle_.Sealed()) return;
  if (!now_please && now - tls_checked_at_ < raft::kClusterTlsRefreshInterval) return;
  tls_checked_at_ = now;
  auto record = lifecycle_.Barrier().Get(kClusterTlsPath);
  // None yet: the first active node creates it (BecomeActive).
  if (!record.ok() || !record->has_value()) return;
  if (Status set = raft_->node().SetClusterTls(**record); !set.ok()) {
    spdlog::error("ha: cannot use the cluster's TLS certificates: {}", set.message());
  }
}

StatusOr<std::string> Ha::ClusterTlsRecord() const {
  TRESOR_ASSIGN_OR_RETURN(auto record, lifecycle_.Barrier().Get(kClusterTlsPath));
  if (!record.has_value()) return UnavailableError("the cluster CA is not created yet");
  return std::move(*record);
}

StatusOr<std::string> Ha::RotateClusterTls() {
  if (raft_ == nullptr) {
    return FailedPreconditionError("the cluster CA exists only with integrated raft storage");
  }
  TRESOR_ASSIGN_OR_RETURN(std::string record, ClusterTlsRecord());
  TRESOR_ASSIGN_OR_RETURN(std::string rotated,
                          raft::RotateClusterTlsRecord(record, std::chrono::system_clock::now()));
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterTlsPath, rotated));
  TRESOR_RETURN_IF_ERROR(raft_->node().SetClusterTls(rotated));
  spdlog::info("ha: the cluster CA was rotated; the new CA signs node certificates in {}s",
               raft::kCaActivationDelay.count());
  return rotated;
}

StatusOr<std::string> Ha::ClusterKey() const {
  TRESOR_ASSIGN_OR_RETURN(auto key, lifecycle_.Barrier().Get(kClusterKeyPath));
  if (!key.has_value()) return UnavailableError("the cluster key is not created yet");
  return std::move(*key);
}

Status Ha::BecomeActive() {
  TRESOR_RETURN_IF_ERROR(raft_->node().Barrier());
  TRESOR_ASSIGN_OR_RETURN(auto key, lifecycle_.Barrier().Get(kClusterKeyPath));
  if (!key.has_value()) {
    key = RandomBytes(32);
    TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterKeyPath, *key));
  }
  raft_->node().SetClusterKey(std::move(*key));
  TRESOR_ASSIGN_OR_RETURN(auto tls, lifecycle_.Barrier().Get(kClusterTlsPath));
  if (!tls.has_value()) {
    TRESOR_ASSIGN_OR_RETURN(tls, raft::NewClusterTlsRecord(std::chrono::system_clock::now()));
    TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kClusterTlsPath, *tls));
  }
  TRESOR_RETURN_IF_ERROR(raft_->node().SetClusterTls(*tls));
  // The first node never joined, so nothing recorded its name: without
  // this, other nodes would list it by its numeric raft id.
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(
      kServerNamesPrefix + std::to_string(raft_->raft_id()), raft_->node_id()));
  if (on_become_active_) TRESOR_RETURN_IF_ERROR(on_become_active_());
  std::string since = Rfc3339(clock_.Now());
  nlohmann::json record = {{"node_id", raft_->node_id()},
                           {"raft_id", raft_->raft_id()},
                           {"api_addr", options_.api_addr},
                           {"cluster_addr", options_.cluster_addr},
                           {"active_time", since}};
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kActiveRecord, record.dump()));
  std::lock_guard lock(mu_);
  active_since_ = since;
  return Status::Ok();
}

Status Ha::ConfirmActiveForRequest() const {
  if (raft_ == nullptr || !active_) return Status::Ok();
  Status leading = raft_->node().ConfirmLeadershipForRead();
  if (leading.ok()) return leading;
  return UnavailableError("this node has just lost the active role (" +
                          std::string(leading.message()) + "); retry the request");
}

std::string Ha::ActiveApiAddr() const {
  auto [leader, term] = raft_->node().LeaderAndTerm();
  if (leader == 0) return "";
  {
    // Every forwarded request asks; the record is rewritten only by a new
    // leadership, which has a new term.
    std::lock_guard lock(mu_);
    if (cached_leader_ == leader && cached_term_ == term) return cached_api_addr_;
  }
  auto stored = lifecycle_.Barrier().Get(kActiveRecord);
  if (!stored.ok() || !stored->has_value()) return "";
  std::string api_addr;
  try {
    auto record = nlohmann::json::parse(**stored);
    if (record.at("raft_id").get<std::uint64_t>() != leader) return "";  // not written yet
    api_addr = record.at("api_addr").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return "";
  }
  std::lock_guard lock(mu_);
  cached_leader_ = leader;
  cached_term_ = term;
  cached_api_addr_ = api_addr;
  return api_addr;
}

std::optional<std::string> Ha::ForwardTarget(const Request& request) const {
  if (raft_ == nullptr || removed_ || lifecycle_.Sealed() || AnsweredLocally(request.path) ||
      StaleSnapshotRead(request)) {
    return std::nullopt;
  }
  // A leader that lost its majority stops serving at once, without waiting
  // for the watcher.
  if (active_ && raft_->node().IsLeader()) return std::nullopt;
  // A standby took this node for the active one, but it no longer is (or
  // not yet: it does not lead). Say so at once, so that the standby asks
  // again where the active is: waiting here would hold the request for the
  // whole wait when this node is the one cut off from the others.
  if (request.forwarded && !raft_->node().IsLeader()) return "";
  // Just after a change of leader (or an unseal) this node may be finishing
  // becoming active, or the new active's record may not have reached it
  // yet: wait a little rather than answer 503, so that a fail-over stays
  // invisible to clients.
  // Where the wait ends: nullopt when this node turned active, the active
  // node's address when its record arrived, "" (503) otherwise.
  std::optional<std::string> target = "";
  PollUntil(clock_, kRecordWait, std::chrono::milliseconds(5), [&] {
    if (raft_->node().IsLeader()) {
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
  if (raft_ == nullptr) return info;
  info.ha_enabled = true;
  raft::NodeStatus status = raft_->node().GetStatus();
  info.raft_committed_index = status.commit_index;
  info.raft_applied_index = status.applied_index;
  if (lifecycle_.Sealed()) return info;
  info.is_self = active_;
  if (active_) {
    info.leader_address = options_.api_addr;
    info.leader_cluster_address = options_.cluster_addr;
    std::lock_guard lock(mu_);
    info.active_time = active_since_;
    return info;
  }
  info.leader_address = ActiveApiAddr();
  if (!status.leader_address.empty()) info.leader_cluster_address = "https://" + status.leader_address;
  return info;
}

Status Ha::StepDown() {
  static metrics::Summary& step_down = metrics::Default().GetSummary(
      "vault.core.step_down", "Time to step down from active (ms).");
  metrics::ScopedTimer timer(step_down);
  if (raft_ == nullptr) return Status::Ok();  // Vault: a no-op without HA
  if (!active_) return FailedPreconditionError("this node is not the active node");
  int voters = 0;
  for (const raft::ServerInfo& server : raft_->node().GetStatus().configuration) {
    voters += server.voter ? 1 : 0;
  }
  if (voters < 2) {
    return InvalidArgumentError("this node is the cluster's only voter: there is no other node "
                                "to take over (join more nodes first)");
  }
  return raft_->node().TransferLeadership(0);
}

}  // namespace tresor::core

#include "core/replication/dr_replication.h"

#include <spdlog/spdlog.h>

#include "common/encoding.h"
#include "common/random.h"
#include "common/secure_memory.h"
#include "common/sha256.h"
#include "core/cluster_local_keys.h"

namespace tresor::core::replication {
namespace {

std::int64_t UnixSeconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
}

}  // namespace

DrReplication::DrReplication(storage::Backend& physical, Lifecycle& lifecycle, Ha& ha,
                             Clock& clock, DrOptions options)
    : physical_(physical),
      lifecycle_(lifecycle),
      ha_(ha),
      clock_(clock),
      options_(std::move(options)),
      log_(physical.AsReplicationLog()),
      snapshotter_(physical.AsSnapshotter()),
      operation_tokens_(lifecycle, clock, [this]() -> StatusOr<std::string> {
        std::string token = "hvs." + RandomBase62(24);
        std::lock_guard lock(mutex_);
        minted_tokens_.push_back(token);
        return token;
      }) {}

DrReplication::~DrReplication() { Stop(); }

bool DrReplication::AllowsOnSecondary(std::string_view path) {
  // sys/metrics: a secondary's lag is what its operators watch.
  for (std::string_view allowed : {"sys/health", "sys/leader", "sys/seal-status", "sys/seal",
                                   "sys/unseal", "sys/init", "sys/metrics"}) {
    if (path == allowed) return true;
  }
  for (std::string_view prefix : {"sys/replication/", "sys/storage/raft/"}) {
    if (path.substr(0, prefix.size()) == prefix && path != "sys/storage/raft/snapshot" &&
        path != "sys/storage/raft/snapshot-force") {
      return true;
    }
  }
  return false;
}

std::vector<std::string> DrReplication::ExcludedPrefixes() const { return ClusterLocalPrefixes(); }

std::vector<std::string> DrReplication::ActiveSecondaries() const {
  std::vector<std::string> active;
  if (lifecycle_.Sealed()) return active;
  auto ids = lifecycle_.Barrier().List(kSecondariesPrefix);
  for (const std::string& id : ids.ok() ? *ids : std::vector<std::string>{}) {
    auto secondary = ReadSecondary(lifecycle_.Barrier(), id);
    if (secondary.ok() && secondary->has_value() && (*secondary)->activated &&
        !(*secondary)->revoked) {
      active.push_back(id);
    }
  }
  return active;
}

std::string DrReplication::ClusterId() const {
  auto status = lifecycle_.GetSealStatus();
  return status.ok() ? status->cluster_id : "";
}

void DrReplication::Start() {
  if (!supported()) return;
  PrimaryDeps deps{*log_,
                   *snapshotter_,
                   lifecycle_.Barrier(),
                   clock_,
                   ExcludedPrefixes(),
                   [this] { return mode() == Mode::kPrimary; },
                   [this] { return ha_.IsActive() && !lifecycle_.Sealed(); },
                   [this] { return ha_.Leader().leader_cluster_address; },
                   [this] {
                     std::lock_guard lock(mutex_);
                     return record_.cluster_id;
                   }};
  server_ = std::make_unique<DrServer>(std::move(deps));
  log_->ServeChannel([this](int fd, std::string peer) { server_->Serve(fd, std::move(peer)); });
  SuperviseOnce();
  supervisor_ = std::thread([this] { Supervise(); });
}

void DrReplication::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  StopClient();
  if (log_ != nullptr) log_->ServeChannel(nullptr);
  if (server_) server_->Stop();
}

void DrReplication::Supervise() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    SuperviseOnce();
    lock.lock();
    stop_cv_.wait_for(lock, kSupervisePeriod, [this] { return stopping_; });
  }
}

void DrReplication::SuperviseOnce() {
  std::lock_guard transition(transition_mutex_);
  auto record = ReadLocalRecord(physical_);
  if (record.ok()) ApplyRecord(*record);
}

void DrReplication::ApplyRecord(const LocalRecord& record) {
  mode_.store(record.mode, std::memory_order_release);
  synchronous_.store(record.mode == Mode::kPrimary && record.synchronous,
                     std::memory_order_release);
  if (record.synchronous) has_secondaries_.store(!ActiveSecondaries().empty());
  storage::ClusterMembership* raft = ha_.cluster();
  const bool leads = raft != nullptr && raft->Leads();
  const bool follow = record.mode == Mode::kSecondary && leads && !record.primary_addrs.empty();
  std::unique_ptr<DrClient> stale;
  {
    std::lock_guard lock(mutex_);
    record_ = record;
    if (client_ && (!follow || client_->link().addrs != record.primary_addrs ||
                    client_->link().secondary_id != record.secondary_id)) {
      stale = std::move(client_);
    }
  }
  // Stopped (joined) before anything else changes, outside mutex_ so that
  // status keeps answering: no entry of the old link lands after this.
  stale.reset();
  std::lock_guard lock(mutex_);
  if (follow && !client_) {
    std::optional<KeyPair> credentials = fresh_credentials_;
    if (!credentials && !lifecycle_.Sealed()) {
      // Once the primary's data is here, this secondary's own record holds
      // its credentials (the primary wrote them at activation).
      auto own = ReadSecondary(lifecycle_.Barrier(), record.secondary_id);
      if (own.ok() && own->has_value() && !(*own)->cert.empty()) {
        credentials = KeyPair{(*own)->cert, (*own)->key};
      }
    }
    if (credentials) {
      SecondaryDeps deps{*log_, *snapshotter_, clock_, ExcludedPrefixes(),
                         [this] { ha_.ReloadIfStateReplaced(); }};
      client_ = std::make_unique<DrClient>(
          std::move(deps),
          PrimaryLink{record.secondary_id, record.primary_addrs, record.ca_cert, *credentials});
      client_->Start();
    }
  }
}

void DrReplication::StopClient() {
  std::unique_ptr<DrClient> client;
  {
    std::lock_guard lock(mutex_);
    client = std::move(client_);
  }
  client.reset();
}

StatusOr<LocalRecord> DrReplication::Record() const { return ReadLocalRecord(physical_); }

Status DrReplication::WriteRecord(const LocalRecord& record) {
  TRESOR_RETURN_IF_ERROR(WriteLocalRecord(physical_, record));
  ApplyRecord(record);
  return Status::Ok();
}

Status DrReplication::RequireSupported() const {
  if (supported()) return Status::Ok();
  return FailedPreconditionError(
      "DR replication needs integrated storage (storage \"raft\"); this server's storage "
      "cannot keep the replication log");
}

Status DrReplication::RequireActive() const {
  TRESOR_RETURN_IF_ERROR(RequireSupported());
  if (lifecycle_.Sealed()) return SealedError();
  if (!ha_.IsActive()) return UnavailableError("only the active node changes DR replication");
  return Status::Ok();
}

// ---- primary ----

Status DrReplication::EnablePrimary(const PrimaryOptions& options) {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode == Mode::kPrimary) {
    return InvalidArgumentError("this cluster is already a DR primary");
  }
  if (record.mode == Mode::kSecondary) {
    return InvalidArgumentError(
        "this cluster is a DR secondary: promote it (sys/replication/dr/secondary/promote) or "
        "disable it (sys/replication/dr/secondary/disable) first");
  }
  if (options.retained_entries == 0) {
    return InvalidArgumentError("log_retained_entries must be at least 1");
  }
  TRESOR_ASSIGN_OR_RETURN(auto ca, ReadCa(lifecycle_.Barrier()));
  if (!ca.has_value()) {
    TRESOR_ASSIGN_OR_RETURN(KeyPair created, CreateCa(ClusterId()));
    TRESOR_RETURN_IF_ERROR(WriteCa(lifecycle_.Barrier(), created));
  }
  TRESOR_RETURN_IF_ERROR(log_->ConfigureLog(options.retained_entries, ExcludedPrefixes()));
  LocalRecord primary;
  primary.mode = Mode::kPrimary;
  primary.cluster_id = ClusterId();
  primary.primary_cluster_addr = options.primary_cluster_addr;
  primary.synchronous = options.synchronous;
  primary.synchronous_timeout_ms = options.synchronous_timeout.count();
  TRESOR_RETURN_IF_ERROR(WriteRecord(primary));
  spdlog::warn("dr: this cluster is now a DR primary{}",
               options.synchronous ? " (synchronous)" : "");
  return Status::Ok();
}

StatusOr<nlohmann::json> DrReplication::SecondaryToken(const std::string& id,
                                                      std::chrono::seconds ttl) {
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_RETURN_IF_ERROR(ValidateSecondaryId(id));
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kPrimary) {
    return InvalidArgumentError("this cluster is not a DR primary: enable it first "
                                "(sys/replication/dr/primary/enable)");
  }
  TRESOR_ASSIGN_OR_RETURN(auto existing, ReadSecondary(lifecycle_.Barrier(), id));
  if (existing.has_value() && existing->activated && !existing->revoked) {
    return InvalidArgumentError("secondary \"" + id +
                                "\" is already activated: revoke it first "
                                "(sys/replication/dr/primary/revoke-secondary)");
  }
  TRESOR_ASSIGN_OR_RETURN(auto ca, ReadCa(lifecycle_.Barrier()));
  if (!ca.has_value()) return InternalError("the DR primary has no CA");

  ActivationToken token;
  token.id = id;
  token.cluster_id = record.cluster_id;
  if (!record.primary_cluster_addr.empty()) token.addrs.push_back(record.primary_cluster_addr);
  if (storage::ClusterMembership* raft = ha_.cluster()) {
    for (const storage::ClusterServer& server : raft->GetStatus().servers) {
      if (std::find(token.addrs.begin(), token.addrs.end(), server.address) == token.addrs.end()) {
        token.addrs.push_back(server.address);
      }
    }
  }
  token.ca_cert = ca->cert_pem;
  token.secret = Base64Encode(RandomBytes(32));
  token.expires = UnixSeconds(clock_) + ttl.count();
  SecondaryRecord secondary;
  secondary.id = id;
  secondary.secret_sha256 = Sha256Hex(token.secret);
  secondary.expires = token.expires;
  TRESOR_RETURN_IF_ERROR(WriteSecondary(lifecycle_.Barrier(), secondary));
  nlohmann::json wrap_info = {{"token", EncodeToken(token)},
                              {"accessor", ""},
                              {"ttl", ttl.count()},
                              {"creation_time", FormatRfc3339(clock_.Now())},
                              {"creation_path", "sys/replication/dr/primary/secondary-token"},
                              {"wrapped_accessor", ""}};
  SecureWipe(token.secret);
  return wrap_info;
}

Status DrReplication::RevokeSecondary(const std::string& id) {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_RETURN_IF_ERROR(ValidateSecondaryId(id));
  TRESOR_ASSIGN_OR_RETURN(auto record, ReadSecondary(lifecycle_.Barrier(), id));
  if (!record.has_value()) return NotFoundError("no DR secondary \"" + id + "\" is known here");
  record->revoked = true;
  record->cert.clear();
  record->key.clear();
  TRESOR_RETURN_IF_ERROR(WriteSecondary(lifecycle_.Barrier(), *record));
  if (server_) server_->Disconnect(id);
  spdlog::warn("dr: secondary \"{}\" revoked", id);
  return Status::Ok();
}

Status DrReplication::Demote() {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kPrimary) return InvalidArgumentError("this cluster is not a DR primary");
  // A secondary with no primary yet: it refuses writes from now on (no
  // split brain), and keeps its log so that update-primary can make it
  // follow the new primary without a wipe when its history allows.
  LocalRecord demoted;
  demoted.mode = Mode::kSecondary;
  demoted.cluster_id = record.cluster_id;
  TRESOR_RETURN_IF_ERROR(WriteRecord(demoted));
  spdlog::warn("dr: this cluster was demoted to a DR secondary; it refuses writes");
  return Status::Ok();
}

Status DrReplication::DisablePrimary() {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kPrimary) return InvalidArgumentError("this cluster is not a DR primary");
  TRESOR_RETURN_IF_ERROR(log_->ConfigureLog(0, {}));
  TRESOR_RETURN_IF_ERROR(WriteRecord(LocalRecord{}));
  spdlog::warn("dr: DR replication disabled on this primary");
  return Status::Ok();
}

std::optional<std::uint64_t> DrReplication::SynchronousMark() {
  // Every request asks: atomics only, no lock, unless synchronous.
  if (mode() != Mode::kPrimary || !synchronous_.load(std::memory_order_acquire) ||
      !has_secondaries_.load(std::memory_order_acquire) || log_ == nullptr || !server_) {
    return std::nullopt;
  }
  auto head = log_->Head();
  if (!head.ok() || !head->has_value()) return std::nullopt;
  return (*head)->last.index;
}

Status DrReplication::AwaitReplicated(std::uint64_t mark) {
  std::chrono::milliseconds timeout{0};
  {
    std::lock_guard lock(mutex_);
    timeout = std::chrono::milliseconds(record_.synchronous_timeout_ms);
  }
  // The request's writes were answered before their log entries were
  // necessarily stored: wait for those first.
  TRESOR_RETURN_IF_ERROR(log_->Settle());
  TRESOR_ASSIGN_OR_RETURN(auto head, log_->Head());
  if (!head.has_value() || head->last.index <= mark) return Status::Ok();
  if (server_->WaitForAck(head->last.index, timeout)) return Status::Ok();
  return UnavailableError(
      "the write is stored on the primary, but no DR secondary confirmed it within " +
      std::to_string(timeout.count()) +
      " ms (synchronous DR replication): it may be lost if this cluster is lost now. Check "
      "sys/replication/dr/status; to stop waiting for secondaries, disable the primary and "
      "enable it again without synchronous (docs/replication.md)");
}

// ---- secondary ----

StatusOr<Activation> DrReplication::ActivateWith(const ActivationToken& token) {
  if (UnixSeconds(clock_) >= token.expires) {
    return InvalidArgumentError(
        "the activation token expired: generate a new one on the primary "
        "(sys/replication/dr/primary/secondary-token)");
  }
  auto activation = Activate(token.addrs, token.ca_cert, token.id, token.secret);
  if (activation.status().code() == StatusCode::kPermissionDenied) {
    return InvalidArgumentError(std::string(activation.status().message()));
  }
  return activation;
}

StatusOr<std::vector<std::string>> DrReplication::EnableSecondary(
    const std::string& token_text, const std::string& primary_api_addr) {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireActive());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode == Mode::kPrimary) {
    return InvalidArgumentError(
        "this cluster is a DR primary: disable it (sys/replication/dr/primary/disable) or demote "
        "it (sys/replication/dr/primary/demote) before making it a secondary");
  }
  if (record.mode == Mode::kSecondary) {
    return InvalidArgumentError(
        "this cluster is already a DR secondary: use sys/replication/dr/secondary/update-primary");
  }
  TRESOR_ASSIGN_OR_RETURN(ActivationToken token, DecodeToken(token_text));
  if (token.cluster_id == ClusterId()) {
    return InvalidArgumentError("the token is this cluster's own: use it on another cluster");
  }
  TRESOR_ASSIGN_OR_RETURN(Activation activation, ActivateWith(token));
  // The log tracks where this cluster stands in the primary's history; it
  // starts unrelated to it, so the first pull resyncs.
  TRESOR_RETURN_IF_ERROR(log_->ConfigureLog(kDefaultRetainedEntries, ExcludedPrefixes()));
  LocalRecord secondary;
  secondary.mode = Mode::kSecondary;
  TRESOR_RETURN_IF_ERROR(Follow(secondary, token, std::move(activation), primary_api_addr));
  spdlog::warn("dr: this cluster is now DR secondary \"{}\"; its data is being replaced by the "
               "primary's",
               token.id);
  return std::vector<std::string>{
      "This cluster is now a DR secondary: all of its data is being replaced by the primary's. "
      "Once the primary's data has arrived its nodes seal themselves; unseal them with the "
      "primary's unseal keys (or let the primary's auto-unseal open them). Until it is promoted "
      "it serves only the replication, health and seal endpoints."};
}

Status DrReplication::Follow(LocalRecord record, const ActivationToken& token,
                             Activation activation, const std::string& primary_api_addr) {
  record.cluster_id = activation.cluster_id;
  record.secondary_id = token.id;
  record.primary_addrs = token.addrs;
  record.ca_cert = token.ca_cert;
  record.primary_api_addr = primary_api_addr;
  {
    std::lock_guard lock(mutex_);
    fresh_credentials_ = std::move(activation.credentials);
  }
  return WriteRecord(record);
}

Status DrReplication::CheckOperationToken(const std::string& token, const std::string& path) {
  if (token.empty()) {
    return InvalidArgumentError(
        "dr_operation_token is required: generate one with "
        "sys/replication/dr/secondary/generate-operation-token, or use a batch DR operation "
        "token created on the primary");
  }
  {
    std::lock_guard lock(mutex_);
    for (auto it = minted_tokens_.begin(); it != minted_tokens_.end(); ++it) {
      if (ConstantTimeEquals(*it, token)) {
        SecureWipe(*it);
        minted_tokens_.erase(it);  // one operation each
        return Status::Ok();
      }
    }
  }
  if (check_batch_token_ && !lifecycle_.Sealed() && check_batch_token_(token, path).ok()) {
    return Status::Ok();
  }
  return PermissionDeniedError("the DR operation token is not valid for " + path);
}

Status DrReplication::Promote(bool force, const std::string& primary_cluster_addr) {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireSupported());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  if (!force) {
    std::lock_guard lock(mutex_);
    if (client_ && client_->GetProgress().state == "resyncing") {
      return FailedPreconditionError(
          "this secondary is receiving a resync from the primary: its data is as old as the "
          "start of that resync. Wait for it to finish, or promote with force=true");
    }
  }
  StopClient();
  LocalRecord primary;
  primary.mode = Mode::kPrimary;
  primary.cluster_id = record.cluster_id;
  primary.primary_cluster_addr =
      primary_cluster_addr.empty() ? options_.cluster_addr : primary_cluster_addr;
  {
    std::lock_guard lock(mutex_);
    fresh_credentials_.reset();
  }
  TRESOR_RETURN_IF_ERROR(WriteRecord(primary));
  // The keyring and every cache follow what the stream wrote.
  lifecycle_.ReloadAfterStateReplaced();
  spdlog::warn("dr: this cluster was promoted to DR primary");
  return Status::Ok();
}

Status DrReplication::UpdatePrimary(const std::string& token_text,
                                    const std::string& primary_api_addr) {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireSupported());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  TRESOR_ASSIGN_OR_RETURN(ActivationToken token, DecodeToken(token_text));
  TRESOR_ASSIGN_OR_RETURN(Activation activation, ActivateWith(token));
  StopClient();
  TRESOR_RETURN_IF_ERROR(Follow(record, token, std::move(activation), primary_api_addr));
  spdlog::warn("dr: this secondary now follows the primary at {}", token.addrs.front());
  return Status::Ok();
}

Status DrReplication::DisableSecondary() {
  std::lock_guard transition(transition_mutex_);
  TRESOR_RETURN_IF_ERROR(RequireSupported());
  TRESOR_ASSIGN_OR_RETURN(LocalRecord record, Record());
  if (record.mode != Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  StopClient();
  TRESOR_RETURN_IF_ERROR(log_->ConfigureLog(0, {}));
  {
    std::lock_guard lock(mutex_);
    fresh_credentials_.reset();
  }
  TRESOR_RETURN_IF_ERROR(WriteRecord(LocalRecord{}));
  lifecycle_.ReloadAfterStateReplaced();
  spdlog::warn("dr: DR replication disabled on this secondary; it is a standalone cluster");
  return Status::Ok();
}

// ---- status ----

nlohmann::json DrReplication::StatusJson() const {
  LocalRecord record;
  DrClient::Progress progress;
  bool following = false;
  {
    std::lock_guard lock(mutex_);
    record = record_;
    if (client_) {
      progress = client_->GetProgress();
      following = true;
    }
  }
  nlohmann::json out = {{"mode", ModeName(record.mode)}};
  if (record.mode == Mode::kDisabled) return out;
  std::optional<storage::LogHead> head;
  if (log_ != nullptr) {
    auto read = log_->Head();
    if (read.ok()) head = *read;
  }
  const std::uint64_t last = head.has_value() ? head->last.index : 0;
  out["cluster_id"] = record.cluster_id;
  out["merkle_root"] = head.has_value() ? HexEncode(head->last.hash) : "";
  if (record.mode == Mode::kPrimary) {
    out["state"] = "running";
    out["last_wal"] = last;
    out["last_dr_wal"] = last;
    out["primary_cluster_addr"] = record.primary_cluster_addr;
    out["synchronous"] = record.synchronous;
    // Known: every activated secondary not revoked (replicated, so every
    // unsealed node knows them); connections: the active node's.
    nlohmann::json known = ActiveSecondaries(), secondaries = nlohmann::json::array();
    if (server_) {
      for (const DrServer::SecondaryState& s : server_->Secondaries()) {
        secondaries.push_back(
            {{"node_id", s.id},
             {"cluster_address", s.address},
             {"connection_status", s.connected ? "connected" : "disconnected"},
             {"last_heartbeat", FormatRfc3339(s.last_heartbeat)},
             {"acknowledged_wal", s.acked_index},
             {"lag_wal", last > s.acked_index ? last - s.acked_index : 0}});
      }
    }
    out["known_secondaries"] = known;
    out["secondaries"] = secondaries;
    return out;
  }
  // A secondary (or a demoted primary waiting for update-primary).
  out["last_remote_wal"] = last;
  out["known_primary_cluster_addrs"] = record.primary_addrs;
  out["primary_cluster_addr"] = record.primary_addrs.empty() ? "" : record.primary_addrs.front();
  out["secondary_id"] = record.secondary_id;
  if (record.primary_addrs.empty()) {
    out["state"] = "idle";
    return out;
  }
  if (!following) {
    // The DR client runs on the raft leader only.
    storage::ClusterMembership* raft = ha_.cluster();
    out["state"] = raft != nullptr && raft->Leads() ? "connecting" : "standby";
    return out;
  }
  out["state"] = progress.state;
  const std::uint64_t lag =
      progress.primary_last_wal > last ? progress.primary_last_wal - last : 0;
  // The recovery point: every write the primary acknowledged more than
  // lag_seconds ago is here (docs/replication.md, "Watch it"); null until
  // the first answer from the primary after a (re)start or a resync.
  nlohmann::json lag_seconds = nullptr;
  if (progress.caught_up_at != Clock::TimePoint{}) {
    lag_seconds = std::max(
        0.0, std::chrono::duration<double>(clock_.Now() - progress.caught_up_at).count());
  }
  out["primaries"] = nlohmann::json::array(
      {{{"cluster_address", progress.primary_addr},
        {"api_address", record.primary_api_addr},
        {"connection_status", progress.connected ? "connected" : "disconnected"},
        {"last_heartbeat", FormatRfc3339(progress.last_heartbeat)}}});
  out["primary_last_wal"] = progress.primary_last_wal;
  out["lag_wal"] = lag;
  out["lag_seconds"] = lag_seconds;
  out["resyncs"] = progress.resyncs;
  if (!progress.last_error.empty()) out["last_error"] = progress.last_error;
  return out;
}

}  // namespace tresor::core::replication

#include "raft/node.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "common/metrics.h"
#include "raft/command.h"
#include "raft/peers_file.h"
#include "raft/raft_status.h"
#include "raft/segment_space.h"

namespace tresor::raft {
namespace {

// Vault's raft metrics, obtained once; updated on the raft thread.
struct RaftNodeMetrics {
  metrics::Counter& apply = metrics::Default().GetCounter(
      "vault.raft.apply", "Raft transactions submitted by this node.");
  metrics::Summary& commit_time = metrics::Default().GetSummary(
      "vault.raft.commitTime", "Time to commit a new entry to the raft log on the leader (ms).");
  metrics::Summary& last_contact = metrics::Default().GetSummary(
      "vault.raft.leader.lastContact",
      "Time since this follower last heard from the leader, at each raft loop iteration (ms).");
  metrics::Counter& candidate = metrics::Default().GetCounter(
      "vault.raft.state.candidate", "Times this node became a candidate.");
  metrics::Counter& follower = metrics::Default().GetCounter(
      "vault.raft.state.follower", "Times this node became a follower.");
  metrics::Counter& leader = metrics::Default().GetCounter(
      "vault.raft.state.leader", "Times this node became the leader.");
};

RaftNodeMetrics& NodeMetrics() {
  static RaftNodeMetrics m;
  return m;
}


namespace fs = std::filesystem;

Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return IOError("cannot create " + path + ": " + ec.message());
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return IOError("cannot restrict " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Status FromRaft(int rv, std::string_view what, const char* detail) {
  std::string message = std::string(what) + ": " + raft_strerror(rv);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  switch (rv) {
    case RAFT_NOTLEADER:
      return FailedPreconditionError("not the raft leader");
    case RAFT_LEADERSHIPLOST:
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
      return UnavailableError(message + "; the write may or may not have been applied");
    case RAFT_TOOBIG:
      return TooLargeError(message);
    case RAFT_NOSPACE:
      return ResourceExhaustedError(message);
    case RAFT_CANTCHANGE:  // another change outlasted ChangeOnLoop's wait
      return UnavailableError(message + "; try again once it has finished");
    default:
      return IOError(message);
  }
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
    case Role::kUnavailable:
      break;
  }
  return "unavailable";
}

// One writer (or barrier) waiting for the raft thread. Created by the
// waiting thread, owned by the raft thread from Post until libraft calls
// back, then by the Applier until its answer.
struct Node::PendingWrite {
  Node* node = nullptr;
  struct raft_apply apply {};
  struct raft_barrier barrier {};
  std::promise<Status> done;
  // When handed to libraft (raft thread): the start of the read lease its
  // commit proves.
  std::chrono::steady_clock::time_point submitted;

  static void OnApplied(struct raft_apply* req, int status, void* result) {
    auto* self = static_cast<PendingWrite*>(req->data);
    if (self->Failed(status, "raft apply")) return;
    NodeMetrics().commit_time.Observe(std::chrono::steady_clock::now() - self->submitted);
    if (Fsm::AnsweredAtOnce(result)) {
      self->node->published_.push_back(self);
    } else {
      self->node->fsm_->applier().AnswerLast([self](Status result) { self->Answer(result); });
    }
  }
  static void OnBarrier(struct raft_barrier* req, int status) {
    auto* self = static_cast<PendingWrite*>(req->data);
    if (self->Failed(status, "raft barrier")) return;
    self->node->fsm_->applier().AnswerAfterAll([self](Status result) { self->Answer(result); });
  }
  // Entries libraft failed are answered now; applied ones at the end of
  // this loop iteration when published, otherwise by the Applier once
  // committed.
  bool Failed(int status, std::string_view what) {
    // libraft 0.15 keeps a leader whose own log write failed in office,
    // failing every write: the stuck-log watchdog must know.
    if (status == RAFT_IOERR) node->log_watch_.write_failed = true;
    if (status != 0) {
      Answer(FromRaft(status, what, nullptr));
      return true;
    }
    node->ExtendReadLease(submitted);
    return false;
  }
  void Answer(Status result) {
    done.set_value(std::move(result));
    delete this;
  }
};

Node::Node(NodeOptions options) : options_(std::move(options)) {}

StatusOr<std::unique_ptr<Node>> Node::Open(NodeOptions options) {
  if (options.dir.empty()) return InvalidArgumentError("raft: a data directory is required");
  if (options.id == 0) return InvalidArgumentError("raft: the node id must not be zero");
  if (options.cluster_address.empty()) {
    return InvalidArgumentError("raft: a cluster address (host:port) is required");
  }
  std::unique_ptr<Node> node(new Node(std::move(options)));
  TRESOR_RETURN_IF_ERROR(node->Init());
  return node;
}

Status Node::Init() {
  // libuv writes to peer sockets with write(2): a peer that went away must
  // be an error on that stream, not a SIGPIPE that kills the server.
  std::signal(SIGPIPE, SIG_IGN);
  raft_dir_ = options_.dir + "/raft";
  TRESOR_RETURN_IF_ERROR(MakePrivateDir(options_.dir));
  TRESOR_RETURN_IF_ERROR(MakePrivateDir(raft_dir_));
  TRESOR_ASSIGN_OR_RETURN(store_,
                          StateStore::Open(options_.dir + "/state", options_.state_map_size));
  fsm_ = std::make_unique<Fsm>(*store_);
  state_server_ = std::make_unique<StateServer>(*store_);

  if (int rv = uv_loop_init(&loop_); rv != 0) {
    return IOError(std::string("raft: event loop: ") + uv_strerror(rv));
  }
  // Listen now: a taken cluster port fails the server's start, naming the
  // port, rather than the bootstrap at init (which would leave raft state
  // behind) or the first election.
  transport_ = std::make_unique<KeyedTransport>(&loop_);
  // Half an election timeout: a follower whose answers to the leader go
  // unacknowledged that long stops listening to it (an asymmetric
  // partition) early enough for its own election timer to decide.
  transport_->SetPeerTimeout(std::chrono::milliseconds(options_.election_timeout_ms / 2));
  if (Status bound = transport_->Bind(options_.cluster_address); !bound.ok()) {
    uv_run(&loop_, UV_RUN_NOWAIT);  // runs the failed listener's close callback
    transport_.reset();
    uv_loop_close(&loop_);
    return bound;
  }
  transport_->SetStateServer(
      [this](int fd, std::string peer, std::uint64_t peer_id,
             std::shared_ptr<const ClusterTls> tls) {
        state_server_->Serve(fd, std::move(peer), peer_id, std::move(tls));
      });
  transport_->SetReplicationServer([this](int fd, std::string peer) {
    std::function<void(int, std::string)> serve;
    {
      std::lock_guard lock(replication_server_mutex_);
      serve = replication_server_;
    }
    if (serve) {
      serve(fd, std::move(peer));
    } else {
      ::close(fd);
    }
  });
  fsm_->SetStateFetcher(
      [this](std::uint64_t min_index) { return FetchStateFromMembers(min_index); });
  uv_async_init(&loop_, &wakeup_, &Node::OnAsync);
  wakeup_.data = this;
  uv_check_init(&loop_, &after_iteration_);
  after_iteration_.data = this;
  uv_check_start(&after_iteration_, &Node::OnCheck);

  uv_timer_init(&loop_, &promoter_);
  promoter_.data = this;
  uv_timer_start(
      &promoter_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Node*>(t->data);
        self->PromoteNonVoters();
        self->WatchLogProgress();
      },
      1000, 1000);

  if (int rv = raft_uv_init(&io_, &loop_, raft_dir_.c_str(), transport_->get()); rv != 0) {
    return FromRaft(rv, "raft: log in " + raft_dir_, io_.errmsg);
  }
  if (int rv = raft_init(&raft_, &io_, fsm_->get(), options_.id, options_.cluster_address.c_str());
      rv != 0) {
    return FromRaft(rv, "raft: init", raft_errmsg(&raft_));
  }
  // A log segment that fails its checksum must stop the node, not be moved
  // aside: auto-recovery would silently drop acknowledged entries.
  raft_uv_set_auto_recovery(&io_, false);
  // libraft waits 1 s before it dials a peer again; a heartbeat is enough,
  // since the transport gives up a connect within the peer timeout: a
  // healed partition or a restarted node is reached within a heartbeat.
  raft_uv_set_connect_retry_delay(&io_, options_.heartbeat_timeout_ms);
  raft_.data = this;
  fsm_->SetRaft(&raft_);
  raft_set_election_timeout(&raft_, options_.election_timeout_ms);
  raft_set_heartbeat_timeout(&raft_, options_.heartbeat_timeout_ms);
  fsm_->SetSnapshotLimits({options_.snapshot_threshold, options_.snapshot_threshold_bytes,
                           options_.trailing_logs, options_.trailing_logs_bytes});
  raft_set_pre_vote(&raft_, true);
  RefreshStatus();
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  return Status::Ok();
}

Node::~Node() { Close(); }

namespace {

// The index of the newest snapshot libraft has stored in `raft_dir`: its
// files are named snapshot-<term>-<index>-<timestamp>[.meta]. 0 if none.
std::uint64_t LatestSnapshotIndex(const std::string& raft_dir) {
  std::uint64_t latest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(raft_dir, ec)) {
    unsigned long long term = 0, index = 0, timestamp = 0;
    const std::string name = entry.path().filename().string();
    if (std::sscanf(name.c_str(), "snapshot-%llu-%llu-%llu", &term, &index, &timestamp) == 3) {
      latest = std::max<std::uint64_t>(latest, index);
    }
  }
  return latest;
}

}  // namespace

StatusOr<std::uint64_t> Node::FetchStateFromMembers(std::uint64_t min_index) {
  // Inside libraft's restore of a snapshot the leader sent, the leader this
  // follower knows has the state. At start-up, after an install was cut
  // short, no leader is known yet: any member the peers file names may have
  // it (one that is behind answers so, and the next is asked).
  std::vector<std::string> sources;
  raft_id leader_id = 0;
  const char* leader_address = nullptr;
  raft_leader(&raft_, &leader_id, &leader_address);
  if (leader_id != 0 && leader_id != options_.id && leader_address != nullptr) {
    sources.push_back(leader_address);
  }
  for (const std::string& peer : ReadPeersFile(PeersFilePath())) {
    if (peer != options_.cluster_address &&
        std::find(sources.begin(), sources.end(), peer) == sources.end()) {
      sources.push_back(peer);
    }
  }
  Status last = UnavailableError("raft: no member known to fetch the state from");
  for (const std::string& source : sources) {
    StateFetchOptions fetch;
    fetch.address = source;
    fetch.id = options_.id;
    fetch.own_address = options_.cluster_address;
    fetch.key = transport_->KeyCopy();
    fetch.tls = transport_->tls();
    fetch.min_index = min_index;
    auto installed = FetchState(fetch, *store_);
    if (installed.ok()) {
      state_installs_.fetch_add(1, std::memory_order_relaxed);
      return installed;
    }
    spdlog::warn("raft: fetching the state from {}: {}", source, installed.status().message());
    last = installed.status();
  }
  return last;
}

std::string Node::PeersFilePath() const { return options_.dir + "/peers"; }

void Node::RememberPeers() {
  std::vector<std::string> peers;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server& s = raft_.configuration.servers[i];
    if (s.id != options_.id) peers.push_back(s.address);
  }
  if (peers.empty() || peers == remembered_peers_) return;
  if (Status written = WritePeersFile(PeersFilePath(), peers); !written.ok()) {
    spdlog::warn("{}", written.message());
    return;
  }
  remembered_peers_ = std::move(peers);
}

bool Node::IsPristine() const {
  if (started_) return false;
  std::error_code ec;
  return !fs::exists(raft_dir_ + "/metadata1", ec) && !fs::exists(raft_dir_ + "/metadata2", ec);
}

bool Node::Post(std::function<void()> task) {
  {
    std::lock_guard lock(queue_mutex_);
    if (closing_) return false;
    queue_.push_back(std::move(task));
  }
  uv_async_send(&wakeup_);
  return true;
}

Status Node::RunOnLoop(std::function<Status()> task) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> answer = done->get_future();
  if (!Post([done, task = std::move(task)] { done->set_value(task()); })) {
    return UnavailableError("raft: the node is shutting down");
  }
  return answer.get();
}

Status Node::StartOnLoop() {
  if (started_) return FailedPreconditionError("raft: already started");
  if (int rv = raft_start(&raft_); rv != 0) return FromRaft(rv, "raft: start", raft_errmsg(&raft_));
  started_ = true;
  RefreshStatus();
  return Status::Ok();
}

Status Node::Bootstrap() {
  TRESOR_RETURN_IF_ERROR(RunOnLoop([this]() -> Status {
    if (!IsPristine()) return FailedPreconditionError("raft: this node already has raft state");
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    int rv =
        raft_configuration_add(&conf, options_.id, options_.cluster_address.c_str(), RAFT_VOTER);
    if (rv == 0) rv = raft_bootstrap(&raft_, &conf);
    raft_configuration_close(&conf);
    if (rv != 0) return FromRaft(rv, "raft: bootstrap", raft_errmsg(&raft_));
    return StartOnLoop();
  }));
  // A one-voter cluster elects itself within one election timeout.
  return WaitUntilLeader(std::chrono::seconds(30))
             ? Status::Ok()
             : UnavailableError("raft: bootstrapped, but no leader was elected");
}

bool Node::WaitUntilLeader(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(status_mutex_);
  return status_changed_.wait_for(lock, timeout, [this] { return status_.role == Role::kLeader; });
}

Status Node::Start() {
  return RunOnLoop([this]() -> Status {
    if (IsPristine())
      return FailedPreconditionError("raft: no raft state; bootstrap or join first");
    // An install of the leader's state cut short by a crash: libraft has
    // stored the snapshot's manifest, the store still holds the older
    // state, and libraft must not start on it (it would apply the entries
    // after the manifest to the wrong state). The state comes from another
    // member first, which takes the cluster key (known after unseal).
    const std::uint64_t snapshot_index = LatestSnapshotIndex(raft_dir_);
    if (snapshot_index > store_->AppliedIndex()) {
      if (ReadPeersFile(PeersFilePath()).empty()) {
        return FailedPreconditionError(
            "raft: the state store is at index " + std::to_string(store_->AppliedIndex()) +
            ", behind this node's last snapshot at " + std::to_string(snapshot_index) +
            ", and no other member is known to fetch the state from");
      }
      spdlog::warn(
          "raft: the state store is at index {}, behind this node's last snapshot at {} (an "
          "install of the leader's state was cut short): raft starts once the state is fetched "
          "from another member, which needs the cluster key (after unseal)",
          store_->AppliedIndex(), snapshot_index);
      deferred_start_index_ = snapshot_index;
      TryDeferredStart();
      return Status::Ok();
    }
    return StartOnLoop();
  });
}

void Node::TryDeferredStart() {
  if (deferred_start_index_ == 0 || !transport_->has_key() || !transport_->has_tls()) return;
  spdlog::info("raft: this node is behind the snapshot at index {}: fetching the state",
               deferred_start_index_);
  auto fetched = FetchStateFromMembers(deferred_start_index_);
  if (!fetched.ok()) return;  // the promoter's timer tries again every second
  spdlog::info("raft: state restored from a snapshot at index {} (streamed at index {})",
               deferred_start_index_, *fetched);
  deferred_start_index_ = 0;
  if (Status started = StartOnLoop(); !started.ok()) {
    spdlog::critical("raft: cannot start after fetching the state: {}", started.message());
  }
}

Status Node::StartJoining() {
  return RunOnLoop([this]() -> Status {
    if (!IsPristine()) return FailedPreconditionError("raft: this node already has raft state");
    return StartOnLoop();
  });
}

Status Node::Recover(const std::vector<ServerInfo>& servers) {
  if (servers.empty()) return InvalidArgumentError("raft recover: the new configuration is empty");
  return RunOnLoop([this, &servers]() -> Status {
    if (started_) return FailedPreconditionError("raft recover: the node is running");
    if (IsPristine()) return FailedPreconditionError("raft recover: this node has no raft state");
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    int rv = 0;
    for (const ServerInfo& server : servers) {
      rv = raft_configuration_add(&conf, server.id, server.address.c_str(), RAFT_VOTER);
      if (rv != 0) break;
    }
    if (rv == 0) rv = raft_recover(&raft_, &conf);
    raft_configuration_close(&conf);
    if (rv == RAFT_DUPLICATEID || rv == RAFT_DUPLICATEADDRESS) {
      return InvalidArgumentError("raft recover: the new configuration names a server twice");
    }
    if (rv != 0) return FromRaft(rv, "raft recover", raft_errmsg(&raft_));
    return Status::Ok();
  });
}

Status Node::Apply(const std::vector<StateOp>& ops) { return ApplyAsync(ops).get(); }

std::future<Status> Node::ApplyAsync(const std::vector<StateOp>& ops) {
  const auto settled = [](Status status) {
    std::promise<Status> promise;
    promise.set_value(std::move(status));
    return promise.get_future();
  };
  // A stalled store refuses at once, even while the raft thread waits for
  // it (a snapshot draining the applier).
  if (Status broken = fsm_->applier().Broken(); !broken.ok()) return settled(std::move(broken));
  // While the replication log is on, a write of the state carries when it
  // was proposed: the stamp of its log entry (raft/replication_log.h), not
  // counted against max_entry_size. With the log off, writes pay nothing.
  const bool writes_state =
      state().WalOn() && std::any_of(ops.begin(), ops.end(), [](const StateOp& op) {
        return (op.type == StateOp::Type::kPut || op.type == StateOp::Type::kDelete) &&
               !IsWalControlOp(op);
      });
  std::vector<StateOp> stamp;
  if (writes_state) {
    stamp.push_back(WalTimeOp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count()));
  }
  std::string payload = EncodeCommand(ops, stamp);
  if (payload.size() > options_.max_entry_size + (writes_state ? kWalTimeOpBytes + 8 : 0)) {
    return settled(TooLargeError("the write is " + std::to_string(payload.size()) +
                                 " bytes, over the raft max_entry_size of " +
                                 std::to_string(options_.max_entry_size)));
  }
  auto* pending = new PendingWrite;
  pending->node = this;
  std::future<Status> answer = pending->done.get_future();
  bool posted = Post([this, pending, payload = std::move(payload)] {
    if (Status broken = fsm_->applier().Broken(); !broken.ok()) {
      pending->Answer(std::move(broken));
      return;
    }
    struct raft_buffer buf;
    buf.len = payload.size();
    buf.base = raft_malloc(buf.len);
    std::memcpy(buf.base, payload.data(), payload.size());
    pending->apply.data = pending;
    pending->submitted = std::chrono::steady_clock::now();
    int rv = raft_apply(&raft_, &pending->apply, &buf, 1, &PendingWrite::OnApplied);
    if (rv == 0) NodeMetrics().apply.Add();
    if (rv != 0) {
      raft_free(buf.base);  // not handed over on failure
      pending->done.set_value(FromRaft(rv, "raft apply", raft_errmsg(&raft_)));
      delete pending;
    }
  });
  if (!posted) {
    delete pending;
    return settled(UnavailableError("raft: the node is shutting down"));
  }
  return answer;
}

Status Node::Barrier() {
  auto* pending = new PendingWrite;
  pending->node = this;
  std::future<Status> answer = pending->done.get_future();
  Status posted = RunOnLoop([this, pending]() -> Status {
    pending->barrier.data = pending;
    pending->submitted = std::chrono::steady_clock::now();
    int rv = raft_barrier(&raft_, &pending->barrier, &PendingWrite::OnBarrier);
    if (rv != 0) {
      pending->done.set_value(FromRaft(rv, "raft barrier", raft_errmsg(&raft_)));
      delete pending;
    }
    return Status::Ok();
  });
  if (!posted.ok()) {
    delete pending;
    return posted;
  }
  return answer.get();
}

StatusOr<std::unique_ptr<StateStore::StagingWriter>> Node::BeginDirectStaging(
    std::uint64_t restore_id) {
  TRESOR_RETURN_IF_ERROR(RunOnLoop([this]() -> Status {
    const bool alone = raft_.configuration.n == 1 && raft_.configuration.servers[0].id == options_.id;
    if (raft_state(&raft_) != RAFT_LEADER || !alone || direct_staging_) {
      return FailedPreconditionError("raft: the cluster has other members");
    }
    direct_staging_ = true;
    return Status::Ok();
  }));
  return store_->BeginStaging(restore_id);
}

void Node::EndDirectStaging() {
  RunOnLoop([this] {
    direct_staging_ = false;
    return Status::Ok();
  }).IgnoreError();  // a closed node stages nothing any more
}

Status Node::SetClusterTls(std::string_view record) {
  std::shared_ptr<const ClusterTls> tls;
  if (!record.empty()) {
    const SystemTime now = std::chrono::system_clock::now();
    {
      std::lock_guard lock(tls_mutex_);
      if (tls_ != nullptr && !tls_->Stale(record, now)) return Status::Ok();
    }
    TRESOR_ASSIGN_OR_RETURN(tls, ClusterTls::Create(record, options_.id, now));
  }
  {
    std::lock_guard lock(tls_mutex_);
    tls_ = tls;
  }
  Post([this, tls] {
    transport_->SetTls(tls);
    TryDeferredStart();
  });
  return Status::Ok();
}

void Node::SetClusterKey(std::string key) {
  auto shared = std::make_shared<std::string>(std::move(key));
  Post([this, shared] {
    transport_->SetKey(std::move(*shared));
    TryDeferredStart();
  });
}

NodeStatus Node::GetStatus() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::pair<std::uint64_t, std::uint64_t> Node::LeaderAndTerm() const {
  std::lock_guard lock(status_mutex_);
  return {status_.leader_id, status_.term};
}

void Node::OnAsync(uv_async_t* handle) { static_cast<Node*>(handle->data)->DrainQueue(); }

void Node::OnCheck(uv_check_t* handle) { static_cast<Node*>(handle->data)->AfterIteration(); }

void Node::DrainQueue() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(queue_mutex_);
    tasks.swap(queue_);
  }
  for (auto& task : tasks) task();
}

void Node::AfterIteration() {
  RefreshStatus();  // before the answers, so a writer sees its own entry applied
  for (PendingWrite* pending : published_) pending->Answer(Status::Ok());
  published_.clear();
  fsm_->applier().HandOff();
}

void Node::ExtendReadLease(std::chrono::steady_clock::time_point submitted) {
  if (raft_state(&raft_) != RAFT_LEADER || raft_.transfer != nullptr) return;
  auto until = submitted + std::chrono::milliseconds(options_.election_timeout_ms * 9 / 10);
  std::int64_t ns = until.time_since_epoch().count();
  if (ns > lease_until_ns_) lease_until_ns_ = ns;  // the raft thread is the only writer
}

Status Node::ConfirmLeadershipForRead() {
  auto lease_holds = [this] {
    return std::chrono::steady_clock::now().time_since_epoch().count() < lease_until_ns_;
  };
  if (!leader_) return FailedPreconditionError("not the raft leader");
  if (lease_holds()) return Status::Ok();
  std::lock_guard lock(lease_renewal_);
  if (lease_holds()) return Status::Ok();  // renewed while we waited
  Status confirmed = Barrier();
  // A barrier the log committed proves the leadership even when the store
  // cannot apply it yet (a stalled applier answers with its refusal): its
  // commit extended the lease. Reads then see the last commit plus the
  // published writes, which holds every write answered Ok.
  if (!confirmed.ok() && lease_holds()) return Status::Ok();
  return confirmed;
}

void Node::RefreshStatus() {
  NodeStatus next;
  next.started = started_;
  switch (raft_state(&raft_)) {
    case RAFT_FOLLOWER:
      next.role = Role::kFollower;
      break;
    case RAFT_CANDIDATE:
      next.role = Role::kCandidate;
      break;
    case RAFT_LEADER:
      next.role = Role::kLeader;
      break;
    default:
      next.role = Role::kUnavailable;
  }
  const char* leader_address = nullptr;
  raft_id leader_id = 0;
  raft_leader(&raft_, &leader_id, &leader_address);
  next.leader_id = leader_id;
  if (leader_address != nullptr) next.leader_address = leader_address;
  next.term = raft_.current_term;
  next.commit_index = raft_.commit_index;
  next.applied_index = raft_last_applied(&raft_);
  next.last_index = raft_last_index(&raft_);
  next.log_entries = next.last_index - raft_.log.offset;
  next.promoting = promoting_;
  const bool leading = next.role == Role::kLeader;
  if (!leading) {
    last_heard_.clear();
    lease_until_ns_ = 0;
  }
  const auto now = std::chrono::steady_clock::now();
  if (leader_id != 0) leader_seen_at_ = now;
  next.leader_seen_at = leader_seen_at_;
  RememberPeers();
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server& s = raft_.configuration.servers[i];
    ServerInfo info{s.id, s.address, s.role == RAFT_VOTER};
    if (leading && s.id == options_.id) {
      info.match_index = next.last_index;
      info.last_contact_ms = 0;
    } else if (leading && raft_.leader_state.progress != nullptr) {
      // libraft keeps progress[] in the order of configuration.servers.
      const struct raft_progress& progress = raft_.leader_state.progress[i];
      info.match_index = progress.match_index;
      if (progress.recent_recv) last_heard_[s.id] = now;
      auto heard = last_heard_.find(s.id);
      if (heard != last_heard_.end()) {
        info.last_contact_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(now - heard->second).count();
      }
    }
    next.configuration.push_back(std::move(info));
  }
  leader_ = next.role == Role::kLeader;
  const Role role = next.role;
  if (role == Role::kFollower && leader_seen_at_ != std::chrono::steady_clock::time_point{}) {
    NodeMetrics().last_contact.Observe(now - leader_seen_at_);
  }
  bool changed;
  bool role_changed;
  {
    std::lock_guard lock(status_mutex_);
    role_changed = next.role != status_.role;
    changed = next.role != status_.role || next.leader_id != status_.leader_id ||
              next.applied_index != status_.applied_index || next.started != status_.started ||
              next.configuration.size() != status_.configuration.size();
    status_ = std::move(next);
  }
  if (role_changed) {
    if (role == Role::kCandidate) NodeMetrics().candidate.Add();
    if (role == Role::kFollower) NodeMetrics().follower.Add();
    if (role == Role::kLeader) NodeMetrics().leader.Add();
  }
  if (changed) status_changed_.notify_all();
  const std::pair<bool, std::uint64_t> leadership{role == Role::kLeader, raft_.current_term};
  if (leadership != told_leadership_) {
    told_leadership_ = leadership;
    std::lock_guard lock(listener_mutex_);
    if (leadership_listener_) leadership_listener_(leadership.first, leadership.second);
  }
}

void Node::SetLeadershipListener(LeadershipListener listener) {
  std::lock_guard lock(listener_mutex_);
  leadership_listener_ = std::move(listener);
  if (leadership_listener_) leadership_listener_(leader_, LeaderAndTerm().second);
}

void Node::Close() {
  if (closed_.exchange(true)) return;
  if (!thread_.joinable()) return;  // Init failed before the loop ran
  // A segment waiting for space (segment_space.h) would hold the close.
  BeginClosingSegmentWaits();
  {
    std::lock_guard lock(queue_mutex_);
    closing_ = true;
    // Runs after every task posted before it; libraft fails what is still
    // in flight with RAFT_SHUTDOWN.
    queue_.push_back([this] {
      raft_close(&raft_, [](struct raft* r) {
        Node* self = static_cast<Node*>(r->data);
        raft_uv_close(&self->io_);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->wakeup_), nullptr);
        uv_check_stop(&self->after_iteration_);
        uv_timer_stop(&self->promoter_);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->promoter_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->after_iteration_), nullptr);
      });
    });
  }
  uv_async_send(&wakeup_);
  thread_.join();
  EndClosingSegmentWaits();
  state_server_->Stop();  // before the store it reads from goes
  // Entries applied in the loop's last iteration, and their writers.
  for (PendingWrite* pending : published_) pending->Answer(Status::Ok());
  published_.clear();
  fsm_->applier().Drain().IgnoreError();
  transport_.reset();  // its handles closed with the loop
  uv_loop_close(&loop_);
}

void Node::SetReplicationServer(std::function<void(int fd, std::string peer)> serve) {
  std::lock_guard lock(replication_server_mutex_);
  replication_server_ = std::move(serve);
}

}  // namespace tresor::raft

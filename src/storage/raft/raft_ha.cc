#include "storage/raft/raft_ha.h"

#include <atomic>

namespace tresor::storage {

struct RaftHA::Tenure {
  Tenure(std::uint64_t t, std::function<void()> lost) : term(t), on_lost(std::move(lost)) {}
  const std::uint64_t term;
  std::atomic<bool> held{true};
  // Set while a Release hands leadership over, so that its end is not a loss.
  std::atomic<bool> releasing{false};
  const std::function<void()> on_lost;
};

namespace {

constexpr char kOnlyVoter[] =
    "this node is the cluster's only voter: there is no other node to take over (join more "
    "nodes first)";

class RaftLock : public HALock {
 public:
  RaftLock(raft::Node& node, std::string holder_id, std::shared_ptr<RaftHA::Tenure> tenure,
           std::function<void(const RaftHA::Tenure*)> forget)
      : node_(node),
        holder_id_(std::move(holder_id)),
        tenure_(std::move(tenure)),
        forget_(std::move(forget)) {}
  ~RaftLock() override { forget_(tenure_.get()); }

  const std::string& holder_id() const override { return holder_id_; }
  std::uint64_t epoch() const override { return tenure_->term; }
  bool Held() const override { return tenure_->held.load(std::memory_order_acquire); }
  bool fences_writes() const override { return true; }

  Status ConfirmHeld() override {
    if (!Held()) return UnavailableError("this node no longer leads the raft cluster");
    Status leading = node_.ConfirmLeadershipForRead();
    if (!leading.ok()) return UnavailableError(std::string(leading.message()));
    // A leadership lost and won again between two looks is another tenure.
    if (node_.LeaderAndTerm().second != tenure_->term || !Held()) {
      return UnavailableError("this node's raft term ended");
    }
    return Status::Ok();
  }

  Status Release() override {
    int voters = 0;
    for (const raft::ServerInfo& server : node_.GetStatus().configuration) {
      voters += server.voter ? 1 : 0;
    }
    if (voters < 2) return InvalidArgumentError(kOnlyVoter);
    tenure_->releasing = true;
    Status moved = node_.TransferLeadership(0);
    if (moved.ok()) {
      tenure_->held = false;
    } else {
      tenure_->releasing = false;
    }
    return moved;
  }

 private:
  raft::Node& node_;
  const std::string holder_id_;
  const std::shared_ptr<RaftHA::Tenure> tenure_;
  const std::function<void(const RaftHA::Tenure*)> forget_;
};

}  // namespace

RaftHA::RaftHA(raft::Node& node, std::uint64_t raft_id,
               std::chrono::milliseconds election_timeout)
    : node_(node), holder_id_(std::to_string(raft_id)), election_timeout_(election_timeout) {
  node_.SetLeadershipListener(
      [this](bool leads, std::uint64_t term) { OnLeadership(leads, term); });
}

RaftHA::~RaftHA() { node_.SetLeadershipListener({}); }

void RaftHA::OnLeadership(bool leads, std::uint64_t term) {
  std::shared_ptr<Tenure> ended;
  {
    std::lock_guard lock(mu_);
    leads_ = leads;
    term_ = term;
    if (tenure_ && (!leads || term != tenure_->term)) ended = std::move(tenure_);
  }
  changed_.notify_all();
  if (ended) {
    ended->held.store(false, std::memory_order_release);
    if (!ended->releasing && ended->on_lost) ended->on_lost();
  }
}

StatusOr<std::unique_ptr<HALock>> RaftHA::Acquire(std::string_view /*name*/,
                                                  std::string_view /*node_id*/,
                                                  std::function<void()> on_lost,
                                                  std::stop_token stop) {
  while (true) {
    std::uint64_t term = 0;
    {
      std::unique_lock lock(mu_);
      if (!changed_.wait(lock, stop, [this] { return leads_; })) {
        return UnavailableError("stopped waiting for raft leadership");
      }
      term = term_;
    }
    // Every entry of earlier terms applied here before this node serves.
    Status barrier = node_.Barrier();
    std::unique_lock lock(mu_);
    if (!barrier.ok() || !leads_ || term_ != term) {
      // Lost the leadership meanwhile (the wait above blocks until the
      // next), or the log is stalled (a full disk): look again shortly.
      changed_.wait_for(lock, stop, std::chrono::milliseconds(25), [] { return false; });
      if (stop.stop_requested()) return UnavailableError("stopped waiting for raft leadership");
      continue;
    }
    if (tenure_) return FailedPreconditionError("this node already holds the raft leadership");
    tenure_ = std::make_shared<Tenure>(term, std::move(on_lost));
    return std::unique_ptr<HALock>(std::make_unique<RaftLock>(
        node_, holder_id_, tenure_, [this](const Tenure* gone) {
          std::lock_guard forget_lock(mu_);
          if (tenure_.get() == gone) tenure_.reset();
        }));
  }
}

StatusOr<std::optional<HAHolder>> RaftHA::Holder(std::string_view /*name*/) {
  auto [leader, term] = node_.LeaderAndTerm();
  if (leader == 0) return std::optional<HAHolder>();
  return std::optional<HAHolder>(HAHolder{std::to_string(leader), term});
}

}  // namespace tresor::storage

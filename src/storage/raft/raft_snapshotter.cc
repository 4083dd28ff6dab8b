// RaftBackend as a storage::Snapshotter (contracts in raft_backend.h and
// storage/snapshotter.h).
#include <deque>
#include <future>

#include "common/random.h"
#include "storage/raft/raft_backend.h"

namespace tresor::storage {
namespace {

class RaftView final : public Snapshotter::View {
 public:
  RaftView(std::unique_ptr<raft::StateStore::View> view, std::uint64_t term)
      : view_(std::move(view)), term_(term) {}
  std::uint64_t index() const override { return view_->applied_index(); }
  std::uint64_t term() const override { return term_; }
  Status ForEach(const RecordVisitor& visit) const override { return view_->ForEach(visit); }
  const std::optional<raft::WalHead>& wal_head() const { return view_->wal_head(); }

 private:
  std::unique_ptr<raft::StateStore::View> view_;
  std::uint64_t term_;
};

// What one op adds to an encoded command beyond its key and value.
constexpr std::size_t kOpOverhead = 9;
// The command header and padding.
constexpr std::size_t kCommandOverhead = 5 + 7;

}  // namespace

// A restore's records go through the log as kRestorePut entries, so that
// every node stages them; or, on a node that is its cluster's only member,
// straight into its state store (`direct_`, raft::Node::BeginDirectStaging),
// which skips writing them to the log first. Either way one commit entry
// makes them the state.
class RaftBackend::RaftRestore final : public Snapshotter::Restore {
 public:
  RaftRestore(RaftBackend& backend, std::uint64_t id,
              std::unique_ptr<raft::StateStore::StagingWriter> direct)
      : backend_(backend), id_(id), direct_(std::move(direct)) {}
  ~RaftRestore() override {
    if (!finished_) Abort().IgnoreError();
    EndDirect();
  }

  Status Add(std::string_view key, std::string_view value) override {
    TRESOR_RETURN_IF_ERROR(ValidateKey(key));
    if (key.size() > raft::kMaxRestoredKeyBytes) {
      return InvalidArgumentError("a key of " + std::to_string(key.size()) +
                                  " bytes is longer than integrated storage holds (" +
                                  std::to_string(raft::kMaxRestoredKeyBytes) + ")");
    }
    std::size_t size = kOpOverhead + raft::kRestoreIdBytes + key.size() + value.size();
    if (kCommandOverhead + size > backend_.max_entry_size_) {
      return TooLargeError("a record of " + std::to_string(value.size()) +
                           " bytes does not fit the raft max_entry_size of " +
                           std::to_string(backend_.max_entry_size_));
    }
    if (direct_ != nullptr) return direct_->Add(key, value);
    return Stage(raft::RestorePutOp(id_, key, value), size);
  }

  Status Replay(std::string_view entry) override {
    TRESOR_ASSIGN_OR_RETURN(std::vector<raft::StateOp> ops, DecodeLoggedEntry(entry));
    for (const raft::StateOp& op : ops) {
      if (op.type == raft::StateOp::Type::kPut) {
        TRESOR_RETURN_IF_ERROR(Add(op.key, op.value));
      } else if (direct_ != nullptr) {
        TRESOR_RETURN_IF_ERROR(direct_->Remove(op.key));
      } else {
        TRESOR_RETURN_IF_ERROR(Stage(raft::RestoreDeleteOp(id_, op.key),
                                     kOpOverhead + raft::kRestoreIdBytes + op.key.size()));
      }
    }
    return Status::Ok();
  }

  Status Commit(const std::vector<std::string>& kept_prefixes) override {
    Status flushed = direct_ != nullptr ? direct_->Finish() : Flush();
    Status staged = WaitForAll();
    TRESOR_RETURN_IF_ERROR(flushed);
    TRESOR_RETURN_IF_ERROR(staged);
    finished_ = true;
    Status committed = backend_.Write({raft::RestoreCommitOp(id_, kept_prefixes)});
    EndDirect();
    return committed;
  }

  Status Abort() override {
    finished_ = true;
    pending_.clear();
    WaitForAll().IgnoreError();  // the abort must follow every staged entry
    Status aborted = backend_.Write({raft::RestoreAbortOp(id_)});
    EndDirect();
    return aborted;
  }

 private:
  // Lets servers join again.
  void EndDirect() {
    if (direct_ == nullptr) return;
    direct_.reset();
    backend_.node_->EndDirectStaging();
  }

  // Entries of staged records in flight at once. One at a time, each write
  // waited for its log fsync and then its store commit, in series; with a
  // few in flight the log appends the next while the store commits the
  // last. Memory: at most this many max_entry_size entries.
  static constexpr std::size_t kMaxInFlight = 8;

  // Adds a restore step of `size` encoded bytes to the next entry.
  Status Stage(raft::StateOp op, std::size_t size) {
    if (kCommandOverhead + pending_bytes_ + size > backend_.max_entry_size_) {
      TRESOR_RETURN_IF_ERROR(Flush());
    }
    pending_.push_back(std::move(op));
    pending_bytes_ += size;
    return Status::Ok();
  }

  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    in_flight_.push_back(backend_.node_->ApplyAsync(pending_));
    pending_.clear();
    pending_bytes_ = 0;
    return in_flight_.size() > kMaxInFlight ? WaitForOldest() : Status::Ok();
  }

  Status WaitForOldest() {
    Status written = in_flight_.front().get();
    in_flight_.pop_front();
    return written;
  }

  // The first error of the entries in flight, once all have settled.
  Status WaitForAll() {
    Status first = Status::Ok();
    while (!in_flight_.empty()) {
      Status written = WaitForOldest();
      if (first.ok()) first = written;
    }
    return first;
  }

  RaftBackend& backend_;
  const std::uint64_t id_;
  std::unique_ptr<raft::StateStore::StagingWriter> direct_;
  std::vector<raft::StateOp> pending_;
  std::size_t pending_bytes_ = 0;
  std::deque<std::future<Status>> in_flight_;
  bool finished_ = false;
};

StatusOr<std::unique_ptr<Snapshotter::View>> RaftBackend::OpenView() {
  // The term first: the view cannot be older than the term read before it.
  std::uint64_t term = node_->LeaderAndTerm().second;
  TRESOR_ASSIGN_OR_RETURN(auto view, node_->state().OpenView());
  return std::unique_ptr<View>(new RaftView(std::move(view), term));
}

StatusOr<std::unique_ptr<Snapshotter::View>> RaftBackend::OpenPositionedView(
    std::optional<LogPosition>* position) {
  std::uint64_t term = node_->LeaderAndTerm().second;
  TRESOR_ASSIGN_OR_RETURN(auto view, node_->state().OpenView());
  auto raft_view = std::make_unique<RaftView>(std::move(view), term);
  position->reset();
  if (const auto& head = raft_view->wal_head()) {
    *position = LogPosition{head->last.index, head->last.hash};
  }
  return std::unique_ptr<View>(std::move(raft_view));
}

StatusOr<std::unique_ptr<Snapshotter::Restore>> RaftBackend::BeginRestore() {
  std::uint64_t id = 0;
  std::string random = RandomBytes(sizeof(id));
  for (char c : random) id = (id << 8) | static_cast<unsigned char>(c);
  TRESOR_RETURN_IF_ERROR(Write({raft::RestoreBeginOp(id)}));
  // Alone in its cluster, the node stages without the log; otherwise the
  // records travel as entries (FailedPrecondition says why not: no error).
  auto direct = node_->BeginDirectStaging(id);
  return std::unique_ptr<Restore>(
      new RaftRestore(*this, id, direct.ok() ? std::move(*direct) : nullptr));
}

}  // namespace tresor::storage

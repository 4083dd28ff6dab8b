#include "raft/applier.h"

#include <cerrno>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include <utility>

namespace tresor::raft {

Applier::Applier(StateStore& store) : store_(store), thread_([this] { Run(); }) {}

Applier::~Applier() {
  Drain().IgnoreError();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_one();
  thread_.join();
}

void Applier::Add(std::uint64_t index, StatusOr<std::vector<StateOp>> ops, std::size_t bytes,
                  bool published) {
  adding_.push_back(Entry{index, std::move(ops), bytes, published, nullptr});
  adding_bytes_ += bytes;
}

void Applier::AnswerLast(Answer answer) {
  if (adding_.empty() || adding_.back().answer) {
    // No entry of its own in this batch (the caller's contract says there
    // is one): answer after everything rather than take another's result.
    AnswerAfterAll(std::move(answer));
    return;
  }
  adding_.back().answer = std::move(answer);
}

void Applier::AnswerAfterAll(Answer answer) {
  adding_.push_back(Entry{0, std::vector<StateOp>{}, 0, false, std::move(answer)});
}

void Applier::HandOff() {
  if (adding_.empty()) return;
  Status stalled;
  {
    std::unique_lock lock(mutex_);
    if (adding_.size() <= kInlineEntries && queue_.empty() && !applying_) {
      // A lone writer: one thread hop less for it, and nothing else for
      // this thread to do meanwhile. The applier's thread stays idle: only
      // this thread fills its queue.
      lock.unlock();
      ApplyGroup(adding_, /*on_applier_thread=*/false);
      adding_.clear();
      adding_bytes_ = 0;
      return;
    }
    // Bounded queue: wait for the store to catch up. A broken applier
    // empties its queue at once, so this never waits for it for long.
    progressed_.wait(lock, [this] { return queued_bytes_ < kMaxQueuedBytes; });
    if (queue_.empty()) {
      queue_.swap(adding_);
    } else {
      for (Entry& entry : adding_) queue_.push_back(std::move(entry));
      adding_.clear();
    }
    queued_bytes_ += adding_bytes_;
    stalled = stalled_;
  }
  adding_bytes_ = 0;
  work_ready_.notify_one();
  // A stalled applier answers at once rather than at its next retry (a
  // barrier confirming the leadership for a read must not outwait its
  // lease).
  if (!stalled.ok()) AnswerQueued(PendingAnswer(stalled));
}

Status Applier::Drain() {
  HandOff();
  std::unique_lock lock(mutex_);
  progressed_.wait(lock,
                   [this] { return (queue_.empty() && !applying_) || !stalled_.ok(); });
  return broken_.ok() ? stalled_ : broken_;
}

Status Applier::Broken() const {
  std::lock_guard lock(mutex_);
  return broken_.ok() ? stalled_ : broken_;
}

Status Applier::BrokenForGood() const {
  std::lock_guard lock(mutex_);
  return broken_;
}

std::uint64_t Applier::group_commits() const {
  std::lock_guard lock(mutex_);
  return group_commits_;
}

void Applier::Run() {
  std::vector<Entry> group;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    group.swap(queue_);
    applying_ = true;
    lock.unlock();

    std::size_t bytes = 0;
    for (const Entry& entry : group) bytes += entry.bytes;
    ApplyGroup(group, /*on_applier_thread=*/true);
    group.clear();

    lock.lock();
    queued_bytes_ -= bytes;
    applying_ = false;
    progressed_.notify_all();
  }
}

Status Applier::StageAndCommit(std::vector<Entry>& group, std::vector<Status>& results,
                               bool* commit_failed) {
  *commit_failed = false;
  Status broken = BrokenForGood();
  for (std::size_t i = 0; i < group.size() && broken.ok(); ++i) {
    Entry& entry = group[i];
    if (entry.index == 0) continue;
    Status staged = entry.ops.ok() ? store_.Stage(entry.index, *entry.ops)
                                   : store_.MarkApplied(entry.index);
    if (!staged.ok() && (!store_.HasStaged() || entry.published)) {
      // Not even the index could be recorded (the store dropped the whole
      // group, entries before this one included), or readers have seen and
      // the writer was told of what the store now refuses: nothing of the
      // group may be committed (the entry would count as applied).
      store_.DiscardStaged();
      Break(staged);
      return BrokenForGood();
    }
    results[i] = entry.ops.ok() ? staged : entry.ops.status();
    if (!results[i].ok()) {
      spdlog::warn("raft: entry {} not applied: {}", entry.index, results[i].message());
    }
  }
  if (!broken.ok() || !store_.HasStaged()) return broken;
  Status committed = store_.Commit();
  if (!committed.ok()) {
    *commit_failed = true;
    return committed;
  }
  std::lock_guard lock(mutex_);
  ++group_commits_;
  return Status::Ok();
}

void Applier::ApplyGroup(std::vector<Entry>& group, bool on_applier_thread) {
  std::vector<Status> results(group.size());
  bool commit_failed = false;
  Status outcome = StageAndCommit(group, results, &commit_failed);
  if (commit_failed) {
    StopIfTheDiskFailed(outcome);
    Stall(outcome, group);
    if (!on_applier_thread) {
      // Never retry on the raft thread: the applier's thread takes the
      // group over (the queue is empty: only the raft thread fills it).
      std::lock_guard lock(mutex_);
      for (Entry& entry : group) {
        queued_bytes_ += entry.bytes;
        queue_.push_back(std::move(entry));
      }
      work_ready_.notify_one();
      return;
    }
    outcome = RetryCommit(group, results);
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].answer) group[i].answer(outcome.ok() ? std::move(results[i]) : outcome);
  }
}

void Applier::Stall(const Status& cause, std::vector<Entry>& group) {
  const Status refused = UnavailableError(
      "raft: the local state store cannot commit (" + cause.message() +
      "); writes are refused until it can, retried every " +
      std::to_string(kCommitRetryPause.count()) + " ms");
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = stalled_.ok();
    stalled_ = refused;
  }
  progressed_.notify_all();  // Drain returns the refusal rather than wait
  if (first) {
    spdlog::error("raft: the state store failed to commit ({}); refusing writes and retrying "
                  "until it can (free disk space if it is full)",
                  cause.message());
  }
  store_.SetCommitStalled(refused);
  // The writers of the entries taken already are answered now rather than
  // kept waiting: their entries are in the raft log and will be applied
  // when a commit succeeds, so the answer says the write may land.
  const Status pending = PendingAnswer(refused);
  for (Entry& entry : group) {
    if (entry.answer) std::exchange(entry.answer, nullptr)(pending);
  }
  AnswerQueued(pending);
}

Status Applier::PendingAnswer(const Status& stalled) {
  return UnavailableError(stalled.message() +
                          "; this write is in the raft log and will be applied then");
}

void Applier::AnswerQueued(const Status& answer) {
  std::vector<Answer> answers;
  {
    std::lock_guard lock(mutex_);
    for (Entry& entry : queue_) {
      if (entry.answer) answers.push_back(std::exchange(entry.answer, nullptr));
    }
  }
  for (Answer& a : answers) a(answer);
}

Status Applier::RetryCommit(std::vector<Entry>& group, std::vector<Status>& results) {
  for (;;) {
    Status stalled;
    {
      std::unique_lock lock(mutex_);
      if (work_ready_.wait_for(lock, kCommitRetryPause, [this] { return stopping_; })) {
        // Stopping: the entries stay in the raft log, which a restart
        // applies again.
        if (broken_.ok()) broken_ = stalled_;
        return broken_;
      }
      stalled = stalled_;
    }
    bool commit_failed = false;
    Status outcome = StageAndCommit(group, results, &commit_failed);
    if (!commit_failed) {
      {
        std::lock_guard lock(mutex_);
        stalled_ = Status::Ok();
      }
      store_.SetCommitStalled(Status::Ok());
      if (outcome.ok()) spdlog::warn("raft: the state store commits again; writes resume");
      return outcome;
    }
    StopIfTheDiskFailed(outcome);
    // Writers that came meanwhile get the same answer.
    AnswerQueued(PendingAnswer(stalled));
  }
}

void Applier::StopIfTheDiskFailed(const Status& cause) {
  if (store_.last_commit_error() != EIO) return;  // a full disk stalls and resumes
  // LMDB reports a short write as EIO, and a full disk makes them: as long
  // as it only aborted the transaction, that is a full disk too.
  if (store_.OnFullDisk() && !store_.Unusable()) return;
  // A failed write or sync: LMDB marks its environment unusable, and what
  // the page cache holds can no longer be trusted. Retrying would keep the
  // node wedged; stop (fail-stop, as PostgreSQL does after a failed fsync)
  // and let a restart replay the raft log onto what is durable.
  spdlog::critical("raft: the disk failed a state store commit ({}); stopping the process. Check "
                   "the disk, then restart it",
                   cause.message());
  spdlog::default_logger()->flush();
  std::_Exit(kDiskFailedExitCode);
}

void Applier::Break(const Status& cause) {
  // The log holds entries the store could not keep: serving on would answer
  // reads from a state that misses acknowledged writes. Refuse writes until
  // a restart replays the log.
  spdlog::critical("raft: the state store failed to commit ({}); restart this node",
                   cause.message());
  Status broken = UnavailableError("raft: the local state store failed; the node must be restarted");
  store_.PublishedLost(broken);
  std::lock_guard lock(mutex_);
  if (broken_.ok()) broken_ = std::move(broken);
}

}  // namespace tresor::raft

#include "raft/applier.h"

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
  {
    std::unique_lock lock(mutex_);
    if (adding_.size() <= kInlineEntries && queue_.empty() && !applying_) {
      // A lone writer: one thread hop less for it, and nothing else for
      // this thread to do meanwhile. The applier's thread stays idle: only
      // this thread fills its queue.
      lock.unlock();
      ApplyGroup(adding_);
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
  }
  adding_bytes_ = 0;
  work_ready_.notify_one();
}

Status Applier::Drain() {
  HandOff();
  std::unique_lock lock(mutex_);
  progressed_.wait(lock, [this] { return queue_.empty() && !applying_; });
  return broken_;
}

Status Applier::Broken() const {
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
    ApplyGroup(group);
    group.clear();

    lock.lock();
    queued_bytes_ -= bytes;
    applying_ = false;
    progressed_.notify_all();
  }
}

void Applier::ApplyGroup(std::vector<Entry>& group) {
  Status broken = Broken();
  std::vector<Status> results(group.size());
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
      broken = Broken();
      break;
    }
    results[i] = entry.ops.ok() ? staged : entry.ops.status();
    if (!results[i].ok()) {
      spdlog::warn("raft: entry {} not applied: {}", entry.index, results[i].message());
    }
  }
  if (broken.ok() && store_.HasStaged()) {
    Status committed = store_.Commit();
    if (committed.ok()) {
      std::lock_guard lock(mutex_);
      ++group_commits_;
    } else {
      Break(committed);
      broken = Broken();
    }
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].answer) group[i].answer(broken.ok() ? std::move(results[i]) : broken);
  }
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

// raft/applier: writes the entries libraft applies into the StateStore on a
// thread of its own, so that the raft thread never waits for LMDB.
//
// Why: the raft thread used to stage each group of entries and commit it
// (an LMDB fsync, about 1 ms for a group of 1 KiB writes) before it could
// take the next proposals or complete the next log append; every group paid
// the log's fsync and then the store's, in series. Now the raft thread only
// decodes entries and hands them over once per event-loop iteration; this
// thread stages everything handed over since its last commit, commits it
// with one fsync and then answers the writers. The log append of the next
// group runs while the store syncs this one, and under load the groups
// grow.
//
// Nothing else changes: entries are staged in log order, a writer is
// answered only once its entry is committed (durable in the log and in the
// store), and a barrier's answer comes after every entry before it.
//
// Failure: a commit that fails (a full disk, an I/O error) stalls the
// applier: the store stays at its last commit, Broken() refuses new writes
// with Unavailable, the writers already waiting are answered at once that
// their entry is in the raft log and will be applied later, and the
// applier's thread stages and commits the same group again every
// kCommitRetryPause until it succeeds (space returned), then carries on
// with what queued meanwhile: no restart needed. Readers keep reading the
// last commit plus the published entries (which the log holds), and
// waiting for published entries to be committed fails at once meanwhile.
// A published entry the store cannot stage breaks the applier for good:
// the writers of that group and of every later entry get Broken(), and a
// restart applies the log again (StateStore::Stage skips what it holds).
//
// A hand-off of at most kInlineEntries entries while the applier is idle
// (one writer at a time) is committed by the calling thread itself: a
// thread hop costs a lone writer more than the overlap gains it.
//
// Memory: HandOff waits while more than kMaxQueuedBytes of entries are
// queued, so a store slower than the log slows the raft thread down instead
// of growing the queue.
//
// Threads: Add, AnswerLast, AnswerAfterAll, HandOff and Drain are called by
// one thread (the raft thread). Between Drain's (or an inline HandOff's)
// return and the next HandOff the applier holds no write transaction, so
// that thread may use the store's writer methods itself (snapshot, state
// install). Broken and group_commits from any thread. Answers run on the
// applier's thread, or on the caller's for an inline hand-off.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "raft/state_store.h"

namespace tresor::raft {

class Applier {
 public:
  // The exit code of a node whose disk failed a commit (EX_IOERR, as the
  // stuck-log watchdog's).
  static constexpr int kDiskFailedExitCode = 74;
  static constexpr std::size_t kMaxQueuedBytes = std::size_t{32} << 20;
  static constexpr std::size_t kInlineEntries = 2;
  static constexpr std::chrono::milliseconds kCommitRetryPause{1000};

  using Answer = std::function<void(Status)>;

  // `store` must outlive the Applier. Starts its thread.
  explicit Applier(StateStore& store);
  // Drains (every entry handed over is committed and answered) and joins.
  ~Applier();

  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // The entry at `index`: its ops, or why they could not be decoded (the
  // index is then recorded as applied with no ops, and the error is the
  // entry's answer). `bytes` is its size in the log, for the queue bound.
  // `published`: the store published the ops (StateStore::Publish) and the
  // writer was answered already, so failing to stage them is fatal.
  void Add(std::uint64_t index, StatusOr<std::vector<StateOp>> ops, std::size_t bytes,
           bool published);

  // Calls `answer` with the result of the entry added last (Ok, the entry's
  // own error, or Broken()) once it is committed.
  void AnswerLast(Answer answer);

  // Calls `answer` with Ok (or Broken()) once every entry added so far is
  // committed.
  void AnswerAfterAll(Answer answer);

  // Hands what was added since the last call to the applier's thread.
  void HandOff();

  // Hands off and waits until everything handed over is committed and
  // answered, or the applier stalls. Returns Broken().
  Status Drain();

  // Ok unless the applier is broken for good or stalled on a commit that
  // fails; then the error every new writer gets.
  Status Broken() const;

  // Commits made so far (each one fsync of the store).
  std::uint64_t group_commits() const;

 private:
  struct Entry {
    std::uint64_t index = 0;  // 0: no entry, only an answer after the ones before
    StatusOr<std::vector<StateOp>> ops{std::vector<StateOp>{}};
    std::size_t bytes = 0;
    bool published = false;
    Answer answer;
  };

  void Run();
  // Stages and commits `group`, then answers it. A failed commit stalls
  // the applier (see the header comment); off the applier's thread the
  // group then moves to the queue for that thread to retry.
  void ApplyGroup(std::vector<Entry>& group, bool on_applier_thread);
  // Stages and commits: Ok, the error that broke the applier for good, or
  // (*commit_failed) the commit's error, the store back at its last commit.
  Status StageAndCommit(std::vector<Entry>& group, std::vector<Status>& results,
                        bool* commit_failed);
  // Enters the stall: refuses new writes and answers the waiting ones.
  void Stall(const Status& cause, std::vector<Entry>& group);
  // Stages and commits `group` every kCommitRetryPause until a commit
  // succeeds (the outcome) or the applier stops (its error).
  Status RetryCommit(std::vector<Entry>& group, std::vector<Status>& results);
  // Answers now, with `answer`, every queued entry's writer.
  void AnswerQueued(const Status& answer);
  // The answer of a writer whose entry waits in a stalled applier.
  static Status PendingAnswer(const Status& stalled);
  Status BrokenForGood() const;
  // Exits the process (kDiskFailedExitCode) when the last commit failed
  // with EIO; returns otherwise. docs/raft.md, "A failing disk".
  void StopIfTheDiskFailed(const Status& cause);
  void Break(const Status& cause);

  StateStore& store_;
  std::vector<Entry> adding_;  // the caller's thread only
  std::size_t adding_bytes_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;  // queue_ filled, or stopping_
  std::condition_variable progressed_;  // a group committed, or the thread idle
  std::vector<Entry> queue_;
  std::size_t queued_bytes_ = 0;
  bool applying_ = false;
  bool stopping_ = false;
  Status broken_;
  Status stalled_;  // not Ok while a failed commit is retried
  std::uint64_t group_commits_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tresor::raft

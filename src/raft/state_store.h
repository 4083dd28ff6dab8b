// StateStore: the replicated key/value state of one raft node, kept in an
// LMDB environment. The raft FSM (raft/fsm.*) is its only writer: it stages
// the operations of applied log entries and commits them in groups, so that
// many entries share one fsync. The storage layer's raft backend reads it
// from the HTTP threads.
//
// On disk: directory `dir` (0700) holds LMDB's data.mdb and lock.mdb (0600).
// Four named databases: "data", "data.1" and "data.2" hold keys, one of
// them active (the state readers see) at a time; "meta" holds the applied
// index under the key "applied_index" (u64 big endian), which data
// database is active under "active_data" (one byte, 0..2; absent means 0)
// and, while a restore is being staged, the database staging it under
// "restore_data" and that restore's id under "restore_id". The applied
// index is written in the same transaction as the entries it covers, so
// after any crash the data and the index agree. The other data databases
// are where a whole new state is built while the active one serves: a
// restore staged entry by entry (StateOp), or a state received from the
// leader (Installer); either is made active by rewriting one meta key, and
// the old state's pages are freed in the same small transaction.
//
// Durability: Commit returns once LMDB has fsynced the data pages; the meta
// page is written after them without its own fsync (MDB_NOMETASYNC). A
// machine crash can therefore lose at most the last commit, which raft
// replays from its log (Stage skips what the store already holds), and never
// corrupts the store.
//
// Keys: 1..kMaxStateKeyBytes (511, LMDB's limit) bytes; Stage refuses a
// longer key with InvalidArgument rather than store it in some other way.
// The storage layer's key rules (no NUL, no dot segments) are checked by the
// storage backend above, not here. Values may have any size up to the map.
//
// Published writes: the raft thread may publish an entry's puts and deletes
// (Publish) before the writer stages and commits them; Get sees them at once,
// ListPage and OpenView wait for their commit (raft/state_overlay.h).
//
// Threads: one writer thread calls Stage, MarkApplied, HasStaged, Commit,
// Sync, BeginInstall (and the Installer), SaveImage and LoadImage. Get, ListPage and AppliedIndex
// may be called from any number of threads at once, concurrently with the writer; each call uses
// its own MVCC read transaction, sees exactly one committed state and never blocks or is blocked by
// the writer (ListPage and OpenView wait for published writes to be committed, never on the raft
// thread).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "raft/replication_log.h"
#include "raft/state_overlay.h"

namespace tresor::raft {

// One change carried by a raft log entry.
//
// Besides puts and deletes, an entry can carry one step of a whole-state
// restore (a snapshot restore, docs/snapshot-format.md). A restore is too
// large for one entry, so its records are staged entry by entry in a data
// database no reader sees, and a final commit step makes that database the
// active one: every node applies the same steps, and a crash at any point
// leaves either the old state or the new one, never a mix. The commit costs
// the same whatever the size of the state (no record is copied).
//   kRestoreBegin   key = restore id: drops anything staged, starts staging.
//   kRestorePut     key = restore id + storage key, value: stages a record.
//   kRestoreCommit  key = restore id, value = kept prefixes, NUL-separated:
//                   the staged records become the state, except under the
//                   kept prefixes, which keep the current state's records.
//   kRestoreAbort   key = restore id: drops what that restore staged.
//   kRestoreDelete  key = restore id + storage key: unstages a record (a
//                   point-in-time restore replaying a delete after the
//                   snapshot it starts from).
// A step whose id is not the restore being staged fails (the restore was
// superseded by a newer one) and changes nothing.
struct StateOp {
  // Appended only: the order is the type byte on disk (raft/command.h).
  enum class Type {
    kPut,
    kDelete,
    kRestoreBegin,
    kRestorePut,
    kRestoreCommit,
    kRestoreAbort,
    kRestoreDelete
  };
  Type type;
  std::string key;
  std::string value;  // kPut, kRestorePut and kRestoreCommit only.

  static StateOp Put(std::string key, std::string value) {
    return {Type::kPut, std::move(key), std::move(value)};
  }
  static StateOp Delete(std::string key) { return {Type::kDelete, std::move(key), {}}; }
  bool HasValue() const {
    return type == Type::kPut || type == Type::kRestorePut || type == Type::kRestoreCommit;
  }
};

// The meta keys naming the active data database and a staged restore's
// database and id (see the header comment).
inline constexpr std::string_view kActiveDataMetaKey = "active_data";
inline constexpr std::string_view kRestoreDataMetaKey = "restore_data";
inline constexpr std::string_view kRestoreIdMetaKey = "restore_id";

// Restore ids are 8 bytes (big endian) at the front of a restore step's key.
inline constexpr std::size_t kRestoreIdBytes = 8;
std::string EncodeRestoreId(std::uint64_t id);
// The step ops of restore `id`.
StateOp RestoreBeginOp(std::uint64_t id);
StateOp RestorePutOp(std::uint64_t id, std::string_view key, std::string_view value);
StateOp RestoreCommitOp(std::uint64_t id, const std::vector<std::string>& kept_prefixes);
StateOp RestoreAbortOp(std::uint64_t id);
StateOp RestoreDeleteOp(std::uint64_t id, std::string_view key);

// How a staged restore travels in a state stream or image (View's
// ForEachStored, Installer): its records under "/r/" + key, its id under
// "/restore-id". No storage key starts with '/', so these never collide
// with the state's own keys; the receiving store puts them back into a
// staging database, so that a node that catches up in the middle of a
// restore can still commit it.
inline constexpr std::string_view kRestoreStagingPrefix = "/r/";
inline constexpr std::string_view kRestoreIdKey = "/restore-id";
// The longest storage key a restore can stage.
inline constexpr std::size_t kMaxRestoredKeyBytes = 511 - kRestoreStagingPrefix.size();

class StateStore {
 public:
  // Opens the environment in `dir`, creating the directory (0700, its parent
  // must exist) and the store when missing. map_size_bytes is LMDB's map size:
  // the upper bound of the store (the file is sparse, so a large bound costs
  // nothing until used); an existing larger store keeps its own size.
  // Another process may open the same directory (LMDB allows it; raft's own
  // data directory lock is what keeps two servers apart).
  // Errors: IOError with LMDB's message.
  static StatusOr<std::unique_ptr<StateStore>> Open(const std::string& dir,
                                                    std::size_t map_size_bytes);
  // Aborts anything staged and closes the environment.
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // ---- readers: any thread, concurrently with the writer ----

  // The value at key, committed or published (Publish); nullopt when
  // absent. Errors: Unavailable when all LMDB reader slots are taken,
  // IOError otherwise.
  StatusOr<std::optional<std::string>> Get(std::string_view key) const;

  // storage::Backend::ListPage's semantics over the committed keys: the
  // immediate children of prefix in byte order ("a" for key prefix+"a", "b/"
  // once for any key prefix+"b/..."), only names strictly greater than
  // `after`, at most `limit` of them when limit > 0. Skips a whole sub-tree
  // with one seek, so listing a folder costs its children, not its keys.
  // Waits until what was published before the call is committed (see
  // Publish). Errors: InvalidArgument when prefix is neither "" nor ends in
  // '/'; Unavailable when the store can no longer commit; otherwise as Get.
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) const;

  // The index of the last log entry whose ops are committed (0 for a new
  // store). It may trail the data a reader sees by one commit for an instant.
  std::uint64_t AppliedIndex() const;

  // One point in time of the committed state, held open (an LMDB read
  // transaction) so that it can be walked more than once, for a snapshot
  // archive that must size its state before writing it. While a View is
  // open the pages it sees are not reused, so the file may grow: close it
  // when done. A staged restore is not part of the state (ForEach), only of
  // what the node stores (ForEachStored).
  class View {
   public:
    ~View();
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    // The applied index of the state this view shows.
    std::uint64_t applied_index() const { return applied_index_; }
    // Where the replication log stood at this state; nullopt when it is off.
    const std::optional<WalHead>& wal_head() const { return wal_head_; }
    // Calls visit for every key, in increasing byte order; a visitor error
    // stops the walk and is returned. Thread-compatible (one walk at a time).
    Status ForEach(
        const std::function<Status(std::string_view key, std::string_view value)>& visit) const;
    // The same with a staged restore, if any, as kRestoreStagingPrefix and
    // kRestoreIdKey records, all in increasing byte order: everything a
    // node holds, for another node to install (raft/state_transfer.h).
    Status ForEachStored(
        const std::function<Status(std::string_view key, std::string_view value)>& visit) const;

   private:
    friend class StateStore;
    using Visitor = std::function<Status(std::string_view, std::string_view)>;
    View(const StateStore& store, MDB_txn* txn, MDB_dbi data, std::uint64_t applied_index,
         std::optional<WalHead> wal_head);
    // Visits every record of `dbi` (keys starting with '/' only if
    // `with_slash`), each key after `prefix`; from `from` (empty: the first)
    // up to, not including, the first key >= `to` (empty: to the end).
    Status WalkDbi(MDB_dbi dbi, std::string_view prefix, std::string_view from,
                   std::string_view to, const Visitor& visit) const;
    const StateStore& store_;
    MDB_txn* txn_;
    MDB_dbi data_dbi_;
    std::uint64_t applied_index_;
    std::optional<WalHead> wal_head_;
  };
  // Waits, as ListPage does, for what was published before the call.
  // Errors: as ListPage.
  StatusOr<std::unique_ptr<View>> OpenView() const;

  // Counts whole-state replacements (a restore committed, an image loaded)
  // since Open, published with their commit: a reader that saw it change
  // knows every cache of the old state is stale.
  std::uint64_t ReplacedCount() const { return replaced_count_.load(std::memory_order_acquire); }

  // ---- the replication log (raft/replication_log.h; any thread) ----

  // The log's head; nullopt when the log is off. Errors: as Get.
  StatusOr<std::optional<WalHead>> ReadWalHead() const;
  // Whether the log was on when last looked at (lock-free; for proposers
  // deciding whether a write needs a time stamp).
  bool WalOn() const { return wal_on_.load(std::memory_order_relaxed); }
  // Calls visit for the entries after `after`, in order, until one would
  // take the bytes visited past max_bytes (the first always goes) or the
  // log ends. FailedPrecondition when the log is off; NotFound when
  // `after` is below the floor (those entries are gone).
  Status ReadWal(std::uint64_t after, std::size_t max_bytes,
                 const std::function<Status(const WalPosition& position, const WalStamp& stamp,
                                            std::string_view encoded_ops)>& visit) const;
  // Whether the log holds `position` (an entry with that index and hash,
  // the floor, or the head): a node standing there can follow the log.
  StatusOr<bool> WalHolds(const WalPosition& position) const;
  // Waits until a commit takes the applied index past `index`, or the
  // timeout; returns whether it did.
  bool WaitForCommitPast(std::uint64_t index, std::chrono::milliseconds timeout) const;
  // Waits until every write published before the call (answered to its
  // writer, maybe not yet committed here: see Publish) is committed, and
  // with it its log entry. Not on the raft thread. Errors: as ListPage.
  Status WaitUntilPublishedCommitted() const { return overlay_.WaitUntilRetired(); }

  // ---- publishing: the raft thread ----

  // Whether entry ops may be published before they are committed: puts and
  // deletes only, with keys Stage will accept.
  static bool Publishable(const std::vector<StateOp>& ops);

  // Makes the ops of entry `index` visible to Get at once, before the writer
  // stages and commits them (raft/state_overlay.h says why this is safe).
  // REQUIRES: Publishable(ops); index > AppliedIndex(). The writer must then
  // stage the same entry, and its failure to is fatal (PublishedLost).
  void Publish(std::uint64_t index, const std::vector<StateOp>& ops);

  // The writer cannot commit what was published: readers waiting for it
  // stop waiting, with `cause`.
  void PublishedLost(const Status& cause);

  // ---- writer: one thread only ----

  // Stages the ops (restore steps included) of log entry `index` in the open write transaction
  // (beginning one when none is open), inside a nested transaction: a failing
  // entry leaves the entries staged before it intact and stages nothing of
  // its own, but its index is recorded as applied all the same (raft has
  // applied it; its error goes back to the client that proposed it).
  // Entries with index <= the applied index (committed or staged) are skipped
  // and return Ok: after a restart raft replays entries the store holds.
  // Staged changes are invisible to readers until Commit.
  // Errors (for this entry only): InvalidArgument for an empty key or one
  // longer than kMaxStateKeyBytes, ResourceExhausted when the map is full.
  // If even the index cannot be recorded, the whole open group is discarded
  // and the error returned; the caller treats that as fatal, as for Commit.
  Status Stage(std::uint64_t index, const std::vector<StateOp>& ops);

  // Records index as applied with no ops (raft entries that carry no data,
  // e.g. barriers); same skipping rule and group-discard rule as Stage.
  Status MarkApplied(std::uint64_t index);

  // True while a write transaction is open (something staged or marked).
  bool HasStaged() const;

  // Commits the open write transaction durably (see the header comment) and
  // publishes it to readers; Ok and a no-op when nothing is staged.
  // Errors: ResourceExhausted when the map is full, IOError otherwise; the
  // staged entries are then lost and the store is back at its last commit
  // (the applier stages the same entries again and retries: raft/applier.h).
  Status Commit();
  // LMDB's code for the last Commit (0: it succeeded). EIO means the disk
  // failed a write or a sync: LMDB then marks the environment unusable.
  int last_commit_error() const { return last_commit_error_.load(std::memory_order_relaxed); }
  // Whether LMDB refuses every transaction from now on (MDB_PANIC): after a
  // failed write of its meta page. Short writes of data pages (EIO on a
  // full disk) only abort their transaction. Any thread.
  bool Unusable() const;
  // Whether the filesystem of the store is full (common/free_space.h).
  bool OnFullDisk() const;

  // Drops everything staged since the last commit (the store is back at
  // its last commit), e.g. a group holding an entry that must not be
  // recorded as applied without its ops.
  void DiscardStaged() { AbortWriteTxn(); }
  // The writer's commits fail for now (`cause`), or succeed again (Ok):
  // readers waiting for published writes get `cause` meanwhile.
  void SetCommitStalled(const Status& cause) { overlay_.SetStalled(cause); }

  // Makes every commit so far durable, the last one's meta page included
  // (which Commit leaves to the next commit's sync, see the header
  // comment): before raft forgets log entries it must know the store can
  // never lose them. Errors: IOError.
  Status Sync();

  // ---- whole-state install (writer thread; nothing may be staged) ----

  // Receives a whole state, record by record (as View::ForEachStored gives
  // it, a staged restore included), into data databases other than the
  // active one, committing every kInstallBatchBytes so that memory stays
  // bounded whatever the size of the state; readers and the writer keep
  // seeing the old state throughout. BeginInstall drops any restore staged
  // here (the state received replaces it). Finish makes the new state
  // active, with its applied index, in one transaction, and empties the old
  // one: after a crash at any point the store holds either the old state or
  // the new one. An Installer dropped without Finish leaves the old state
  // (its partial records are emptied by the next BeginInstall). At most one
  // at a time; the store's writer methods must not be called while it lives.
  class Installer {
   public:
    ~Installer();
    Installer(const Installer&) = delete;
    Installer& operator=(const Installer&) = delete;
    // Adds one record. REQUIRES: keys in strictly increasing byte order.
    // Errors: InvalidArgument for a key out of order or out of range, or a
    // '/' key that is not a staged restore's; ResourceExhausted when the map
    // is full, IOError.
    Status Add(std::string_view key, std::string_view value);
    // Makes the records the state at `applied_index`, durably.
    Status Finish(std::uint64_t applied_index);

   private:
    friend class StateStore;
    Installer(StateStore& store, MDB_dbi target, MDB_dbi staging);
    Status BeginBatch();
    Status Put(MDB_dbi dbi, std::string_view key, std::string_view value);
    StateStore& store_;
    const MDB_dbi target_;   // the state received
    const MDB_dbi staging_;  // the restore staged in it, if any
    MDB_txn* txn_ = nullptr;
    std::size_t batch_bytes_ = 0;
    std::string last_key_;
    std::optional<std::string> restore_id_;  // received under kRestoreIdKey
    std::optional<std::string> wal_head_;    // received under kWalHeadRecord
    bool staged_records_ = false;
  };
  static constexpr std::size_t kInstallBatchBytes = 16 << 20;
  // Errors: FailedPrecondition when something is staged; IOError.
  StatusOr<std::unique_ptr<Installer>> BeginInstall();

  // ---- a restore's records without the log (any one thread) ----

  // Stages the records of restore `id`, begun by its kRestoreBegin entry,
  // straight into its staging database, in batches of kInstallBatchBytes,
  // instead of as kRestorePut entries: for a node that is its cluster's
  // only member, where no other node needs them (raft::Node guards that).
  // Its kRestoreCommit entry then makes them the state as usual. Runs
  // beside the writer thread: LMDB takes the two writers' transactions in
  // turn. Each batch checks that the restore is still the one staged.
  class StagingWriter {
   public:
    ~StagingWriter();
    StagingWriter(const StagingWriter&) = delete;
    StagingWriter& operator=(const StagingWriter&) = delete;
    // Adds one record; a key added again replaces the value. Keys in
    // increasing byte order (a snapshot's) are the fastest.
    // Errors: InvalidArgument for a key out of range, FailedPrecondition
    // when the restore is no longer the one staged, ResourceExhausted when
    // the map is full, IOError.
    Status Add(std::string_view key, std::string_view value);
    // Unstages one record, if staged (same errors).
    Status Remove(std::string_view key);
    // Commits the last batch and syncs: the records are durable before the
    // commit entry is proposed.
    Status Finish();

   private:
    friend class StateStore;
    StagingWriter(const StateStore& store, std::string id) : store_(store), id_(std::move(id)) {}
    Status Flush();
    struct Record {
      std::size_t offset;  // of the key in arena_, the value right after it
      std::size_t key_size;
      std::size_t value_size;
      bool append;  // greater than every key staged before it
      bool remove;  // unstage the key (no value)
    };
    const StateStore& store_;
    const std::string id_;
    // The batch's keys and values back to back; cleared, not freed, after
    // each batch, so that staging a large snapshot does not allocate and
    // fault in fresh memory for every record.
    std::string arena_;
    std::vector<Record> batch_;
    std::string greatest_key_;
  };
  static constexpr std::size_t kStagingBatchBytes = 4 << 20;
  std::unique_ptr<StagingWriter> BeginStaging(std::uint64_t restore_id) const;

  // ---- snapshot images (writer thread; nothing may be staged) ----
  // The format of raft snapshots before they became manifests; LoadImage
  // still reads the images such snapshots left behind.

  // A state image (format in raft/state_image.h) of everything the store
  // holds (View::ForEachStored) and its applied index: one point in time.
  // Errors: FailedPrecondition when something is staged; as Get otherwise.
  StatusOr<std::string> SaveImage() const;

  // Replaces the whole state (data, staged restore and applied index) with
  // image's, through an Installer, durably. The image is verified completely
  // before anything changes; on any error the state is exactly as before.
  // Errors: InvalidArgument (not an image) or Corruption (checksum or
  // records bad) from verification; FailedPrecondition when something is
  // staged; ResourceExhausted when it does not fit the map; IOError.
  Status LoadImage(std::string_view image);

  // The applied index recorded in image, after verifying all of it.
  // Errors: as LoadImage's verification.
  static StatusOr<std::uint64_t> ImageIndex(std::string_view image);

 private:
  static constexpr int kDataDbCount = 3;
  StateStore(MDB_env* env, const MDB_dbi (&data)[kDataDbCount], MDB_dbi meta, MDB_dbi wal,
             std::uint64_t applied_index);

  // The data database active in txn (meta's "active_data").
  StatusOr<MDB_dbi> ActiveDataDbi(MDB_txn* txn) const;
  // The data database a meta key names; nullopt when the key is absent
  // (ActiveDataDbi takes that as the first database).
  StatusOr<std::optional<MDB_dbi>> DataDbiNamedBy(MDB_txn* txn, std::string_view meta_key) const;
  // Writes `dbi`'s number under meta_key.
  Status NameDataDbi(MDB_txn* txn, std::string_view meta_key, MDB_dbi dbi) const;
  // A restore being staged in txn: its database and id. nullopt when none.
  struct StagedRestore {
    MDB_dbi dbi;
    std::string id;
  };
  StatusOr<std::optional<StagedRestore>> StagedRestoreIn(MDB_txn* txn) const;
  // Forgets the staged restore (meta keys) and empties `dbi`.
  Status DropStaging(MDB_txn* txn, MDB_dbi dbi) const;
  // The index recorded in txn's meta database (0 when none is).
  StatusOr<std::uint64_t> ReadAppliedIndex(MDB_txn* txn) const;

  // Begins the write transaction when none is open.
  Status EnsureWriteTxn();
  // Writes staged_applied_index_ into the open write transaction's meta.
  Status WriteAppliedIndex(MDB_txn* txn, std::uint64_t index);
  // Aborts the open write transaction, if any; staged work is dropped.
  void AbortWriteTxn();
  // Turns an LMDB error code into a Status; `what` names the operation.
  Status LmdbError(int rc, std::string_view what) const;
  // Applies one op in txn (state_store_restore.cc for the restore steps).
  Status ApplyOp(MDB_txn* txn, const StateOp& op);
  Status ApplyRestoreStep(MDB_txn* txn, const StateOp& op);
  // Gives `into` the records `from` holds under `prefix`, and only those.
  Status ReplacePrefix(MDB_txn* txn, MDB_dbi from, MDB_dbi into, std::string_view prefix);
  // The replication log's part of an entry, in the entry's transaction
  // (state_store_wal.cc): consumes its control ops, logs its ops.
  Status StageWal(MDB_txn* txn, std::uint64_t raft_index, const std::vector<StateOp>& ops,
                  bool replaced);
  StatusOr<std::optional<WalHead>> ReadWalHeadIn(MDB_txn* txn) const;
  Status WriteWalHead(MDB_txn* txn, const std::optional<WalHead>& head) const;

  MDB_env* const env_;
  const MDB_dbi data_dbis_[kDataDbCount];
  const MDB_dbi meta_dbi_;
  const MDB_dbi wal_dbi_;  // log entries: u64 index -> hash, encoded ops

  // Writer thread only.
  MDB_txn* write_txn_ = nullptr;
  MDB_dbi write_dbi_ = 0;  // the active data database of write_txn_
  bool installing_ = false;
  std::uint64_t staged_applied_index_;

  // Written by the writer after each commit, read by any thread.
  std::atomic<std::uint64_t> committed_applied_index_;
  std::atomic<int> last_commit_error_{0};
  // Published entries, until a commit covers them.
  StateOverlay overlay_;
  // A restore commit staged in the open write transaction.
  bool staged_replacement_ = false;
  std::atomic<std::uint64_t> replaced_count_{0};
  mutable std::atomic<bool> wal_on_{false};  // WalOn's hint, set by WriteWalHead
  // Signalled at every commit (WaitForCommitPast).
  mutable std::mutex commit_mutex_;
  mutable std::condition_variable committed_;
};

}  // namespace tresor::raft

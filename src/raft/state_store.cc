#include "raft/state_store.h"

#include <errno.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

#include "common/free_space.h"
#include "raft/lmdb_util.h"
#include "raft/state_image.h"  // kMaxStateKeyBytes

namespace tresor::raft {
namespace {

constexpr std::string_view kDataDbs[] = {"data", "data.1", "data.2"};
constexpr std::string_view kMetaDb = "meta";
constexpr std::string_view kWalDb = "wal";
constexpr std::string_view kAppliedIndexKey = "applied_index";

std::string EncodeIndex(std::uint64_t index) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, index >>= 8) out[i] = static_cast<char>(index & 0xff);
  return out;
}

std::uint64_t DecodeIndex(std::string_view bytes) {
  std::uint64_t index = 0;
  for (char c : bytes) index = (index << 8) | static_cast<unsigned char>(c);
  return index;
}

struct EnvCloser {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};
using EnvPtr = std::unique_ptr<MDB_env, EnvCloser>;

Status OpenError(int rc, std::string_view what) {
  return IOError("state store: " + std::string(what) + ": " + mdb_strerror(rc));
}

// The applied index recorded in txn's meta database (0 when none is).
StatusOr<std::uint64_t> ReadIndexFrom(MDB_txn* txn, MDB_dbi meta) {
  MDB_val key = ToVal(kAppliedIndexKey);
  MDB_val value;
  int rc = mdb_get(txn, meta, &key, &value);
  if (rc == MDB_NOTFOUND) return std::uint64_t{0};
  if (rc != 0) return OpenError(rc, "reading the applied index");
  if (value.mv_size != 8) return CorruptionError("state store: applied index is not 8 bytes");
  return DecodeIndex(FromVal(value));
}

Status ValidateOps(const std::vector<StateOp>& ops) {
  for (const StateOp& op : ops) {
    // Never quote the key: paths can say more about a secret than they should.
    switch (op.type) {
      case StateOp::Type::kPut:
      case StateOp::Type::kDelete:
        if (op.key.empty()) return InvalidArgumentError("state store: empty key");
        if (op.key.size() > kMaxStateKeyBytes) {
          return InvalidArgumentError("state store: key longer than " +
                                      std::to_string(kMaxStateKeyBytes) + " bytes");
        }
        break;
      case StateOp::Type::kRestorePut:
      case StateOp::Type::kRestoreDelete:
        if (op.key.size() <= kRestoreIdBytes) {
          return InvalidArgumentError("state store: restore record without a key");
        }
        if (op.key.size() - kRestoreIdBytes > kMaxRestoredKeyBytes) {
          return InvalidArgumentError("state store: a restored key is longer than " +
                                      std::to_string(kMaxRestoredKeyBytes) + " bytes");
        }
        break;
      default:
        if (op.key.size() != kRestoreIdBytes) {
          return InvalidArgumentError("state store: malformed restore step");
        }
    }
    // The state image stores value lengths as u32.
    if (op.value.size() > UINT32_MAX) {
      return TooLargeError("state store: value of 4 GiB or more");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir,
                                                       std::size_t map_size_bytes) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IOError("state store: creating directory " + dir + ": " + std::strerror(errno));
  }
  MDB_env* raw_env = nullptr;
  int rc = mdb_env_create(&raw_env);
  if (rc != 0) return OpenError(rc, "creating the LMDB environment");
  EnvPtr env(raw_env);
  if ((rc = mdb_env_set_maxdbs(env.get(), std::size(kDataDbs) + 2)) != 0) {
    return OpenError(rc, "setting maxdbs");
  }
  if ((rc = mdb_env_set_mapsize(env.get(), map_size_bytes)) != 0) {
    return OpenError(rc, "setting the map size");
  }
  // MDB_NOTLS: read transactions are not tied to a thread, so HTTP threads
  // (and thread pools) may use them freely. MDB_NOMETASYNC: see the header.
  rc = mdb_env_open(env.get(), dir.c_str(), MDB_NOTLS | MDB_NOMETASYNC, 0600);
  if (rc != 0) return OpenError(rc, "opening " + dir);
  // Free the reader slots of processes that died holding them, so they do
  // not pin old pages (and fill the map) forever.
  int dead_readers = 0;
  if ((rc = mdb_reader_check(env.get(), &dead_readers)) != 0) {
    return OpenError(rc, "checking reader slots");
  }

  MDB_txn* raw_txn = nullptr;
  if ((rc = mdb_txn_begin(env.get(), nullptr, 0, &raw_txn)) != 0) {
    return OpenError(rc, "beginning the setup transaction");
  }
  TxnPtr txn(raw_txn);
  MDB_dbi data[kDataDbCount] = {}, meta = 0, wal = 0;
  static_assert(std::size(kDataDbs) == kDataDbCount);
  for (int i = 0; i < kDataDbCount; ++i) {
    if ((rc = mdb_dbi_open(txn.get(), kDataDbs[i].data(), MDB_CREATE, &data[i])) != 0) {
      return OpenError(rc, "opening the data databases");
    }
  }
  if ((rc = mdb_dbi_open(txn.get(), kMetaDb.data(), MDB_CREATE, &meta)) != 0) {
    return OpenError(rc, "opening the meta database");
  }
  if ((rc = mdb_dbi_open(txn.get(), kWalDb.data(), MDB_CREATE, &wal)) != 0) {
    return OpenError(rc, "opening the replication log database");
  }
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t applied, ReadIndexFrom(txn.get(), meta));
  rc = mdb_txn_commit(txn.release());
  if (rc != 0) return OpenError(rc, "committing the setup transaction");
  std::unique_ptr<StateStore> store(new StateStore(env.release(), data, meta, wal, applied));
  TRESOR_ASSIGN_OR_RETURN(std::optional<WalHead> head, store->ReadWalHead());
  store->wal_on_.store(head.has_value(), std::memory_order_relaxed);
  return store;
}

StateStore::StateStore(MDB_env* env, const MDB_dbi (&data)[kDataDbCount], MDB_dbi meta,
                       MDB_dbi wal, std::uint64_t applied_index)
    : env_(env),
      data_dbis_{data[0], data[1], data[2]},
      meta_dbi_(meta),
      wal_dbi_(wal),
      staged_applied_index_(applied_index),
      committed_applied_index_(applied_index) {}

StateStore::~StateStore() {
  AbortWriteTxn();
  mdb_env_close(env_);
}

Status StateStore::LmdbError(int rc, std::string_view what) const {
  std::string context = "state store: " + std::string(what) + ": ";
  if (rc == MDB_MAP_FULL) {
    MDB_envinfo info;
    mdb_env_info(env_, &info);
    return ResourceExhaustedError(context + "the LMDB map is full (map size " +
                                  std::to_string(info.me_mapsize) + " bytes)");
  }
  if (rc == MDB_READERS_FULL) {
    return UnavailableError(context + "every LMDB reader slot is in use");
  }
  return IOError(context + mdb_strerror(rc));
}

StatusOr<std::optional<MDB_dbi>> StateStore::DataDbiNamedBy(MDB_txn* txn,
                                                             std::string_view meta_key) const {
  MDB_val key = ToVal(meta_key), value;
  int rc = mdb_get(txn, meta_dbi_, &key, &value);
  if (rc == MDB_NOTFOUND) return std::optional<MDB_dbi>();
  if (rc != 0) return LmdbError(rc, "reading which data database is which");
  const auto number = static_cast<const unsigned char*>(value.mv_data)[0];
  if (value.mv_size != 1 || number >= kDataDbCount) {
    return CorruptionError("state store: the data database marker \"" + std::string(meta_key) +
                           "\" is malformed");
  }
  return std::optional<MDB_dbi>(data_dbis_[number]);
}

Status StateStore::NameDataDbi(MDB_txn* txn, std::string_view meta_key, MDB_dbi dbi) const {
  char number = 0;
  while (data_dbis_[static_cast<int>(number)] != dbi) ++number;
  MDB_val key = ToVal(meta_key), value = ToVal(std::string_view(&number, 1));
  int rc = mdb_put(txn, meta_dbi_, &key, &value, 0);
  return rc == 0 ? Status::Ok() : LmdbError(rc, "recording which data database is which");
}

StatusOr<MDB_dbi> StateStore::ActiveDataDbi(MDB_txn* txn) const {
  TRESOR_ASSIGN_OR_RETURN(std::optional<MDB_dbi> named, DataDbiNamedBy(txn, kActiveDataMetaKey));
  return named.value_or(data_dbis_[0]);
}

StatusOr<std::uint64_t> StateStore::ReadAppliedIndex(MDB_txn* txn) const {
  return ReadIndexFrom(txn, meta_dbi_);
}

// ---- readers ----

StatusOr<std::optional<std::string>> StateStore::Get(std::string_view key) const {
  if (key.empty() || key.size() > kMaxStateKeyBytes) return std::optional<std::string>();
  if (std::optional<std::optional<std::string>> published = overlay_.Find(key)) {
    return std::move(*published);
  }
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw_txn);
  if (rc != 0) return LmdbError(rc, "beginning a read");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(MDB_dbi data, ActiveDataDbi(txn.get()));
  MDB_val k = ToVal(key);
  MDB_val value;
  rc = mdb_get(txn.get(), data, &k, &value);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return LmdbError(rc, "reading a key");
  return std::optional<std::string>(std::string(FromVal(value)));
}

StatusOr<std::vector<std::string>> StateStore::ListPage(std::string_view prefix,
                                                        std::string_view after,
                                                        std::size_t limit) const {
  if (!prefix.empty() && prefix.back() != '/') {
    return InvalidArgumentError("state store: a list prefix is empty or ends with '/'");
  }
  TRESOR_RETURN_IF_ERROR(overlay_.WaitUntilRetired());
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw_txn);
  if (rc != 0) return LmdbError(rc, "beginning a read");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(MDB_dbi data, ActiveDataDbi(txn.get()));
  MDB_cursor* raw_cursor = nullptr;
  if ((rc = mdb_cursor_open(txn.get(), data, &raw_cursor)) != 0) {
    return LmdbError(rc, "opening a cursor");
  }
  CursorPtr cursor(raw_cursor);

  // Every name greater than `after` comes from a key at or past
  // prefix + after, so start there rather than at the folder's first key.
  std::string seek = std::string(prefix) + std::string(after);
  MDB_val key = ToVal(seek), value;
  // LMDB refuses a zero-length key, even to seek with.
  rc = mdb_cursor_get(cursor.get(), &key, &value, seek.empty() ? MDB_FIRST : MDB_SET_RANGE);
  std::vector<std::string> out;
  while (rc == 0) {
    std::string_view found = FromVal(key);
    if (found.substr(0, prefix.size()) != prefix) break;
    std::string_view rest = found.substr(prefix.size());
    std::size_t slash = rest.find('/');
    std::string name(slash == std::string_view::npos ? rest : rest.substr(0, slash + 1));
    // "/" at the root holds only restore staging (see kRestoreStagingPrefix).
    if (name > after && name != "/") {
      out.push_back(name);
      if (limit > 0 && out.size() >= limit) return out;
    }
    if (slash == std::string_view::npos) {
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
    } else {
      // Skip the whole sub-tree: seek past every key starting prefix + name,
      // i.e. to prefix + name with its '/' replaced by the next byte, '0'.
      seek = std::string(prefix) + name;
      seek.back() = '/' + 1;
      key = ToVal(seek);
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "listing keys");
  return out;
}

std::uint64_t StateStore::AppliedIndex() const {
  return committed_applied_index_.load(std::memory_order_acquire);
}

// ---- writer ----

Status StateStore::EnsureWriteTxn() {
  if (write_txn_ != nullptr) return Status::Ok();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "beginning a write");
  write_txn_ = txn;
  StatusOr<MDB_dbi> active = ActiveDataDbi(txn);
  if (!active.ok()) {
    AbortWriteTxn();
    return active.status();
  }
  write_dbi_ = *active;
  // Rewrite the current index at once so that the meta page is already
  // dirty in this transaction: later updates of the same 8-byte value are
  // made in place and need no new page, so recording an entry's index still
  // works when a failed entry has just filled the map.
  Status status = WriteAppliedIndex(write_txn_, staged_applied_index_);
  if (!status.ok()) AbortWriteTxn();
  return status;
}

Status StateStore::WriteAppliedIndex(MDB_txn* txn, std::uint64_t index) {
  std::string encoded = EncodeIndex(index);
  MDB_val key = ToVal(kAppliedIndexKey), value = ToVal(encoded);
  int rc = mdb_put(txn, meta_dbi_, &key, &value, 0);
  return rc == 0 ? Status::Ok() : LmdbError(rc, "recording the applied index");
}

void StateStore::AbortWriteTxn() {
  if (write_txn_ == nullptr) return;
  mdb_txn_abort(write_txn_);
  write_txn_ = nullptr;
  staged_replacement_ = false;
  staged_applied_index_ = committed_applied_index_.load(std::memory_order_relaxed);
}

Status StateStore::Stage(std::uint64_t index, const std::vector<StateOp>& ops) {
  if (index <= staged_applied_index_) return Status::Ok();
  TRESOR_RETURN_IF_ERROR(EnsureWriteTxn());

  // The entry's own outcome. Its failure is the proposer's error, not the
  // store's: the entry is applied (with no effect) and the group goes on.
  Status entry_status = ValidateOps(ops);
  bool switched = false;
  if (entry_status.ok() && !ops.empty()) {
    MDB_txn* raw_child = nullptr;
    int rc = mdb_txn_begin(env_, write_txn_, 0, &raw_child);
    if (rc != 0) {
      entry_status = LmdbError(rc, "beginning an entry");
    } else {
      TxnPtr child(raw_child);
      bool replaces = false;
      for (const StateOp& op : ops) {
        if (IsWalControlOp(op)) continue;  // StageWal's
        entry_status = ApplyOp(child.get(), op);
        if (!entry_status.ok()) break;
        replaces = replaces || op.type == StateOp::Type::kRestoreCommit;
      }
      if (entry_status.ok()) entry_status = StageWal(child.get(), index, ops, replaces);
      // On success the child's changes merge into the group; on failure the
      // TxnPtr aborts the child and the group is as it was before.
      if (entry_status.ok()) {
        rc = mdb_txn_commit(child.release());
        if (rc != 0) entry_status = LmdbError(rc, "staging an entry");
      }
      if (entry_status.ok() && replaces) staged_replacement_ = true;
      switched = replaces || !entry_status.ok();
    }
  }
  // A restore commit switches the active database (ApplyRestoreStep sets
  // write_dbi_), and a failed entry's child transaction, now aborted, may
  // have: the group's transaction says which one is active.
  if (switched) {
    StatusOr<MDB_dbi> active = ActiveDataDbi(write_txn_);
    if (!active.ok()) {
      AbortWriteTxn();
      return active.status();
    }
    write_dbi_ = *active;
  }

  Status recorded = WriteAppliedIndex(write_txn_, index);
  if (!recorded.ok()) {
    AbortWriteTxn();
    return recorded;
  }
  staged_applied_index_ = index;
  return entry_status;
}

Status StateStore::ApplyOp(MDB_txn* txn, const StateOp& op) {
  MDB_val key = ToVal(op.key);
  int rc = 0;
  switch (op.type) {
    case StateOp::Type::kPut: {
      MDB_val value = ToVal(op.value);
      rc = mdb_put(txn, write_dbi_, &key, &value, 0);
      break;
    }
    case StateOp::Type::kDelete:
      rc = mdb_del(txn, write_dbi_, &key, nullptr);
      if (rc == MDB_NOTFOUND) rc = 0;  // Deleting a missing key is fine.
      break;
    default:
      return ApplyRestoreStep(txn, op);
  }
  return rc == 0 ? Status::Ok() : LmdbError(rc, "staging an entry");
}

Status StateStore::MarkApplied(std::uint64_t index) { return Stage(index, {}); }

bool StateStore::HasStaged() const { return write_txn_ != nullptr; }

Status StateStore::Commit() {
  if (write_txn_ == nullptr) return Status::Ok();
  // mdb_txn_commit frees the transaction whether or not it succeeds.
  int rc = mdb_txn_commit(write_txn_);
  write_txn_ = nullptr;
  bool replaced = std::exchange(staged_replacement_, false);
  last_commit_error_.store(rc, std::memory_order_relaxed);
  if (rc != 0) {
    staged_applied_index_ = committed_applied_index_.load(std::memory_order_relaxed);
    return LmdbError(rc, "committing");
  }
  {
    std::lock_guard lock(commit_mutex_);
    committed_applied_index_.store(staged_applied_index_, std::memory_order_release);
  }
  committed_.notify_all();
  if (replaced) replaced_count_.fetch_add(1, std::memory_order_acq_rel);
  overlay_.RetireThrough(staged_applied_index_);
  return Status::Ok();
}

bool StateStore::Unusable() const {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc == 0) mdb_txn_abort(txn);
  return rc == MDB_PANIC;
}

bool StateStore::OnFullDisk() const {
  const char* path = nullptr;
  return mdb_env_get_path(env_, &path) == 0 && path != nullptr && DiskFullUnder(path);
}

// ---- publishing ----

bool StateStore::Publishable(const std::vector<StateOp>& ops) {
  for (const StateOp& op : ops) {
    if (op.type != StateOp::Type::kPut && op.type != StateOp::Type::kDelete) return false;
    if (!op.key.empty() && op.key.front() == '/') return false;  // control ops
  }
  return ValidateOps(ops).ok();
}

void StateStore::Publish(std::uint64_t index, const std::vector<StateOp>& ops) {
  overlay_.Add(index, ops);
}

void StateStore::PublishedLost(const Status& cause) { overlay_.Fail(cause); }

}  // namespace tresor::raft

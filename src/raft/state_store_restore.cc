// StateStore's point-in-time views and the steps of a whole-state restore
// (the contracts are in state_store.h, beside StateOp).
#include <string>

#include "raft/lmdb_util.h"
#include "raft/state_store.h"

namespace tresor::raft {
namespace {

// The end of the key range that starts with `prefix`: every key k with that
// prefix has prefix <= k < end. Empty when there is no end (all 0xff).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

std::vector<std::string> SplitKeptPrefixes(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    std::size_t nul = joined.find('\0');
    out.emplace_back(joined.substr(0, nul));
    if (nul == std::string_view::npos) break;
    joined.remove_prefix(nul + 1);
  }
  return out;
}

}  // namespace

std::string EncodeRestoreId(std::uint64_t id) {
  std::string out(kRestoreIdBytes, '\0');
  for (int i = kRestoreIdBytes - 1; i >= 0; --i, id >>= 8) out[i] = static_cast<char>(id & 0xff);
  return out;
}

StateOp RestoreBeginOp(std::uint64_t id) {
  return {StateOp::Type::kRestoreBegin, EncodeRestoreId(id), {}};
}

StateOp RestorePutOp(std::uint64_t id, std::string_view key, std::string_view value) {
  return {StateOp::Type::kRestorePut, EncodeRestoreId(id) + std::string(key), std::string(value)};
}

StateOp RestoreCommitOp(std::uint64_t id, const std::vector<std::string>& kept_prefixes) {
  std::string joined;
  for (const std::string& prefix : kept_prefixes) {
    if (!joined.empty()) joined.push_back('\0');
    joined += prefix;
  }
  return {StateOp::Type::kRestoreCommit, EncodeRestoreId(id), std::move(joined)};
}

StateOp RestoreAbortOp(std::uint64_t id) {
  return {StateOp::Type::kRestoreAbort, EncodeRestoreId(id), {}};
}

StateOp RestoreDeleteOp(std::uint64_t id, std::string_view key) {
  return {StateOp::Type::kRestoreDelete, EncodeRestoreId(id) + std::string(key), {}};
}

// ---- views ----

StateStore::View::View(const StateStore& store, MDB_txn* txn, MDB_dbi data,
                       std::uint64_t applied_index, std::optional<WalHead> wal_head)
    : store_(store),
      txn_(txn),
      data_dbi_(data),
      applied_index_(applied_index),
      wal_head_(std::move(wal_head)) {}

StateStore::View::~View() { mdb_txn_abort(txn_); }

Status StateStore::View::WalkDbi(MDB_dbi dbi, std::string_view prefix, std::string_view from,
                                 std::string_view to, const Visitor& visit) const {
  MDB_cursor* raw_cursor = nullptr;
  int rc = mdb_cursor_open(txn_, dbi, &raw_cursor);
  if (rc != 0) return store_.LmdbError(rc, "opening a cursor");
  CursorPtr cursor(raw_cursor);
  std::string named;
  MDB_val key = ToVal(from), value;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, from.empty() ? MDB_FIRST : MDB_SET_RANGE);
       rc == 0; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    std::string_view k = FromVal(key);
    if (!to.empty() && k >= to) break;
    // Keys under '/' in a data database are restore staging that an
    // earlier version kept beside the state: never part of it.
    if (prefix.empty() && k.front() == '/') continue;
    if (!prefix.empty()) {
      named.assign(prefix).append(k);
      k = named;
    }
    TRESOR_RETURN_IF_ERROR(visit(k, FromVal(value)));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return store_.LmdbError(rc, "reading the state");
  return Status::Ok();
}

Status StateStore::View::ForEach(const Visitor& visit) const {
  return WalkDbi(data_dbi_, "", "", "", visit);
}

Status StateStore::View::ForEachStored(const Visitor& visit) const {
  TRESOR_ASSIGN_OR_RETURN(std::optional<StagedRestore> staged, store_.StagedRestoreIn(txn_));
  if (!staged && !wal_head_) return ForEach(visit);
  // In byte order: the state's keys below "/", the staged records
  // ("/r/..."), the id ("/restore-id"), the replication log's head
  // ("/wal-head"), then the rest of the state.
  TRESOR_RETURN_IF_ERROR(WalkDbi(data_dbi_, "", "", "/", visit));
  if (staged) {
    TRESOR_RETURN_IF_ERROR(WalkDbi(staged->dbi, kRestoreStagingPrefix, "", "", visit));
    TRESOR_RETURN_IF_ERROR(visit(kRestoreIdKey, staged->id));
  }
  if (wal_head_) TRESOR_RETURN_IF_ERROR(visit(kWalHeadRecord, EncodeWalHead(*wal_head_)));
  return WalkDbi(data_dbi_, "", "0", "", visit);  // '0' follows '/'
}

StatusOr<std::unique_ptr<StateStore::View>> StateStore::OpenView() const {
  TRESOR_RETURN_IF_ERROR(overlay_.WaitUntilRetired());
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw_txn);
  if (rc != 0) return LmdbError(rc, "beginning a read");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t applied, ReadAppliedIndex(txn.get()));
  TRESOR_ASSIGN_OR_RETURN(MDB_dbi data, ActiveDataDbi(txn.get()));
  TRESOR_ASSIGN_OR_RETURN(std::optional<WalHead> wal_head, ReadWalHeadIn(txn.get()));
  return std::unique_ptr<View>(new View(*this, txn.release(), data, applied, std::move(wal_head)));
}

// ---- restore staging ----

StatusOr<std::optional<StateStore::StagedRestore>> StateStore::StagedRestoreIn(
    MDB_txn* txn) const {
  TRESOR_ASSIGN_OR_RETURN(std::optional<MDB_dbi> dbi, DataDbiNamedBy(txn, kRestoreDataMetaKey));
  if (!dbi) return std::optional<StagedRestore>();
  MDB_val key = ToVal(kRestoreIdMetaKey), value;
  int rc = mdb_get(txn, meta_dbi_, &key, &value);
  if (rc == MDB_NOTFOUND) return CorruptionError("state store: a staged restore has no id");
  if (rc != 0) return LmdbError(rc, "reading the restore id");
  return std::optional<StagedRestore>(StagedRestore{*dbi, std::string(FromVal(value))});
}

Status StateStore::DropStaging(MDB_txn* txn, MDB_dbi dbi) const {
  for (std::string_view meta_key : {kRestoreDataMetaKey, kRestoreIdMetaKey}) {
    MDB_val key = ToVal(meta_key);
    int rc = mdb_del(txn, meta_dbi_, &key, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "ending a restore");
  }
  // Frees the pages (with this transaction's commit) without copying any.
  int rc = mdb_drop(txn, dbi, 0);
  return rc == 0 ? Status::Ok() : LmdbError(rc, "emptying a restore's staging");
}

Status StateStore::ReplacePrefix(MDB_txn* txn, MDB_dbi from, MDB_dbi into,
                                 std::string_view prefix) {
  const std::string end = PrefixEnd(prefix);
  MDB_cursor* raw_cursor = nullptr;
  int rc = mdb_cursor_open(txn, into, &raw_cursor);
  if (rc != 0) return LmdbError(rc, "opening a cursor");
  CursorPtr cursor(raw_cursor);
  MDB_val key = ToVal(prefix), value;
  // Out with `into`'s own records under the prefix...
  rc = mdb_cursor_get(cursor.get(), &key, &value, prefix.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0 && (end.empty() || FromVal(key) < end)) {
    if ((rc = mdb_cursor_del(cursor.get(), 0)) != 0) break;
    // After a delete the cursor rests on the next key: read it in place.
    rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_GET_CURRENT);
    if (rc == EINVAL) rc = MDB_NOTFOUND;  // deleted the last key
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "replacing a kept prefix");
  // ...in with `from`'s.
  if ((rc = mdb_cursor_open(txn, from, &raw_cursor)) != 0) {
    return LmdbError(rc, "opening a cursor");
  }
  CursorPtr source(raw_cursor);
  key = ToVal(prefix);
  for (rc = mdb_cursor_get(source.get(), &key, &value, prefix.empty() ? MDB_FIRST : MDB_SET_RANGE);
       rc == 0 && (end.empty() || FromVal(key) < end);
       rc = mdb_cursor_get(source.get(), &key, &value, MDB_NEXT)) {
    MDB_val k = key, v = value;
    if ((rc = mdb_put(txn, into, &k, &v, 0)) != 0) break;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "replacing a kept prefix");
  return Status::Ok();
}

// ---- restore steps (writer thread, inside an entry's nested transaction) ----

Status StateStore::ApplyRestoreStep(MDB_txn* txn, const StateOp& op) {
  const std::string_view id = std::string_view(op.key).substr(0, kRestoreIdBytes);
  TRESOR_ASSIGN_OR_RETURN(std::optional<StagedRestore> staged, StagedRestoreIn(txn));
  if (op.type == StateOp::Type::kRestoreBegin) {
    TRESOR_ASSIGN_OR_RETURN(MDB_dbi active, ActiveDataDbi(txn));
    if (staged) TRESOR_RETURN_IF_ERROR(DropStaging(txn, staged->dbi));
    // Any database but the active one; emptied in case an install was cut
    // short in it.
    const MDB_dbi staging = active == data_dbis_[0] ? data_dbis_[1] : data_dbis_[0];
    int rc = mdb_drop(txn, staging, 0);
    if (rc != 0) return LmdbError(rc, "starting a restore");
    TRESOR_RETURN_IF_ERROR(NameDataDbi(txn, kRestoreDataMetaKey, staging));
    MDB_val key = ToVal(kRestoreIdMetaKey), value = ToVal(id);
    rc = mdb_put(txn, meta_dbi_, &key, &value, 0);
    return rc == 0 ? Status::Ok() : LmdbError(rc, "starting a restore");
  }
  if (!staged || staged->id != id) {
    return FailedPreconditionError(
        "state store: this restore is no longer the one being staged (a newer restore "
        "started, or it was aborted)");
  }
  switch (op.type) {
    case StateOp::Type::kRestorePut: {
      MDB_val key = ToVal(std::string_view(op.key).substr(kRestoreIdBytes)),
              value = ToVal(op.value);
      int rc = mdb_put(txn, staged->dbi, &key, &value, 0);
      return rc == 0 ? Status::Ok() : LmdbError(rc, "staging a restore");
    }
    case StateOp::Type::kRestoreDelete: {
      MDB_val key = ToVal(std::string_view(op.key).substr(kRestoreIdBytes));
      int rc = mdb_del(txn, staged->dbi, &key, nullptr);
      return rc == 0 || rc == MDB_NOTFOUND ? Status::Ok() : LmdbError(rc, "staging a restore");
    }
    case StateOp::Type::kRestoreAbort:
      return DropStaging(txn, staged->dbi);
    case StateOp::Type::kRestoreCommit: {
      TRESOR_ASSIGN_OR_RETURN(MDB_dbi active, ActiveDataDbi(txn));
      for (const std::string& prefix : SplitKeptPrefixes(op.value)) {
        TRESOR_RETURN_IF_ERROR(ReplacePrefix(txn, active, staged->dbi, prefix));
      }
      TRESOR_RETURN_IF_ERROR(NameDataDbi(txn, kActiveDataMetaKey, staged->dbi));
      // The old state's pages are freed with the commit; nothing is copied.
      TRESOR_RETURN_IF_ERROR(DropStaging(txn, active));
      write_dbi_ = staged->dbi;  // for the rest of the entry (Stage re-reads it after)
      return Status::Ok();
    }
    default:
      return InvalidArgumentError("state store: not a restore step");
  }
}

// ---- staging without the log ----

std::unique_ptr<StateStore::StagingWriter> StateStore::BeginStaging(
    std::uint64_t restore_id) const {
  return std::unique_ptr<StagingWriter>(new StagingWriter(*this, EncodeRestoreId(restore_id)));
}

StateStore::StagingWriter::~StagingWriter() = default;

Status StateStore::StagingWriter::Add(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > kMaxRestoredKeyBytes) {
    return InvalidArgumentError("state store: a staged key is out of range");
  }
  // A key past every one staged so far goes at the end of the database
  // (a snapshot's keys come in order, so all do), any other one in place.
  const bool append = key > greatest_key_;
  if (append) greatest_key_.assign(key);
  // Held until the batch is written: a write transaction open across the
  // caller's reads would keep the writer thread waiting for LMDB's lock.
  batch_.push_back({arena_.size(), key.size(), value.size(), append, false});
  arena_.append(key).append(value);
  return arena_.size() < kStagingBatchBytes ? Status::Ok() : Flush();
}

Status StateStore::StagingWriter::Remove(std::string_view key) {
  if (key.empty() || key.size() > kMaxRestoredKeyBytes) {
    return InvalidArgumentError("state store: a staged key is out of range");
  }
  batch_.push_back({arena_.size(), key.size(), 0, false, true});
  arena_.append(key);
  return arena_.size() < kStagingBatchBytes ? Status::Ok() : Flush();
}

Status StateStore::StagingWriter::Flush() {
  if (batch_.empty()) return Status::Ok();
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(store_.env_, nullptr, 0, &raw_txn);
  if (rc != 0) return store_.LmdbError(rc, "beginning a staging batch");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(std::optional<StagedRestore> staged, store_.StagedRestoreIn(txn.get()));
  if (!staged || staged->id != id_) {
    return FailedPreconditionError(
        "state store: this restore is no longer the one being staged (a newer restore "
        "started, or it was aborted)");
  }
  const std::string_view arena = arena_;
  for (const Record& record : batch_) {
    MDB_val k = ToVal(arena.substr(record.offset, record.key_size)),
            v = ToVal(arena.substr(record.offset + record.key_size, record.value_size));
    if (record.remove) {
      rc = mdb_del(txn.get(), staged->dbi, &k, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return store_.LmdbError(rc, "staging a restore");
      continue;
    }
    if ((rc = mdb_put(txn.get(), staged->dbi, &k, &v, record.append ? MDB_APPEND : 0)) != 0) {
      return store_.LmdbError(rc, "staging a restore");
    }
  }
  if ((rc = mdb_txn_commit(txn.release())) != 0) {
    return store_.LmdbError(rc, "committing a staging batch");
  }
  batch_.clear();
  arena_.clear();
  return Status::Ok();
}

Status StateStore::StagingWriter::Finish() {
  TRESOR_RETURN_IF_ERROR(Flush());
  int rc = mdb_env_sync(store_.env_, /*force=*/1);
  return rc == 0 ? Status::Ok() : store_.LmdbError(rc, "syncing the staged records");
}

}  // namespace tresor::raft

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

bool UnderAny(std::string_view key, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
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

// ---- views ----

StateStore::View::View(const StateStore& store, MDB_txn* txn, MDB_dbi data,
                       std::uint64_t applied_index)
    : store_(store), txn_(txn), data_dbi_(data), applied_index_(applied_index) {}

StateStore::View::~View() { mdb_txn_abort(txn_); }

Status StateStore::View::ForEach(
    const std::function<Status(std::string_view, std::string_view)>& visit) const {
  return Walk(/*with_staging=*/false, visit);
}

Status StateStore::View::ForEachStored(
    const std::function<Status(std::string_view, std::string_view)>& visit) const {
  return Walk(/*with_staging=*/true, visit);
}

Status StateStore::View::Walk(
    bool with_staging,
    const std::function<Status(std::string_view, std::string_view)>& visit) const {
  MDB_cursor* raw_cursor = nullptr;
  int rc = mdb_cursor_open(txn_, data_dbi_, &raw_cursor);
  if (rc != 0) return store_.LmdbError(rc, "opening a cursor");
  CursorPtr cursor(raw_cursor);
  MDB_val key, value;
  for (rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    std::string_view k = FromVal(key);
    if (!with_staging && k.front() == '/') continue;  // restore staging, not state
    TRESOR_RETURN_IF_ERROR(visit(k, FromVal(value)));
  }
  if (rc != MDB_NOTFOUND) return store_.LmdbError(rc, "reading the state");
  return Status::Ok();
}

StatusOr<std::unique_ptr<StateStore::View>> StateStore::OpenView() const {
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw_txn);
  if (rc != 0) return LmdbError(rc, "beginning a read");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t applied, ReadAppliedIndex(txn.get()));
  TRESOR_ASSIGN_OR_RETURN(MDB_dbi data, ActiveDataDbi(txn.get()));
  return std::unique_ptr<View>(new View(*this, txn.release(), data, applied));
}

// ---- restore steps (writer thread, inside an entry's nested transaction) ----

Status StateStore::CheckRestoreId(MDB_txn* txn, std::string_view id) const {
  MDB_val key = ToVal(kRestoreIdKey), value;
  int rc = mdb_get(txn, write_dbi_, &key, &value);
  if (rc == MDB_NOTFOUND || (rc == 0 && FromVal(value) != id)) {
    return FailedPreconditionError(
        "state store: this restore is no longer the one being staged (a newer restore "
        "started, or it was aborted)");
  }
  return rc == 0 ? Status::Ok() : LmdbError(rc, "reading the restore id");
}

Status StateStore::DeleteRange(MDB_txn* txn, std::string_view from, std::string_view to,
                               const std::function<bool(std::string_view)>& drop) {
  MDB_cursor* raw_cursor = nullptr;
  int rc = mdb_cursor_open(txn, write_dbi_, &raw_cursor);
  if (rc != 0) return LmdbError(rc, "opening a cursor");
  CursorPtr cursor(raw_cursor);
  MDB_val key = ToVal(from), value;
  rc = mdb_cursor_get(cursor.get(), &key, &value, from.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    std::string_view k = FromVal(key);
    if (!to.empty() && k >= to) break;
    if (drop(k)) {
      // After a delete the cursor rests on the next key: read it in place.
      if ((rc = mdb_cursor_del(cursor.get(), 0)) != 0) break;
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_GET_CURRENT);
      // MDB_GET_CURRENT after deleting the last key reports the end.
      if (rc == EINVAL) rc = MDB_NOTFOUND;
    } else {
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT);
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "deleting a range");
  return Status::Ok();
}

Status StateStore::ApplyRestoreStep(MDB_txn* txn, const StateOp& op) {
  std::string_view id = std::string_view(op.key).substr(0, kRestoreIdBytes);
  const std::string staging_end = PrefixEnd(kRestoreStagingPrefix);
  auto put = [&](std::string_view k, std::string_view v) -> Status {
    MDB_val key = ToVal(k), value = ToVal(v);
    int rc = mdb_put(txn, write_dbi_, &key, &value, 0);
    return rc == 0 ? Status::Ok() : LmdbError(rc, "staging a restore");
  };
  auto drop_staging = [&]() -> Status {
    TRESOR_RETURN_IF_ERROR(DeleteRange(txn, kRestoreStagingPrefix, staging_end,
                                       [](std::string_view) { return true; }));
    MDB_val key = ToVal(kRestoreIdKey);
    int rc = mdb_del(txn, write_dbi_, &key, nullptr);
    return rc == 0 || rc == MDB_NOTFOUND ? Status::Ok() : LmdbError(rc, "ending a restore");
  };

  switch (op.type) {
    case StateOp::Type::kRestoreBegin:
      TRESOR_RETURN_IF_ERROR(drop_staging());
      return put(kRestoreIdKey, id);
    case StateOp::Type::kRestorePut:
      TRESOR_RETURN_IF_ERROR(CheckRestoreId(txn, id));
      return put(std::string(kRestoreStagingPrefix) + op.key.substr(kRestoreIdBytes), op.value);
    case StateOp::Type::kRestoreAbort:
      TRESOR_RETURN_IF_ERROR(CheckRestoreId(txn, id));
      return drop_staging();
    case StateOp::Type::kRestoreCommit: {
      TRESOR_RETURN_IF_ERROR(CheckRestoreId(txn, id));
      const std::vector<std::string> kept = SplitKeptPrefixes(op.value);
      // The old state goes, except the kept prefixes and the staging itself.
      TRESOR_RETURN_IF_ERROR(DeleteRange(
          txn, "", "", [&](std::string_view k) { return k.front() != '/' && !UnderAny(k, kept); }));
      // Then the staged records move into place, in key order, and leave
      // the staging area as they go.
      MDB_cursor* raw_cursor = nullptr;
      int rc = mdb_cursor_open(txn, write_dbi_, &raw_cursor);
      if (rc != 0) return LmdbError(rc, "opening a cursor");
      CursorPtr cursor(raw_cursor);
      std::string moved;
      MDB_val key = ToVal(kRestoreStagingPrefix), value;
      rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
      while (rc == 0 && FromVal(key) < staging_end) {
        moved = FromVal(key).substr(kRestoreStagingPrefix.size());
        if (!UnderAny(moved, kept)) {
          // Copy the value out first: a put may move the page it lives on.
          std::string v(FromVal(value));
          TRESOR_RETURN_IF_ERROR(put(moved, v));
        }
        // Re-seek: the put above may have invalidated the cursor position.
        key = ToVal(kRestoreStagingPrefix);
        std::string staged = std::string(kRestoreStagingPrefix) + moved;
        MDB_val staged_key = ToVal(staged);
        if ((rc = mdb_del(txn, write_dbi_, &staged_key, nullptr)) != 0) break;
        rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "installing a restore");
      return drop_staging();
    }
    default:
      return InvalidArgumentError("state store: not a restore step");
  }
}

}  // namespace tresor::raft

// StateStore's whole-state install (state_store.h, "whole-state install")
// and Sync.
#include <utility>

#include "raft/lmdb_util.h"
#include "raft/state_image.h"
#include "raft/state_store.h"

namespace tresor::raft {

Status StateStore::Sync() {
  int rc = mdb_env_sync(env_, /*force=*/1);
  return rc == 0 ? Status::Ok() : LmdbError(rc, "syncing to disk");
}

StatusOr<std::unique_ptr<StateStore::Installer>> StateStore::BeginInstall() {
  if (write_txn_ != nullptr || installing_) {
    return FailedPreconditionError("state store: cannot install a state while entries are staged");
  }
  MDB_txn* raw_txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &raw_txn);
  if (rc != 0) return LmdbError(rc, "beginning a write");
  TxnPtr txn(raw_txn);
  TRESOR_ASSIGN_OR_RETURN(MDB_dbi active, ActiveDataDbi(txn.get()));
  MDB_dbi target = active == data_dbis_[0] ? data_dbis_[1] : data_dbis_[0];
  // Whatever an install cut short left behind.
  if ((rc = mdb_drop(txn.get(), target, 0)) != 0) return LmdbError(rc, "emptying for an install");
  if ((rc = mdb_txn_commit(txn.release())) != 0) return LmdbError(rc, "emptying for an install");
  std::unique_ptr<Installer> installer(new Installer(*this, target));
  TRESOR_RETURN_IF_ERROR(installer->BeginBatch());
  installing_ = true;
  return installer;
}

StateStore::Installer::Installer(StateStore& store, MDB_dbi target)
    : store_(store), target_(target) {}

StateStore::Installer::~Installer() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  store_.installing_ = false;
}

Status StateStore::Installer::BeginBatch() {
  batch_bytes_ = 0;
  int rc = mdb_txn_begin(store_.env_, nullptr, 0, &txn_);
  if (rc != 0) {
    txn_ = nullptr;
    return store_.LmdbError(rc, "beginning an install batch");
  }
  return Status::Ok();
}

Status StateStore::Installer::Add(std::string_view key, std::string_view value) {
  if (txn_ == nullptr) {
    return FailedPreconditionError("state store: this install has finished or failed");
  }
  if (key.empty() || key.size() > kMaxStateKeyBytes) {
    return InvalidArgumentError("state store: an installed key is out of range");
  }
  if (!last_key_.empty() && key <= last_key_) {
    return InvalidArgumentError("state store: installed keys out of order");
  }
  MDB_val k = ToVal(key), v = ToVal(value);
  int rc = mdb_put(txn_, target_, &k, &v, MDB_APPEND);
  if (rc != 0) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
    return store_.LmdbError(rc, "installing a record");
  }
  last_key_.assign(key);
  batch_bytes_ += key.size() + value.size();
  if (batch_bytes_ < kInstallBatchBytes) return Status::Ok();
  // Nothing of the batch is visible: the target is not active yet.
  rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) return store_.LmdbError(rc, "committing an install batch");
  return BeginBatch();
}

Status StateStore::Installer::Finish(std::uint64_t applied_index) {
  if (txn_ == nullptr) {
    return FailedPreconditionError("state store: this install has finished or failed");
  }
  MDB_dbi old = target_ == store_.data_dbis_[0] ? store_.data_dbis_[1] : store_.data_dbis_[0];
  const char which = target_ == store_.data_dbis_[1] ? 1 : 0;
  MDB_val key = ToVal(kActiveDataMetaKey), value = ToVal(std::string_view(&which, 1));
  int rc = mdb_put(txn_, store_.meta_dbi_, &key, &value, 0);
  Status status = rc == 0 ? store_.WriteAppliedIndex(txn_, applied_index)
                          : store_.LmdbError(rc, "activating an installed state");
  // The old state's pages go back to LMDB's free list with this commit.
  if (status.ok() && (rc = mdb_drop(txn_, old, 0)) != 0) {
    status = store_.LmdbError(rc, "dropping the replaced state");
  }
  if (!status.ok()) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
    return status;
  }
  rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) return store_.LmdbError(rc, "activating an installed state");
  TRESOR_RETURN_IF_ERROR(store_.Sync());
  store_.staged_applied_index_ = applied_index;
  store_.committed_applied_index_.store(applied_index, std::memory_order_release);
  store_.replaced_count_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

}  // namespace tresor::raft

// StateStore's whole-state install (state_store.h, "whole-state install"),
// the snapshot images built on it, and Sync.
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
  MDB_dbi others[kDataDbCount - 1];
  for (int i = 0, n = 0; i < kDataDbCount; ++i) {
    if (data_dbis_[i] != active) others[n++] = data_dbis_[i];
  }
  // The state received replaces a restore staged here, and whatever an
  // install cut short left behind.
  TRESOR_RETURN_IF_ERROR(DropStaging(txn.get(), others[0]));
  if ((rc = mdb_drop(txn.get(), others[1], 0)) != 0) {
    return LmdbError(rc, "emptying for an install");
  }
  if ((rc = mdb_txn_commit(txn.release())) != 0) return LmdbError(rc, "emptying for an install");
  std::unique_ptr<Installer> installer(new Installer(*this, others[0], others[1]));
  TRESOR_RETURN_IF_ERROR(installer->BeginBatch());
  installing_ = true;
  return installer;
}

StateStore::Installer::Installer(StateStore& store, MDB_dbi target, MDB_dbi staging)
    : store_(store), target_(target), staging_(staging) {}

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

Status StateStore::Installer::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = ToVal(key), v = ToVal(value);
  // Keys arrive in order, so each goes at the end of its database.
  int rc = mdb_put(txn_, dbi, &k, &v, MDB_APPEND);
  if (rc != 0) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
    return store_.LmdbError(rc, "installing a record");
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
  if (key == kRestoreIdKey) {
    restore_id_ = std::string(value);
  } else if (key == kWalHeadRecord) {
    TRESOR_RETURN_IF_ERROR(DecodeWalHead(value).status());
    wal_head_ = std::string(value);
  } else if (key.substr(0, kRestoreStagingPrefix.size()) == kRestoreStagingPrefix &&
             key.size() > kRestoreStagingPrefix.size()) {
    TRESOR_RETURN_IF_ERROR(Put(staging_, key.substr(kRestoreStagingPrefix.size()), value));
    staged_records_ = true;
  } else if (key.front() == '/') {
    return InvalidArgumentError("state store: an installed key under '/' is not a staged restore's");
  } else {
    TRESOR_RETURN_IF_ERROR(Put(target_, key, value));
  }
  last_key_.assign(key);
  batch_bytes_ += key.size() + value.size();
  if (batch_bytes_ < kInstallBatchBytes) return Status::Ok();
  // Nothing of the batch is visible: neither database is named in meta yet.
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) return store_.LmdbError(rc, "committing an install batch");
  return BeginBatch();
}

Status StateStore::Installer::Finish(std::uint64_t applied_index) {
  if (txn_ == nullptr) {
    return FailedPreconditionError("state store: this install has finished or failed");
  }
  if (staged_records_ && !restore_id_) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
    return InvalidArgumentError("state store: installed restore records without a restore id");
  }
  Status status = [&]() -> Status {
    TRESOR_ASSIGN_OR_RETURN(MDB_dbi old, store_.ActiveDataDbi(txn_));
    TRESOR_RETURN_IF_ERROR(store_.NameDataDbi(txn_, kActiveDataMetaKey, target_));
    TRESOR_RETURN_IF_ERROR(store_.WriteAppliedIndex(txn_, applied_index));
    // The old state's pages go back to LMDB's free list with this commit.
    int rc = mdb_drop(txn_, old, 0);
    if (rc != 0) return store_.LmdbError(rc, "dropping the replaced state");
    // The replication log: the sender's head, with none of its entries
    // (this node can follow from the head on, not before).
    if ((rc = mdb_drop(txn_, store_.wal_dbi_, 0)) != 0) {
      return store_.LmdbError(rc, "emptying the replication log");
    }
    std::optional<WalHead> head;
    if (wal_head_) {
      TRESOR_ASSIGN_OR_RETURN(head, DecodeWalHead(*wal_head_));
      head->floor = head->last;
    }
    TRESOR_RETURN_IF_ERROR(store_.WriteWalHead(txn_, head));
    if (!restore_id_) return Status::Ok();
    TRESOR_RETURN_IF_ERROR(store_.NameDataDbi(txn_, kRestoreDataMetaKey, staging_));
    MDB_val key = ToVal(kRestoreIdMetaKey), value = ToVal(*restore_id_);
    rc = mdb_put(txn_, store_.meta_dbi_, &key, &value, 0);
    return rc == 0 ? Status::Ok() : store_.LmdbError(rc, "installing a staged restore");
  }();
  if (!status.ok()) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
    return status;
  }
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  if (rc != 0) return store_.LmdbError(rc, "activating an installed state");
  TRESOR_RETURN_IF_ERROR(store_.Sync());
  store_.staged_applied_index_ = applied_index;
  {
    std::lock_guard lock(store_.commit_mutex_);
    store_.committed_applied_index_.store(applied_index, std::memory_order_release);
  }
  store_.committed_.notify_all();
  store_.replaced_count_.fetch_add(1, std::memory_order_acq_rel);
  return Status::Ok();
}

// ---- snapshot images ----

StatusOr<std::string> StateStore::SaveImage() const {
  if (write_txn_ != nullptr) {
    return FailedPreconditionError("state store: cannot save an image while entries are staged");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<View> view, OpenView());
  StateImageWriter writer(view->applied_index());
  TRESOR_RETURN_IF_ERROR(view->ForEachStored([&](std::string_view key, std::string_view value) {
    writer.Add(key, value);
    return Status::Ok();
  }));
  return writer.Finish();
}

Status StateStore::LoadImage(std::string_view image) {
  if (write_txn_ != nullptr) {
    return FailedPreconditionError("state store: cannot load an image while entries are staged");
  }
  // Verified whole before anything changes.
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t applied, ImageIndex(image));
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<Installer> installer, BeginInstall());
  TRESOR_RETURN_IF_ERROR(ParseStateImage(image, &applied, [&](std::string_view key,
                                                               std::string_view value) {
    return installer->Add(key, value);
  }));
  return installer->Finish(applied);
}

StatusOr<std::uint64_t> StateStore::ImageIndex(std::string_view image) {
  std::uint64_t applied = 0;
  TRESOR_RETURN_IF_ERROR(ParseStateImage(
      image, &applied, [](std::string_view, std::string_view) { return Status::Ok(); }));
  return applied;
}

}  // namespace tresor::raft

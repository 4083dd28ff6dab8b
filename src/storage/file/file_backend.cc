#include "storage/file/file_backend.h"

#include <algorithm>
#include <mutex>

#include "common/random.h"
#include "storage/file/key_encoding.h"
#include "storage/file/record_format.h"

namespace tresor::storage {
namespace {

constexpr std::string_view kLockName = "LOCK";
constexpr std::string_view kJournalName = "batch.journal";
constexpr std::string_view kDataName = "data";
constexpr std::string_view kTempPrefix = ".tmp-";

// ValidateKey first (the Backend contract), then the encoding limits.
StatusOr<KeyLocation> Locate(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return LocateKey(key);
}

// A directory path usable with SyncDir even for a relative top-level name.
std::string ParentOrDot(std::string_view path) {
  std::string parent = ParentDir(path);
  return parent.empty() ? "." : parent;
}

// Creates dir like `mkdir -p` and makes every new directory durable by
// fsyncing its parent, outermost first.
Status CreateDirsDurably(Filesystem* fs, const std::string& dir) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> created, fs->CreateDirs(dir));
  for (const std::string& path : created) TRESOR_RETURN_IF_ERROR(fs->SyncDir(ParentOrDot(path)));
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<FileBackend>> FileBackend::Open(std::string dir, Filesystem* fs) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return InvalidArgumentError("file storage: path is empty");
  if (fs == nullptr) fs = DefaultFilesystem();
  TRESOR_RETURN_IF_ERROR(CreateDirsDurably(fs, dir));
  auto lock = fs->LockFile(JoinPath(dir, kLockName));
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kFailedPrecondition) {
      return FailedPreconditionError("storage directory " + dir + " is in use by another process");
    }
    return lock.status();
  }
  std::unique_ptr<FileBackend> backend(new FileBackend(dir, fs, std::move(*lock)));
  {
    std::unique_lock guard(backend->mu_);
    TRESOR_RETURN_IF_ERROR(backend->RecoverLocked());
  }
  return backend;
}

FileBackend::FileBackend(std::string dir, Filesystem* fs, std::unique_ptr<FileLock> lock)
    : dir_(std::move(dir)), fs_(fs), lock_(std::move(lock)) {}

FileBackend::~FileBackend() { Close().IgnoreError(); }

std::string FileBackend::DataPath(std::string_view relative) const {
  return JoinPath(JoinPath(dir_, kDataName), relative);
}

std::string FileBackend::JournalPath() const { return JoinPath(dir_, kJournalName); }

Status FileBackend::RecoverLocked() {
  std::string data = DataPath("");
  TRESOR_RETURN_IF_ERROR(CreateDirsDurably(fs_, data));
  bool data_empty = false;
  TRESOR_RETURN_IF_ERROR(RemoveLeftoversLocked(data, &data_empty));
  return ReplayJournalLocked();
}

Status FileBackend::RemoveLeftoversLocked(const std::string& dir, bool* now_empty) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs_->ListDir(dir));
  bool removed_any = false;
  std::size_t remaining = 0;
  for (const DirEntry& entry : entries) {
    std::string path = JoinPath(dir, entry.name);
    if (entry.is_directory && DecodeSegment(entry.name).has_value()) {
      bool child_empty = false;
      TRESOR_RETURN_IF_ERROR(RemoveLeftoversLocked(path, &child_empty));
      if (child_empty) {
        TRESOR_ASSIGN_OR_RETURN(bool removed, fs_->RemoveDirIfEmpty(path));
        if (removed) {
          removed_any = true;
          continue;
        }
      }
    } else if (!entry.is_directory && entry.name.starts_with(kTempPrefix)) {
      // A write that crashed before its rename: never acknowledged.
      Status status = fs_->RemoveFile(path);
      if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
      removed_any = true;
      continue;
    }
    ++remaining;  // A value, a live directory, or a foreign file we leave alone.
  }
  if (removed_any) TRESOR_RETURN_IF_ERROR(fs_->SyncDir(dir));
  *now_empty = remaining == 0;
  return Status::Ok();
}

Status FileBackend::ReplayJournalLocked() {
  auto content = fs_->ReadFile(JournalPath());
  if (!content.ok() && content.status().code() != StatusCode::kNotFound) return content.status();
  if (content.ok()) {
    auto ops = DecodeJournal(*content);
    if (ops.ok()) {
      // The checksum proves the journal is complete, not that a person did
      // not write it: check every key before touching anything.
      for (const Operation& op : *ops) {
        if (!Locate(op.key).ok()) {
          return CorruptionError("storage directory " + dir_ +
                                 ": batch journal holds an invalid key; refusing to apply it");
        }
      }
      for (const Operation& op : *ops) {
        TRESOR_RETURN_IF_ERROR(op.type == Operation::Type::kPut ? PutFileLocked(op.key, op.value)
                                                                : DeleteFileLocked(op.key));
      }
    }
    // Either applied, or incomplete and so never acknowledged: drop it.
    Status status = fs_->RemoveFile(JournalPath());
    if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
  }
  // Always fsync: an earlier unlink of the journal may not be durable yet,
  // and a journal resurrected by a power cut would undo later writes.
  TRESOR_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  replay_pending_ = false;
  return Status::Ok();
}

Status FileBackend::CreateDirsDurablyLocked(const std::string& dir) {
  return CreateDirsDurably(fs_, dir);
}

Status FileBackend::PruneEmptyDirsLocked(std::string dir) {
  const std::string root = DataPath("");
  while (dir.size() > root.size() && dir.starts_with(root)) {
    TRESOR_ASSIGN_OR_RETURN(bool removed, fs_->RemoveDirIfEmpty(dir));
    if (!removed) break;
    dir = ParentDir(dir);
    TRESOR_RETURN_IF_ERROR(fs_->SyncDir(dir));
  }
  return Status::Ok();
}

Status FileBackend::PutFileLocked(std::string_view key, std::string_view value) {
  TRESOR_ASSIGN_OR_RETURN(KeyLocation location, Locate(key));
  std::string dir = DataPath(location.dir);
  std::string final_path = JoinPath(dir, location.file_name);
  Status status = CreateDirsDurablyLocked(dir);
  if (!status.ok()) {
    PruneEmptyDirsLocked(dir).IgnoreError();  // Best effort; Open prunes too.
    return status;
  }
  // A fresh random name per write: a crashed writer's leftover never clashes.
  std::string temp_path = JoinPath(dir, std::string(kTempPrefix) + RandomBase62(16));
  status = fs_->WriteNewFile(temp_path, EncodeValueFile(value));
  if (status.ok()) status = fs_->SyncFile(temp_path);
  if (status.ok()) status = fs_->Rename(temp_path, final_path);
  if (!status.ok()) {
    fs_->RemoveFile(temp_path).IgnoreError();  // May not exist; Open cleans up otherwise.
    PruneEmptyDirsLocked(dir).IgnoreError();
    return status;
  }
  return fs_->SyncDir(dir);
}

Status FileBackend::DeleteFileLocked(std::string_view key) {
  TRESOR_ASSIGN_OR_RETURN(KeyLocation location, Locate(key));
  std::string dir = DataPath(location.dir);
  Status status = fs_->RemoveFile(JoinPath(dir, location.file_name));
  if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
  // Sync even when the file was already gone: an earlier Delete may have
  // unlinked it and failed before its own fsync.
  status = fs_->SyncDir(dir);
  if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
  // The delete is durable; an empty directory left behind only costs a
  // listing entry until the next Open removes it.
  PruneEmptyDirsLocked(dir).IgnoreError();
  return Status::Ok();
}

Status FileBackend::CheckWritableLocked() {
  if (lock_ == nullptr) return FailedPreconditionError("storage directory " + dir_ + " is closed");
  if (replay_pending_) {
    Status status = ReplayJournalLocked();
    if (!status.ok()) {
      return status.WithContext("storage directory " + dir_ +
                                " cannot finish an interrupted batch");
    }
  }
  return Status::Ok();
}

StatusOr<std::shared_lock<std::shared_mutex>> FileBackend::LockForRead() {
  while (true) {
    {
      std::shared_lock lock(mu_);
      if (lock_ == nullptr) {
        return FailedPreconditionError("storage directory " + dir_ + " is closed");
      }
      if (!replay_pending_) return lock;
    }
    std::unique_lock lock(mu_);
    TRESOR_RETURN_IF_ERROR(CheckWritableLocked());
  }
}

StatusOr<std::optional<std::string>> FileBackend::Get(std::string_view key) {
  TRESOR_ASSIGN_OR_RETURN(KeyLocation location, Locate(key));
  TRESOR_ASSIGN_OR_RETURN(auto lock, LockForRead());
  auto content = fs_->ReadFile(JoinPath(DataPath(location.dir), location.file_name));
  if (!content.ok()) {
    if (content.status().code() == StatusCode::kNotFound) return std::optional<std::string>();
    return content.status();
  }
  TRESOR_ASSIGN_OR_RETURN(std::string value, DecodeValueFile(*content, key));
  return std::optional<std::string>(std::move(value));
}

Status FileBackend::Put(std::string_view key, std::string_view value) {
  TRESOR_RETURN_IF_ERROR(Locate(key).status());
  std::unique_lock lock(mu_);
  TRESOR_RETURN_IF_ERROR(CheckWritableLocked());
  return PutFileLocked(key, value);
}

Status FileBackend::Delete(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(Locate(key).status());
  std::unique_lock lock(mu_);
  TRESOR_RETURN_IF_ERROR(CheckWritableLocked());
  return DeleteFileLocked(key);
}

StatusOr<std::vector<std::string>> FileBackend::ListPage(std::string_view prefix,
                                                         std::string_view after,
                                                         std::size_t limit) {
  TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
  TRESOR_ASSIGN_OR_RETURN(std::string relative, LocatePrefix(prefix));
  TRESOR_ASSIGN_OR_RETURN(auto lock, LockForRead());
  auto entries = fs_->ListDir(DataPath(relative));
  if (!entries.ok()) {
    if (entries.status().code() == StatusCode::kNotFound) return std::vector<std::string>();
    return entries.status();
  }
  std::vector<std::string> names;
  for (const DirEntry& entry : *entries) {
    // Temp files start with '.', which no encoded name does; foreign files
    // fail strict decoding. Both stay hidden.
    if (entry.is_directory) {
      if (auto name = DecodeSegment(entry.name)) names.push_back(*name + "/");
    } else if (entry.name.starts_with(kValueFilePrefix)) {
      if (auto name = DecodeSegment(std::string_view(entry.name).substr(1))) {
        names.push_back(std::move(*name));
      }
    }
  }
  std::sort(names.begin(), names.end());
  auto first = std::upper_bound(names.begin(), names.end(), after,
                                [](std::string_view a, const std::string& b) { return a < b; });
  std::vector<std::string> page;
  for (auto it = first; it != names.end() && (limit == 0 || page.size() < limit); ++it) {
    page.push_back(std::move(*it));
  }
  return page;
}

Status FileBackend::Batch(const std::vector<Operation>& ops) {
  for (const Operation& op : ops) TRESOR_RETURN_IF_ERROR(Locate(op.key).status());
  std::unique_lock lock(mu_);
  TRESOR_RETURN_IF_ERROR(CheckWritableLocked());
  if (ops.empty()) return Status::Ok();

  Status status = fs_->WriteNewFile(JournalPath(), EncodeJournal(ops));
  if (status.ok()) status = fs_->SyncFile(JournalPath());
  if (status.ok()) status = fs_->SyncDir(dir_);
  if (!status.ok()) {
    // Nothing applied yet. Unless the journal is surely gone, a later replay
    // must settle it, and nothing else may be written before that.
    Status removed = fs_->RemoveFile(JournalPath());
    if (removed.ok() || removed.code() == StatusCode::kNotFound) removed = fs_->SyncDir(dir_);
    if (!removed.ok()) replay_pending_ = true;
    return status.WithContext("writing batch journal");
  }

  for (const Operation& op : ops) {
    status = op.type == Operation::Type::kPut ? PutFileLocked(op.key, op.value)
                                              : DeleteFileLocked(op.key);
    if (!status.ok()) {
      // Half applied: serve nothing until the journal has been replayed.
      replay_pending_ = true;
      return status.WithContext("applying batch");
    }
  }

  status = fs_->RemoveFile(JournalPath());
  if (status.ok()) status = fs_->SyncDir(dir_);
  // Every op is durable, so the batch succeeded; a journal we could not
  // remove is replayed (harmlessly) before the next write.
  if (!status.ok()) replay_pending_ = true;
  return Status::Ok();
}

Status FileBackend::Close() {
  std::unique_lock lock(mu_);
  if (lock_ == nullptr) return Status::Ok();
  return fs_->Unlock(std::move(lock_));
}

}  // namespace tresor::storage

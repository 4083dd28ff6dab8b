#include "storage/fault/fault_injecting_filesystem.h"

#include <thread>

namespace tresor::storage {
namespace {

std::string BaseName(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// One spelling per path, so that the durable image is keyed consistently.
std::string Clean(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

// Existence as far as we can tell; an unreadable path counts as absent.
bool ExistsOnBase(Filesystem* base, const std::string& path) {
  auto exists = base->FileExists(path);
  return exists.ok() && *exists;
}

Status Injected(std::string_view op, const std::string& path,
                StatusCode code = StatusCode::kIOError) {
  return Status(code, std::string(op) + " " + path + ": injected fault");
}

}  // namespace

FaultInjectingFilesystem::FaultInjectingFilesystem(Filesystem* base) : ForwardingFilesystem(base) {}

void FaultInjectingFilesystem::SleepIfSlow() const {
  std::chrono::microseconds delay;
  {
    std::lock_guard lock(mu_);
    delay = delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
}

Status FaultInjectingFilesystem::BeginMutationLocked(std::string_view op, const std::string& path) {
  ++mutations_;
  if (crash_after_.has_value()) {
    if (*crash_after_ == 0) return Injected(op, path);
    --*crash_after_;
  }
  return Status::Ok();
}

StatusOr<FaultInjectingFilesystem::InodeId> FaultInjectingFilesystem::InodeForLocked(
    const std::string& path) {
  if (auto it = live_inodes_.find(path); it != live_inodes_.end()) return it->second;
  // First sight of a file made before we were watching: it is durable as is.
  TRESOR_ASSIGN_OR_RETURN(std::string content, target()->ReadFile(path));
  InodeId id = next_inode_++;
  synced_content_[id] = std::move(content);
  live_inodes_[path] = id;
  return id;
}

Status FaultInjectingFilesystem::TrackDirLocked(const std::string& dir) {
  if (durable_dirs_.contains(dir)) return Status::Ok();
  DirImage image;
  auto entries = target()->ListDir(dir);
  if (!entries.ok() && entries.status().code() != StatusCode::kNotFound) return entries.status();
  if (entries.ok()) {
    for (const DirEntry& entry : *entries) {
      Entry e{entry.is_directory, 0};
      if (!entry.is_directory) {
        TRESOR_ASSIGN_OR_RETURN(e.inode, InodeForLocked(JoinPath(dir, entry.name)));
      }
      image[entry.name] = e;
    }
  }
  durable_dirs_[dir] = std::move(image);
  return Status::Ok();
}

bool FaultInjectingFilesystem::DurablyExistsLocked(const std::string& dir) const {
  std::string path = dir;
  while (true) {
    std::string parent = ParentDir(path);
    if (parent.empty() || parent == path) return true;
    if (auto it = durable_dirs_.find(parent); it != durable_dirs_.end()) {
      auto entry = it->second.find(BaseName(path));
      if (entry == it->second.end() || !entry->second.is_directory) return false;
    }
    path = parent;
  }
}

StatusOr<std::string> FaultInjectingFilesystem::ReadFile(const std::string& path) {
  SleepIfSlow();
  return target()->ReadFile(path);
}

Status FaultInjectingFilesystem::WriteNewFile(const std::string& raw_path, std::string_view data) {
  const std::string path = Clean(raw_path);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("write", path));
  TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(path)));
  // Truncating an existing file keeps its inode (and its synced content).
  InodeId id;
  if (live_inodes_.contains(path) || ExistsOnBase(target(), path)) {
    TRESOR_ASSIGN_OR_RETURN(id, InodeForLocked(path));
  } else {
    id = next_inode_++;
    synced_content_[id] = std::nullopt;
  }
  std::optional<Status> fault;
  if (fail_next_writes_ > 0) {
    --fail_next_writes_;
    fault = Injected("write", path);
  } else if (fail_all_writes_) {
    fault = Injected("write", path);
  } else if (disk_full_) {
    fault = Injected("write", path, StatusCode::kResourceExhausted);
  }
  // A failing write still leaves a torn file behind, as a real one can.
  Status status = target()->WriteNewFile(path, fault ? data.substr(0, data.size() / 2) : data);
  if (ExistsOnBase(target(), path)) live_inodes_[path] = id;
  return fault ? *fault : status;
}

Status FaultInjectingFilesystem::SyncFile(const std::string& raw_path) {
  const std::string path = Clean(raw_path);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("fsync", path));
  if (fail_sync_file_) return Injected("fsync", path);
  TRESOR_RETURN_IF_ERROR(target()->SyncFile(path));
  TRESOR_ASSIGN_OR_RETURN(InodeId id, InodeForLocked(path));
  TRESOR_ASSIGN_OR_RETURN(std::string content, target()->ReadFile(path));
  synced_content_[id] = std::move(content);
  return Status::Ok();
}

Status FaultInjectingFilesystem::Rename(const std::string& raw_from, const std::string& raw_to) {
  const std::string from = Clean(raw_from);
  const std::string to = Clean(raw_to);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("rename", from));
  TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(from)));
  TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(to)));
  TRESOR_ASSIGN_OR_RETURN(InodeId id, InodeForLocked(from));
  TRESOR_RETURN_IF_ERROR(target()->Rename(from, to));
  live_inodes_.erase(from);
  live_inodes_[to] = id;
  return Status::Ok();
}

Status FaultInjectingFilesystem::SyncDir(const std::string& raw_dir) {
  const std::string dir = Clean(raw_dir);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("fsync directory", dir));
  if (fail_sync_dir_) return Injected("fsync directory", dir);
  TRESOR_RETURN_IF_ERROR(target()->SyncDir(dir));
  TRESOR_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, target()->ListDir(dir));
  DirImage image;
  for (const DirEntry& entry : entries) {
    Entry e{entry.is_directory, 0};
    if (!entry.is_directory) {
      TRESOR_ASSIGN_OR_RETURN(e.inode, InodeForLocked(JoinPath(dir, entry.name)));
    }
    image[entry.name] = e;
  }
  durable_dirs_[dir] = std::move(image);
  return Status::Ok();
}

Status FaultInjectingFilesystem::RemoveFile(const std::string& raw_path) {
  const std::string path = Clean(raw_path);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("unlink", path));
  TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(path)));
  TRESOR_RETURN_IF_ERROR(target()->RemoveFile(path));
  live_inodes_.erase(path);
  return Status::Ok();
}

StatusOr<bool> FaultInjectingFilesystem::RemoveDirIfEmpty(const std::string& raw_dir) {
  const std::string dir = Clean(raw_dir);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("rmdir", dir));
  TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(dir)));
  return target()->RemoveDirIfEmpty(dir);
}

StatusOr<std::vector<DirEntry>> FaultInjectingFilesystem::ListDir(const std::string& dir) {
  SleepIfSlow();
  return target()->ListDir(dir);
}

StatusOr<std::vector<std::string>> FaultInjectingFilesystem::CreateDirs(
    const std::string& raw_dir) {
  const std::string dir = Clean(raw_dir);
  SleepIfSlow();
  std::lock_guard lock(mu_);
  TRESOR_RETURN_IF_ERROR(BeginMutationLocked("mkdir", dir));
  // Every directory about to appear changes its parent's entries.
  for (std::string path = dir; !path.empty() && path != "/"; path = ParentDir(path)) {
    TRESOR_ASSIGN_OR_RETURN(bool exists, target()->FileExists(path));
    if (exists) break;
    std::string parent = ParentDir(path);
    if (!parent.empty()) TRESOR_RETURN_IF_ERROR(TrackDirLocked(parent));
  }
  return target()->CreateDirs(dir);
}

StatusOr<bool> FaultInjectingFilesystem::FileExists(const std::string& path) {
  SleepIfSlow();
  return target()->FileExists(path);
}

StatusOr<std::unique_ptr<FileLock>> FaultInjectingFilesystem::LockFile(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    TRESOR_RETURN_IF_ERROR(TrackDirLocked(ParentDir(path)));
  }
  return target()->LockFile(path);
}

void FaultInjectingFilesystem::FailNextWrites(int count) {
  std::lock_guard lock(mu_);
  fail_next_writes_ = count;
}

void FaultInjectingFilesystem::SetFailAllWrites(bool fail) {
  std::lock_guard lock(mu_);
  fail_all_writes_ = fail;
}

void FaultInjectingFilesystem::SetDiskFull(bool full) {
  std::lock_guard lock(mu_);
  disk_full_ = full;
}

void FaultInjectingFilesystem::SetFailSyncFile(bool fail) {
  std::lock_guard lock(mu_);
  fail_sync_file_ = fail;
}

void FaultInjectingFilesystem::SetFailSyncDir(bool fail) {
  std::lock_guard lock(mu_);
  fail_sync_dir_ = fail;
}

void FaultInjectingFilesystem::CrashAfterMutations(std::size_t count) {
  std::lock_guard lock(mu_);
  crash_after_ = count;
}

void FaultInjectingFilesystem::SetDelayPerOp(std::chrono::microseconds delay) {
  std::lock_guard lock(mu_);
  delay_ = delay;
}

void FaultInjectingFilesystem::ClearFaults() {
  std::lock_guard lock(mu_);
  fail_next_writes_ = 0;
  fail_all_writes_ = false;
  disk_full_ = false;
  fail_sync_file_ = false;
  fail_sync_dir_ = false;
  crash_after_.reset();
  delay_ = std::chrono::microseconds(0);
}

std::size_t FaultInjectingFilesystem::MutationCountForTest() const {
  std::lock_guard lock(mu_);
  return mutations_;
}

Status FaultInjectingFilesystem::RemoveTreeOnBase(const std::string& path, bool is_directory) {
  if (!is_directory) return target()->RemoveFile(path);
  TRESOR_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, target()->ListDir(path));
  for (const DirEntry& entry : entries) {
    TRESOR_RETURN_IF_ERROR(RemoveTreeOnBase(JoinPath(path, entry.name), entry.is_directory));
  }
  return target()->RemoveDirIfEmpty(path).status();
}

Status FaultInjectingFilesystem::DropUnsyncedData() {
  std::lock_guard lock(mu_);
  // std::map order visits a directory before anything inside it.
  for (const auto& [dir, image] : durable_dirs_) {
    if (!DurablyExistsLocked(dir)) continue;  // Its lost parent entry took it away.
    TRESOR_RETURN_IF_ERROR(target()->CreateDirs(dir).status());
    TRESOR_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, target()->ListDir(dir));
    for (const DirEntry& entry : entries) {
      auto durable = image.find(entry.name);
      if (durable == image.end() || durable->second.is_directory != entry.is_directory) {
        TRESOR_RETURN_IF_ERROR(RemoveTreeOnBase(JoinPath(dir, entry.name), entry.is_directory));
      }
    }
    for (const auto& [name, entry] : image) {
      std::string path = JoinPath(dir, name);
      if (entry.is_directory) {
        TRESOR_RETURN_IF_ERROR(target()->CreateDirs(path).status());
        continue;
      }
      const std::optional<std::string>& content = synced_content_[entry.inode];
      if (content.has_value()) {
        TRESOR_RETURN_IF_ERROR(target()->WriteNewFile(path, *content));
      } else {
        Status status = target()->RemoveFile(path);  // Never synced: it vanishes.
        if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
      }
    }
  }
  // Whatever is on disk now is, by definition, what survived.
  synced_content_.clear();
  live_inodes_.clear();
  durable_dirs_.clear();
  return Status::Ok();
}

}  // namespace tresor::storage

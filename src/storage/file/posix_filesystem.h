// PosixFilesystem: Filesystem on the real disk with open/write/fsync/rename.
// Every system call is retried on EINTR, writes loop over short writes, and
// ENOSPC/EDQUOT become ResourceExhausted. Files are created 0600 and
// directories 0700 because they hold (encrypted) secrets.
//
// Who uses it: DefaultFilesystem(), hence FileBackend in production.
// Threads: stateless; every method is safe to call from many threads.
#pragma once

#include "storage/file/filesystem.h"

namespace tresor::storage {

class PosixFilesystem final : public Filesystem {
 public:
  StatusOr<std::string> ReadFile(const std::string& path) override;
  Status WriteNewFile(const std::string& path, std::string_view data) override;
  Status SyncFile(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  StatusOr<bool> RemoveDirIfEmpty(const std::string& dir) override;
  StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) override;
  StatusOr<std::vector<std::string>> CreateDirs(const std::string& dir) override;
  StatusOr<bool> FileExists(const std::string& path) override;
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  Status Unlock(std::unique_ptr<FileLock> lock) override;
};

}  // namespace tresor::storage

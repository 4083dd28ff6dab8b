// ForwardingFilesystem: a Filesystem that passes every call to another
// Filesystem, in the manner of leveldb's EnvWrapper. Derive from it and
// override only what a fake or a fault-injecting layer changes; the rest
// reaches the wrapped filesystem as is, and a method added to Filesystem
// later is forwarded here once rather than in every wrapper.
//
// Who uses it: storage/fault/fault_injecting_filesystem.h and the fakes of the
// file backend's tests.
// Threads: adds no state; as thread-safe as the wrapped filesystem.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file/filesystem.h"

namespace tresor::storage {

class ForwardingFilesystem : public Filesystem {
 public:
  // Forwards to target, which must outlive this object. A subclass may pass
  // the address of its own member: only the pointer is kept here.
  explicit ForwardingFilesystem(Filesystem* target) : target_(target) {}

  StatusOr<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  Status WriteNewFile(const std::string& path, std::string_view data) override {
    return target_->WriteNewFile(path, data);
  }
  Status SyncFile(const std::string& path) override { return target_->SyncFile(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  StatusOr<bool> RemoveDirIfEmpty(const std::string& dir) override {
    return target_->RemoveDirIfEmpty(dir);
  }
  StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  StatusOr<std::vector<std::string>> CreateDirs(const std::string& dir) override {
    return target_->CreateDirs(dir);
  }
  StatusOr<bool> FileExists(const std::string& path) override { return target_->FileExists(path); }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }
  Status Unlock(std::unique_ptr<FileLock> lock) override {
    return target_->Unlock(std::move(lock));
  }

  // The wrapped filesystem.
  Filesystem* target() const { return target_; }

 private:
  Filesystem* const target_;
};

}  // namespace tresor::storage

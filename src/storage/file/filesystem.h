// Filesystem: the handful of file operations the file storage backend needs,
// behind an interface so that tests can slide a fault-injecting layer
// (storage/fault/fault_injecting_filesystem.h) between the backend and the
// disk, in the style of leveldb's Env.
//
// Durability is explicit: WriteNewFile, Rename, RemoveFile and CreateDirs
// change what a running process sees, but survive a power loss only after
// SyncFile (for a file's content) and SyncDir (for the names in a directory,
// including newly created subdirectories) have returned OK.
//
// Who calls it: storage/file/file_backend.cc and the fault-injection tests.
// Errors: every method returns NotFound when the path (or a parent) does not
// exist, ResourceExhausted when the disk or a quota is full, IOError for any
// other failure; the message holds the operation, the path and the errno
// text. Paths are never secret; file contents never appear in a message.
// Threads: implementations are safe to call from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::storage {

// One entry of a directory listing ("." and ".." are never returned).
struct DirEntry {
  std::string name;
  // True for a real directory; false for files, symlinks and anything else.
  bool is_directory = false;
};

// An exclusive advisory lock returned by Filesystem::LockFile. Destroying it
// releases the lock too (for error paths); Filesystem::Unlock reports errors.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // The whole content of the file at path.
  virtual StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Creates path (mode 0600) or truncates it, and writes data. Not durable:
  // call SyncFile, and SyncDir on the parent for a new name. On error the
  // file may exist with part of data in it.
  virtual Status WriteNewFile(const std::string& path, std::string_view data) = 0;

  // Makes the content of path durable (fsync).
  virtual Status SyncFile(const std::string& path) = 0;

  // Atomically replaces `to` with `from` (rename(2)): a reader sees the old
  // file or the new one, never neither. Durable after SyncDir on the parents.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;

  // Makes the names in dir durable (fsync of the directory): files created,
  // renamed or removed in it, and subdirectories created or removed in it.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Removes the file at path. NotFound when there is none.
  virtual Status RemoveFile(const std::string& path) = 0;

  // Removes dir when it is an empty directory. Returns true when it was
  // removed, false when it is not empty or does not exist.
  virtual StatusOr<bool> RemoveDirIfEmpty(const std::string& dir) = 0;

  // The entries of dir, in no particular order.
  virtual StatusOr<std::vector<DirEntry>> ListDir(const std::string& dir) = 0;

  // Creates dir and any missing parent (mode 0700), like `mkdir -p`. Returns
  // the directories it created, outermost first, so that the caller can make
  // each one durable with SyncDir on its parent. An existing non-directory
  // in the way is an IOError.
  virtual StatusOr<std::vector<std::string>> CreateDirs(const std::string& dir) = 0;

  // Whether anything exists at path.
  virtual StatusOr<bool> FileExists(const std::string& path) = 0;

  // Takes an exclusive advisory lock (flock) on path, creating the file if
  // needed. Fails at once, with FailedPrecondition, when another process or
  // another LockFile call in this process holds it.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Releases a lock returned by LockFile of this same Filesystem.
  virtual Status Unlock(std::unique_ptr<FileLock> lock) = 0;
};

// The process-wide PosixFilesystem. Never destroyed, so it may be used from
// static destructors and from any thread.
Filesystem* DefaultFilesystem();

// "a/b/c" -> "a/b"; "c" -> "". Paths in this layer never end with '/'.
std::string ParentDir(std::string_view path);

// a + "/" + b; b when a is empty, a when b is empty.
std::string JoinPath(std::string_view a, std::string_view b);

}  // namespace tresor::storage

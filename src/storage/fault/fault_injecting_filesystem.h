// FaultInjectingFilesystem: a Filesystem wrapper for tests that makes the
// disk misbehave on demand and can simulate a power cut, in the spirit of
// leveldb's FaultInjectionTestEnv and rocksdb's FaultInjectionTestFS.
//
// It forwards every call to a base Filesystem (the real disk) and keeps, in
// memory, what a power cut would leave behind:
//   - for each file it has seen, the content as of its last SyncFile;
//   - for each directory it has seen change, the entries (name -> file or
//     subdirectory) as of its last SyncDir.
// Anything on disk before the wrapper first touched it counts as durable.
// DropUnsyncedData() rewrites the real directories to that durable state:
// file contents revert to their last synced bytes (a file never synced
// disappears), and creates, renames, unlinks, mkdirs and rmdirs not followed
// by a SyncDir of their directory are undone.
//
// Faults (each also counted by MutationCountForTest):
//   - FailNextWrites(n) / SetFailAllWrites: WriteNewFile writes half of its
//     data, then returns IOError (a torn write).
//   - SetDiskFull: WriteNewFile writes half, then returns ResourceExhausted.
//   - SetFailSyncFile / SetFailSyncDir: the fsync returns IOError and makes
//     nothing durable.
//   - CrashAfterMutations(n): the next n mutating calls (write, sync, rename,
//     remove, mkdir, rmdir) succeed, and every one after that fails with
//     IOError, as if the machine had died at that point; follow with
//     DropUnsyncedData() to see what survived.
//   - SetDelayPerOp: every call sleeps first (only for tests that need slow
//     I/O, e.g. to widen a race window; never as synchronisation).
// ReadFile, ListDir, FileExists and the lock calls are never failed.
//
// Who uses it: storage tests (file_backend_fault_test.cc) and any test that
// needs a misbehaving disk under a FileBackend.
// Threads: every method, knobs included, is thread-safe. DropUnsyncedData
// must not run concurrently with a user of the files (close the backend
// first), as a real power cut would not either.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "storage/file/forwarding_filesystem.h"

namespace tresor::storage {

class FaultInjectingFilesystem final : public ForwardingFilesystem {
 public:
  // base must outlive this object. Trailing slashes are ignored, but a path
  // must otherwise be spelt the same way each time (no "a/./b", no symlinks
  // to a tracked directory); FileBackend always builds them the same way.
  explicit FaultInjectingFilesystem(Filesystem* base);

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
  // Unlock is forwarded as is.

  // Knobs. Each takes effect for calls that start after it returns.
  void FailNextWrites(int count);
  void SetFailAllWrites(bool fail);
  void SetDiskFull(bool full);
  void SetFailSyncFile(bool fail);
  void SetFailSyncDir(bool fail);
  void CrashAfterMutations(std::size_t count);
  void SetDelayPerOp(std::chrono::microseconds delay);
  // Turns every knob off.
  void ClearFaults();

  // Simulates a power cut: the real files become what the last successful
  // syncs made durable (see the header comment). Afterwards everything on
  // disk counts as durable. Returns the first error of the base filesystem.
  Status DropUnsyncedData();

  // How many mutating calls were made (failed ones included).
  std::size_t MutationCountForTest() const;

 private:
  using InodeId = std::size_t;
  // A directory entry in the durable image: a file (by inode) or a subdir.
  struct Entry {
    bool is_directory = false;
    InodeId inode = 0;
  };
  using DirImage = std::map<std::string, Entry>;

  // Counts a mutation and applies the delay and crash knobs. Returns the
  // error to fail with, if any. REQUIRES: mu_ held.
  Status BeginMutationLocked(std::string_view op, const std::string& path);
  // The inode for the live file at path, adopting a file that existed
  // before this wrapper saw it as durable with its current content.
  StatusOr<InodeId> InodeForLocked(const std::string& path);
  // Records dir's durable image the first time dir is about to change.
  Status TrackDirLocked(const std::string& dir);
  // Whether dir exists in the durable image (its tracked ancestors list it).
  bool DurablyExistsLocked(const std::string& dir) const;
  Status RemoveTreeOnBase(const std::string& path, bool is_directory);
  void SleepIfSlow() const;

  mutable std::mutex mu_;
  // Inode contents as of their last SyncFile; nullopt when never synced.
  std::map<InodeId, std::optional<std::string>> synced_content_;  // GUARDED_BY(mu_)
  std::map<std::string, InodeId> live_inodes_;                    // GUARDED_BY(mu_)
  std::map<std::string, DirImage> durable_dirs_;                  // GUARDED_BY(mu_)
  InodeId next_inode_ = 1;                                        // GUARDED_BY(mu_)

  int fail_next_writes_ = 0;                // GUARDED_BY(mu_)
  bool fail_all_writes_ = false;            // GUARDED_BY(mu_)
  bool disk_full_ = false;                  // GUARDED_BY(mu_)
  bool fail_sync_file_ = false;             // GUARDED_BY(mu_)
  bool fail_sync_dir_ = false;              // GUARDED_BY(mu_)
  std::optional<std::size_t> crash_after_;  // GUARDED_BY(mu_)
  std::chrono::microseconds delay_{0};      // GUARDED_BY(mu_)
  std::size_t mutations_ = 0;               // GUARDED_BY(mu_)
};

}  // namespace tresor::storage

// FileBackend: storage::Backend on a local directory, one file per key.
// Serves `storage "file" { path = "..." }` (see storage/factory.h) and is the
// simplest persistent backend. docs/storage-file.md is the operator's copy of
// the rules below.
//
// Layout of the storage directory DIR:
//   DIR/LOCK            flock'ed while a FileBackend has DIR open
//   DIR/batch.journal   exists only while a Batch is being applied
//   DIR/data/           the keys: key "a/b/c" is the file data/a/b/_c, each
//                       segment encoded by storage/file/key_encoding.h
//   .tmp-<random>       a value being written, beside its final name
//
// Write protocol (all under one writer mutex):
//   Put     write a temp file in the key's directory, fsync it, rename it
//           over the final name, fsync the directory. Directories created on
//           the way are made durable by fsyncing each one's parent. A reader
//           sees the old or the new file, never a partial one.
//   Delete  unlink, fsync the directory, then remove parents left empty.
//   Batch   write all ops to batch.journal (checksummed), fsync it and DIR;
//           apply each op as above; unlink the journal and fsync DIR.
// Value files carry a length and a SHA-256 (storage/file/record_format.h):
// a damaged file is reported as Corruption, never served.
//
// Crash recovery (Open):
//   - take DIR/LOCK; FailedPrecondition if another process (or another
//     FileBackend in this process) holds it;
//   - remove leftover temp files and empty directories under data/;
//   - a batch.journal whose checksum is valid is re-applied (its ops are
//     idempotent), then removed; an invalid one is a batch that was never
//     acknowledged and is removed.
//
// If applying a batch fails half way (a disk error, not a crash), the backend
// refuses every call until re-applying the journal succeeds, which it tries
// again at the start of each call; readers never see a half-applied batch.
//
// Threads: all methods are thread-safe. Get and ListPage run concurrently
// with each other; Put, Delete and Batch are serialised and exclude readers.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>

#include "storage/backend.h"
#include "storage/file/filesystem.h"

namespace tresor::storage {

class FileBackend final : public Backend {
 public:
  // Opens (creating if needed) the storage directory dir and recovers it as
  // described above. fs must outlive the backend. Errors: FailedPrecondition
  // when dir is in use, InvalidArgument for an empty dir, or the first
  // filesystem error met during recovery.
  static StatusOr<std::unique_ptr<FileBackend>> Open(std::string dir,
                                                     Filesystem* fs = DefaultFilesystem());

  ~FileBackend() override;
  FileBackend(const FileBackend&) = delete;
  FileBackend& operator=(const FileBackend&) = delete;

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;
  // Releases DIR/LOCK; afterwards every call fails with FailedPrecondition.
  Status Close() override;

  // The storage directory as given to Open, without a trailing '/'.
  const std::string& dir() const { return dir_; }

 private:
  FileBackend(std::string dir, Filesystem* fs, std::unique_ptr<FileLock> lock);

  std::string DataPath(std::string_view relative) const;
  std::string JournalPath() const;

  // Every *Locked method REQUIRES: mu_ held exclusively.
  Status RecoverLocked();
  Status RemoveLeftoversLocked(const std::string& dir, bool* now_empty);
  Status ReplayJournalLocked();
  Status PutFileLocked(std::string_view key, std::string_view value);
  Status DeleteFileLocked(std::string_view key);
  Status CreateDirsDurablyLocked(const std::string& dir);
  Status PruneEmptyDirsLocked(std::string dir);
  // OK when the backend is open and not waiting for a journal replay; tries
  // the replay when one is pending.
  Status CheckWritableLocked();

  // A shared lock on mu_ for a reader, after making sure no journal replay is
  // pending (which needs the exclusive lock). Errors when closed or when the
  // replay fails.
  StatusOr<std::shared_lock<std::shared_mutex>> LockForRead();

  const std::string dir_;
  Filesystem* const fs_;
  std::shared_mutex mu_;
  std::unique_ptr<FileLock> lock_;  // GUARDED_BY(mu_); null once closed.
  // A batch failed after its journal became durable, or its journal could
  // not be removed: the journal must be replayed (or removed) before any
  // other call is served.
  bool replay_pending_ = false;  // GUARDED_BY(mu_)
};

}  // namespace tresor::storage

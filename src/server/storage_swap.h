// Replacing a file storage directory as a whole, atomically with respect to
// crashes, for `tresor operator backup restore`.
//
// Protocol, for a storage directory P (docs/backup.md has the operator's
// copy):
//   1. RemoveRestoreLeftovers: delete every sibling "P.restore-*" that an
//      earlier, interrupted restore left behind. The caller holds P's LOCK,
//      so no other restore of P runs.
//   2. StagingPathFor: the new state is built in "P.restore-<random>" (same
//      parent, so same file system) by a FileBackend, which fsyncs every
//      file and directory it writes; the caller closes it.
//   3. ExchangeDirectories: renameat2(RENAME_EXCHANGE) swaps P and the
//      staging directory in one step, then fsyncs the parent. At every
//      instant P names a whole directory: the old state or the new one.
//   4. The staging name now holds the old state; RemoveTree deletes it.
// What a crash (kill -9, power loss) leaves:
//   before 3: P is the old state, untouched; a partial or complete
//             "P.restore-*" is garbage that step 1 of the next restore
//             deletes (a server never looks at it).
//   during/after 3, before the parent fsync: P is the old or the new state
//             (power loss may undo the rename), each whole.
//   after 3:  P is the new state; "P.restore-*" holds the old one, deleted
//             by the next restore (or by hand).
// No marker file is needed because there is no half-swapped state.
// File systems without RENAME_EXCHANGE (EINVAL) are refused before
// anything changes.
//
// Who calls it: server/backup_restore.cc.
// Thread safety: stateless functions; concurrent calls on the same P are
// the caller's to prevent (P's LOCK).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/file/file_backend.h"

namespace tresor::server {

// "P.restore-<16 random hex digits>" for the storage directory `path`
// (a trailing '/' is ignored).
std::string StagingPathFor(const std::string& path);

// Deletes every directory entry "P.restore-*" beside P. Returns how many it
// removed; IOError when one cannot be removed.
StatusOr<int> RemoveRestoreLeftovers(const std::string& path);

// Atomically swaps the directories `a` and `b` (same parent) and fsyncs the
// parent. IOError (with the reason) when the swap fails, in which case
// neither moved; FailedPrecondition when the file system cannot swap
// atomically.
Status ExchangeDirectories(const std::string& a, const std::string& b);

// Deletes `path` and everything under it; OK when it does not exist.
Status RemoveTree(const std::string& path);

// fsyncs the directory `path`.
Status FsyncDirectory(const std::string& path);

// Opens the file storage of a server that must be stopped. Its LOCK being
// held becomes FailedPrecondition "a server is running on this storage
// (PATH); stop it first". With `must_exist`, a missing directory is
// NotFound instead of being created.
StatusOr<std::unique_ptr<storage::FileBackend>> OpenStoppedFileStorage(const std::string& path,
                                                                       bool must_exist);

}  // namespace tresor::server

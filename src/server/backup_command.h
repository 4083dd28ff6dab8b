// `tresor operator backup save|restore`: offline backup of a STOPPED server
// on `storage "file"`, as snapshot archives (docs/snapshot-format.md), for
// servers that have no raft snapshot endpoints. docs/backup.md is the
// operator's guide.
//
//   save    opens the storage (its LOCK proves no server runs on it),
//           unseals a core::Lifecycle over it with the given keys (to seal
//           SHA256SUMS with the cluster's root key and read the cluster id
//           and keyring term for meta.json), and writes every physical entry,
//           as stored (ciphertext), in key order with WriteArchiveFile (temp
//           name, fsync, verify, rename).
//   restore verifies the whole archive first (with keys: its sealed sums
//           must open under this storage's root key, i.e. same cluster;
//           with -force: that check is skipped), builds the new state in a
//           sibling directory and swaps it in (server/storage_swap.h says
//           what a crash at each step leaves).
//
// Who calls it: the registry (NewBackupCommand, server/commands.h); tests
// call SaveFileBackup and RestoreFileBackup directly.
// Thread safety: runs on the calling thread; the storage directory's LOCK
// keeps other processes (a server, another backup) out meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "command/command.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "snapshot/meta.h"

namespace tresor::server {

struct BackupResult {
  snapshot::Meta meta;
  std::uint64_t entries = 0;
};

// Saves the file storage at `storage_path` to `archive_path`, unsealing it
// with `keys` in memory. Errors: FailedPrecondition "a server is running on
// this storage; stop it first" when its LOCK is held, or when the storage
// is not initialised; InvalidArgument when the keys do not unseal it; the
// storage's and the archive writer's own errors otherwise. On error no file
// is left under `archive_path` (an existing one is untouched).
StatusOr<BackupResult> SaveFileBackup(const std::string& storage_path,
                                      const std::vector<SecureBytes>& keys,
                                      const std::string& archive_path);

// Replaces the file storage at `storage_path` with the archive at
// `archive_path`. With `force` false, `keys` must unseal the storage and
// the archive's sealed sums must open under its root key; with `force` true
// the keys are not needed and that check is skipped. Errors:
// FailedPrecondition (server running, uninitialised storage without
// force); InvalidArgument (wrong keys, or the archive is not this
// cluster's: the message names -force); the archive's Corruption /
// InvalidArgument; IOError. Whatever the error, the storage holds its old
// state whole (server/storage_swap.h).
StatusOr<BackupResult> RestoreFileBackup(const std::string& storage_path,
                                         const std::vector<SecureBytes>& keys, bool force,
                                         const std::string& archive_path);

// `operator backup save|restore ...`. Exit codes: 0 done, 1 failed
// (storage unchanged), 2 usage error.
std::unique_ptr<command::Command> NewBackupCommand();

}  // namespace tresor::server

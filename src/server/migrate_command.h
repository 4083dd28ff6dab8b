// `tresor operator migrate -config=MIGRATE.hcl [-start=KEY]`: copies every
// physical entry (ciphertext, no decryption) from one stopped server's
// storage to another's, as `vault operator migrate` does. The config file
// has Vault's shape:
//
//   storage_source "file" { path = "/var/lib/tresor" }
//   storage_destination "raft" { path = "/var/lib/tresor-raft"  node_id = "n1" }
//   cluster_addr = "http://127.0.0.1:8201"   # needed for a raft destination
//
// Both storages are opened with storage::CreateBackend; a file storage's
// LOCK or a raft node's cluster port being in use means a server runs on
// it, and the command stops before copying anything. A raft destination
// bootstraps a one-node cluster at its first write. The destination must
// be empty (as Vault refuses an initialised one), except with -start,
// which resumes an interrupted migration at KEY. Entries are copied in
// sorted order, in batches, then every one is read back from the
// destination and compared with the source.
//
// Who calls it: the registry (NewMigrateCommand, server/commands.h); tests
// call ParseMigrateConfig and MigrateEntries.
// Thread safety: runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "command/command.h"
#include "common/status.h"
#include "server/config.h"
#include "storage/backend.h"

namespace tresor::server {

struct MigrateConfig {
  StorageConfig source;
  StorageConfig destination;
  std::string cluster_addr;  // as written ("http://host:port"), may be empty
};

// Parses the migration config (HCL, or JSON when `filename` ends in
// ".json"). Exactly one storage_source and one storage_destination block,
// optionally cluster_addr; any other key is refused. InvalidArgument
// "<filename>:<line>: ..." otherwise. Options are kept as strings; their
// meaning is checked when the storage opens.
StatusOr<MigrateConfig> ParseMigrateConfig(std::string_view text, std::string_view filename);

struct MigrateResult {
  std::uint64_t copied = 0;    // entries written to the destination
  std::uint64_t verified = 0;  // entries read back equal
};

struct MigrateOptions {
  // Copy only keys at or after this one (Vault's -start); "" copies all.
  std::string start;
  // Entries per Batch, and the bytes of values a batch may carry before it
  // is sent (raft entries have a maximum size); a larger value goes alone.
  std::size_t batch_entries = 256;
  std::size_t batch_bytes = 256 * 1024;
  // Called after each batch with (copied so far, total to copy).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

// Copies the entries of `source` (at or after options.start) to
// `destination`, then checks that each reads back byte for byte.
// Errors: FailedPrecondition when the destination is not empty and no
// start key is given; Corruption naming the first key that does not read
// back equal; the backends' own errors otherwise.
StatusOr<MigrateResult> MigrateEntries(storage::Backend& source, storage::Backend& destination,
                                       const MigrateOptions& options);

// `operator migrate -config=FILE [-start=KEY]`. Exit codes: 0 migrated and
// verified, 1 failed, 2 usage error.
std::unique_ptr<command::Command> NewMigrateCommand();

}  // namespace tresor::server

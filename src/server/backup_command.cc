#include "server/backup_command.h"

#include <cstdio>
#include <string_view>

#include "common/clock.h"
#include "common/logging.h"
#include "core/lifecycle.h"
#include "server/config.h"
#include "server/offline_unseal.h"
#include "server/storage_swap.h"
#include "snapshot/archive_file.h"
#include "snapshot/sums_seal.h"

namespace tresor::server {
namespace {

constexpr char kUsage[] =
    R"(Usage: tresor operator backup save -config=FILE (-unseal-key=KEY ... | -key-file=PATH) ARCHIVE
       tresor operator backup restore -config=FILE (-unseal-key=KEY ... | -key-file=PATH | -force) ARCHIVE

  Offline backup of a STOPPED server on storage "file" (for raft storage use
  `tresor operator raft snapshot save|restore` against the running cluster).
  The archive is a snapshot archive, as `operator raft snapshot save` writes.

  save     writes every entry of the storage, as stored (encrypted), to
           ARCHIVE. The unseal keys seal its checksums with the cluster's
           root key. The file appears under its name only once complete
           and verified.
  restore  verifies the whole ARCHIVE, then replaces the storage with it in
           one atomic step. With unseal keys, the archive must come from
           this cluster (its sealed checksums open under the storage's root
           key). -force restores a backup of another cluster, or into empty
           storage; the server then unseals with that cluster's keys.

Options:
  -config=FILE        The server's configuration file (required)
  -unseal-key=KEY     An unseal key share (hex or base64); repeatable
  -key-file=PATH      A file with one unseal key share per line
  -force              restore only: skip the same-cluster check

Exit codes: 0 done, 1 failed (the storage is unchanged), 2 usage error.
)";

struct BackupFlags {
  std::string action;  // "save" or "restore"
  std::string config_file;
  UnsealKeyFlags keys;
  bool force = false;
  std::string archive;
  bool help = false;
};

StatusOr<BackupFlags> ParseBackupFlags(int argc, char** argv) {
  BackupFlags flags;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) == "--") arg.remove_prefix(1);
    TRESOR_ASSIGN_OR_RETURN(bool key_flag, ParseUnsealKeyFlag(arg, flags.keys));
    if (key_flag) continue;
    if (arg == "-h" || arg == "-help") {
      flags.help = true;
    } else if (arg.substr(0, 8) == "-config=") {
      flags.config_file = arg.substr(8);
    } else if (arg == "-force" || arg == "-force=true") {
      flags.force = true;
    } else if (!arg.empty() && arg.front() == '-') {
      return InvalidArgumentError("unknown flag \"" + std::string(arg) + "\"");
    } else if (flags.action.empty()) {
      if (arg != "save" && arg != "restore") {
        return InvalidArgumentError("unknown backup command \"" + std::string(arg) +
                                    "\"; use save or restore");
      }
      flags.action = arg;
    } else if (flags.archive.empty()) {
      flags.archive = arg;
    } else {
      return InvalidArgumentError("unexpected argument \"" + std::string(arg) + "\"");
    }
  }
  if (flags.help) return flags;
  if (flags.action.empty()) return InvalidArgumentError("say save or restore");
  if (flags.config_file.empty()) return InvalidArgumentError("-config=FILE is required");
  if (flags.archive.empty()) return InvalidArgumentError("the ARCHIVE file is required");
  if (flags.action == "save" && flags.force) {
    return InvalidArgumentError("-force applies to restore only");
  }
  if (flags.action == "save" && flags.keys.empty()) {
    return InvalidArgumentError(
        "save needs the unseal keys (-unseal-key=KEY ... or -key-file=PATH): they seal the "
        "archive's checksums with the cluster's root key");
  }
  if (flags.action == "restore" && flags.keys.empty() && !flags.force) {
    return InvalidArgumentError(
        "restore needs the unseal keys (-unseal-key=KEY ... or -key-file=PATH) to check that "
        "the archive comes from this cluster, or -force to restore it without that check");
  }
  if (flags.action == "restore" && !flags.keys.empty() && flags.force) {
    return InvalidArgumentError("give either unseal keys or -force, not both");
  }
  return flags;
}

// The storage path of a server configured with storage "file".
StatusOr<std::string> FileStoragePath(const std::string& config_file) {
  StatusOr<ServerConfig> config = LoadConfigFile(config_file);
  if (!config.ok()) {
    return Status(config.status().code(), "loading configuration: " + config.status().message());
  }
  if (!config->storage.has_value() || config->storage->type != "file") {
    return InvalidArgumentError(
        config_file +
        " does not use storage \"file\"; for raft storage, take snapshots from "
        "the running cluster with `tresor operator raft snapshot save|restore`");
  }
  return config->storage->options.at("path");
}

}  // namespace

StatusOr<BackupResult> SaveFileBackup(const std::string& storage_path,
                                      const std::vector<SecureBytes>& keys,
                                      const std::string& archive_path) {
  TRESOR_ASSIGN_OR_RETURN(auto physical, OpenStoppedFileStorage(storage_path, true));
  core::Lifecycle lifecycle(*physical, SystemClock::Get(), "");
  Status unsealed = UnsealWithKeys(lifecycle, keys);
  if (!unsealed.ok()) {
    return Status(unsealed.code(), "cannot unseal the storage: " + unsealed.message());
  }
  TRESOR_ASSIGN_OR_RETURN(core::SealStatus seal_status, lifecycle.GetSealStatus());
  TRESOR_ASSIGN_OR_RETURN(barrier::KeyStatus key_status, lifecycle.KeyStatus());

  // The server is stopped and its LOCK is ours, so both passes of the
  // writer see the same entries. Values go out exactly as stored.
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, storage::ListRecursive(*physical, ""));
  snapshot::RecordSource records = [&](const snapshot::RecordVisitor& visit) -> Status {
    for (const std::string& name : names) {
      TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> value, physical->Get(name));
      if (!value.has_value()) return InternalError("entry " + name + " vanished during the backup");
      TRESOR_RETURN_IF_ERROR(visit(name, *value));
    }
    return Status::Ok();
  };
  snapshot::Meta meta;
  const Clock::TimePoint now = SystemClock::Get().Now();
  meta.id = snapshot::NewSnapshotId(0, 0, now);  // file storage has no raft index or term
  meta.created_at = FormatRfc3339(now);
  meta.cluster_id = seal_status.cluster_id;
  meta.keyring_term = key_status.term;
  snapshot::RootKeySumsSeal seal(lifecycle.RootKeyBarrier());
  StatusOr<snapshot::Meta> written = snapshot::WriteArchiveFile(archive_path, meta, records, seal);
  lifecycle.Seal().IgnoreError();
  if (!written.ok()) return written.status();
  return BackupResult{*written, names.size()};
}

int RunBackupCommand(int argc, char** argv) {
  StatusOr<BackupFlags> flags = ParseBackupFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n\n%s", flags.status().message().c_str(), kUsage);
    return 2;
  }
  if (flags->help) {
    std::printf("%s", kUsage);
    return 0;
  }
  std::vector<SecureBytes> keys;
  if (!flags->keys.empty()) {
    StatusOr<std::vector<SecureBytes>> collected = CollectUnsealKeys(flags->keys);
    if (!collected.ok()) {
      std::fprintf(stderr, "Error: %s\n", collected.status().message().c_str());
      return 2;
    }
    keys = std::move(*collected);
  }
  StatusOr<std::string> storage_path = FileStoragePath(flags->config_file);
  if (!storage_path.ok()) {
    std::fprintf(stderr, "Error: %s\n", storage_path.status().message().c_str());
    return 1;
  }
  // Internal warnings (an unseal attempt that failed) repeat our own errors.
  SetLogLevel("error").IgnoreError();
  if (flags->action == "save") {
    StatusOr<BackupResult> saved = SaveFileBackup(*storage_path, keys, flags->archive);
    if (!saved.ok()) {
      std::fprintf(stderr, "Error saving the backup: %s\n", saved.status().message().c_str());
      return 1;
    }
    std::printf("Saved and verified backup to %s (%llu entries)\n", flags->archive.c_str(),
                static_cast<unsigned long long>(saved->entries));
    return 0;
  }
  StatusOr<BackupResult> restored =
      RestoreFileBackup(*storage_path, keys, flags->force, flags->archive);
  if (!restored.ok()) {
    std::fprintf(stderr, "Error restoring the backup, the storage is unchanged: %s\n",
                 restored.status().message().c_str());
    return 1;
  }
  std::printf("Restored %s (%llu entries) into %s\n", flags->archive.c_str(),
              static_cast<unsigned long long>(restored->entries), storage_path->c_str());
  if (flags->force) {
    std::printf(
        "This was a forced restore: start the server and unseal it with the keys of the cluster "
        "the backup came from (cluster id %s).\n",
        restored->meta.cluster_id.c_str());
  }
  return 0;
}

}  // namespace tresor::server

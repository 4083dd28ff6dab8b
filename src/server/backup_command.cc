#include "server/backup_command.h"

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
  // Walked, not listed: memory holds one entry and a page of names, not
  // every key of the storage.
  std::uint64_t entries = 0;
  snapshot::RecordSource records = [&](const snapshot::RecordVisitor& visit) -> Status {
    entries = 0;
    return storage::ForEachKey(*physical, "", [&](const std::string& name) -> Status {
      TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> value, physical->Get(name));
      if (!value.has_value()) return InternalError("entry " + name + " vanished during the backup");
      ++entries;
      return visit(name, *value);
    });
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
  return BackupResult{*written, entries};
}

namespace {

class BackupCommand final : public command::Command {
 public:
  std::string Help() const override {
    return R"(Usage: tresor operator backup save -config=FILE (-unseal-key=KEY ... | -key-file=PATH) ARCHIVE
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

Exit codes: 0 done, 1 failed (the storage is unchanged), 2 usage error.)";
  }

  void DefineFlags(command::FlagSet& flags) override {
    // As before the registry, flags may follow the action and the archive.
    flags.SetInterspersed(true);
    flags.String("config", &config_file_, "", "The server's configuration file (required).");
    AddUnsealKeyFlags(flags, &keys_);
    flags.Bool("force", &force_, false, "restore only: skip the same-cluster check.");
  }

  int Execute(const command::FlagSet& flags, command::CommandIo& io) override {
    if (std::string problem = Problem(flags.Args()); !problem.empty()) {
      return UsageError(flags, io, problem);
    }
    const std::string& action = flags.Args()[0];
    const std::string& archive = flags.Args()[1];
    std::vector<SecureBytes> keys;
    if (!keys_.empty()) {
      StatusOr<std::vector<SecureBytes>> collected = CollectUnsealKeys(keys_);
      if (!collected.ok()) {
        io.err << "Error: " << collected.status().message() << "\n";
        return command::kExitUsage;
      }
      keys = std::move(*collected);
    }
    StatusOr<std::string> storage_path = FileStoragePath(config_file_);
    if (!storage_path.ok()) {
      io.err << "Error: " << storage_path.status().message() << "\n";
      return command::kExitError;
    }
    // Internal warnings (an unseal attempt that failed) repeat our own errors.
    SetLogLevel("error").IgnoreError();
    if (action == "save") {
      StatusOr<BackupResult> saved = SaveFileBackup(*storage_path, keys, archive);
      if (!saved.ok()) {
        io.err << "Error saving the backup: " << saved.status().message() << "\n";
        return command::kExitError;
      }
      io.out << "Saved and verified backup to " << archive << " (" << saved->entries
             << " entries)\n";
      return command::kExitOk;
    }
    StatusOr<BackupResult> restored = RestoreFileBackup(*storage_path, keys, force_, archive);
    if (!restored.ok()) {
      io.err << "Error restoring the backup, the storage is unchanged: "
             << restored.status().message() << "\n";
      return command::kExitError;
    }
    io.out << "Restored " << archive << " (" << restored->entries << " entries) into "
           << *storage_path << "\n";
    if (force_) {
      io.out << "This was a forced restore: start the server and unseal it with the keys of the "
                "cluster the backup came from (cluster id "
             << restored->meta.cluster_id << ").\n";
    }
    return command::kExitOk;
  }

 private:
  // What is wrong with the command line, "" when nothing is.
  std::string Problem(const std::vector<std::string>& args) const {
    if (!args.empty() && args[0] != "save" && args[0] != "restore") {
      return "unknown backup command \"" + args[0] + "\"; use save or restore";
    }
    if (args.size() > 2) return "unexpected argument \"" + args[2] + "\"";
    if (args.empty()) return "say save or restore";
    if (config_file_.empty()) return "-config=FILE is required";
    if (args.size() < 2) return "the ARCHIVE file is required";
    const bool save = args[0] == "save";
    if (save && force_) return "-force applies to restore only";
    if (save && keys_.empty()) {
      return "save needs the unseal keys (-unseal-key=KEY ... or -key-file=PATH): they seal the "
             "archive's checksums with the cluster's root key";
    }
    if (!save && keys_.empty() && !force_) {
      return "restore needs the unseal keys (-unseal-key=KEY ... or -key-file=PATH) to check "
             "that the archive comes from this cluster, or -force to restore it without that "
             "check";
    }
    if (!save && !keys_.empty() && force_) return "give either unseal keys or -force, not both";
    return "";
  }

  std::string config_file_;
  UnsealKeyFlags keys_;
  bool force_ = false;
};

}  // namespace

std::unique_ptr<command::Command> NewBackupCommand() { return std::make_unique<BackupCommand>(); }

}  // namespace tresor::server

// `tresor operator raft snapshot save [-stale] FILE` and
// `tresor operator raft snapshot restore [-force] FILE`: the client side of
// sys/storage/raft/snapshot[-force] (with -to, of a point-in-time restore:
// pitr_target.h). Neither holds a snapshot in memory:
// save streams the download into a temporary file that is fsynced, read
// back and verified before it is renamed to FILE (snapshot/archive_file.h),
// restore streams the file as the request body.
//
// Exit codes, as Vault's raft commands: 0 on success, 2 for usage and for
// errors (from the server, the network, or a damaged download).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/pitr_target.h"
#include "cli/commands/snapshot_upload.h"
#include "cli/progress.h"
#include "snapshot/archive_file.h"

namespace tresor::cli {
namespace {

constexpr char kSnapshotApiPath[] = "/v1/sys/storage/raft/snapshot";

class OperatorRaftSnapshotSaveCommand final : public ApiCommand {
 public:
  OperatorRaftSnapshotSaveCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot save [options] <snapshot_file>\n\n"
           "  Saves a snapshot of the cluster's state to a file. The download goes to\n"
           "  a temporary file beside it, which is synced to disk, read back and\n"
           "  checked against its SHA256SUMS, and only then renamed: an interrupted\n"
           "  save never leaves a partial file under the final name.\n\n"
           "      $ tresor operator raft snapshot save raft.snap\n\n"
           "  -stale asks the node at TRESOR_ADDR for its own copy of the state, even\n"
           "  when it is a standby or the cluster has no leader: how old it may be is\n"
           "  printed from the server's X-Tresor-Last-Contact header.";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("stale", &stale_, false,
               "Save this node's own state without asking the active node (for a cluster "
               "without a leader).");
  }

  int Run(ApiContext& context) override {
    const std::string& file = context.args()[0];
    std::string path = std::string(kSnapshotApiPath) + (stale_ ? "?stale=true" : "");
    HttpResponse error;
    int http_status = 0;
    ProgressReporter progress("saved", std::nullopt, context.io.err);
    StatusOr<snapshot::Meta> saved =
        snapshot::WriteVerified(file, [&](const snapshot::ByteSink& sink) -> Status {
          TRESOR_ASSIGN_OR_RETURN(http_status,
                                  context.client.Download(path, sink, &error, progress.Callback()));
          if (http_status / 100 != 2) {
            return ApiErrorStatus("GET", context.client.url().Format(path), error);
          }
          return Status::Ok();
        });
    progress.Finish(saved.ok());
    if (!saved.ok()) {
      context.io.err << "Error taking the snapshot: " << saved.status().message() << "\n";
      return kExitUsage;
    }
    context.io.out << "Saved and verified snapshot to index " << saved->index << "\n";
    return kExitOk;
  }

 private:
  bool stale_ = false;
};

class OperatorRaftSnapshotRestoreCommand final : public ApiCommand {
 public:
  OperatorRaftSnapshotRestoreCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot restore [options] <snapshot_file>\n\n"
           "  Installs the snapshot, returning the cluster to the state it holds. The\n"
           "  server verifies the whole file before it changes anything.\n\n"
           "      $ tresor operator raft snapshot restore raft.snap\n\n"
           "  -force installs a snapshot of another cluster (or into a server that is\n"
           "  not initialised yet): the server then seals itself and unseals with the\n"
           "  keys of the cluster the snapshot came from.\n\n"
           "  -to=<RFC 3339 time | raft index> restores to a point in time instead,\n"
           "  from the target of a snapshot-auto schedule with pitr_enabled: a\n"
           "  directory on the server's machine or s3://bucket/prefix. The server\n"
           "  restores the newest snapshot before the point and replays the archived\n"
           "  writes up to it; a gap in the archive is refused, never skipped.\n\n"
           "      $ tresor operator raft snapshot restore -to=2026-12-07T04:59:00Z \\\n"
           "          /var/backups/tresor/";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("force", &force_, false,
               "Install the snapshot even though it was not taken from this cluster.");
    flags.String("to", &to_, "",
                 "Restore to this point (RFC 3339 time or raft index) from a schedule's target.");
    target_flags_.Define(flags);
  }

  int Run(ApiContext& context) override {
    const std::string& file = context.args()[0];
    if (!to_.empty()) return RunPitrRestore(context, file, target_flags_, to_, force_);
    HttpResponse answer;
    const std::string path = std::string(kSnapshotApiPath) + (force_ ? "-force" : "");
    if (int failed = UploadSnapshotFile(context, path, file, "installing the snapshot", &answer)) {
      return failed;
    }
    // A snapshot the server's keys do not open leaves it sealed: say what next.
    StatusOr<Json> seal = context.client.Call("GET", "/v1/sys/seal-status");
    if (seal.ok() && seal->value("sealed", false)) {
      context.io.err << "The server sealed itself: unseal it with the keys of the cluster the "
                        "snapshot came from.\n";
    }
    return kExitOk;
  }

 private:
  bool force_ = false;
  std::string to_;
  PitrTargetFlags target_flags_;
};

}  // namespace

int UploadSnapshotFile(ApiContext& context, const std::string& path, const std::string& file,
                       std::string_view doing, HttpResponse* answer) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info;
  if (fd < 0 || ::fstat(fd, &info) != 0) {
    context.io.err << "Error opening the snapshot file " << file << ": " << std::strerror(errno)
                   << "\n";
    if (fd >= 0) ::close(fd);
    return kExitUsage;
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  ProgressReporter progress("uploaded", size, context.io.err);
  StatusOr<HttpResponse> response =
      context.client.Upload("POST", path, fd, size, progress.Callback());
  ::close(fd);
  progress.Finish(response.ok() && response->status / 100 == 2);
  if (!response.ok()) return ApiFailure(context.io, doing, response.status());
  if (response->status / 100 != 2) {
    return ApiFailure(context.io, doing,
                      ApiErrorStatus("POST", context.client.url().Format(path), *response));
  }
  *answer = std::move(*response);
  return kExitOk;
}

std::unique_ptr<Command> NewOperatorRaftSnapshotSaveCommand() {
  return std::make_unique<OperatorRaftSnapshotSaveCommand>();
}

std::unique_ptr<Command> NewOperatorRaftSnapshotRestoreCommand() {
  return std::make_unique<OperatorRaftSnapshotRestoreCommand>();
}

}  // namespace tresor::cli

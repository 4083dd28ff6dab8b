// RestoreFileBackup (backup_command.h): verify everything, stage the new
// state beside the storage directory, swap it in (storage_swap.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "core/lifecycle.h"
#include "server/backup_command.h"
#include "server/offline_unseal.h"
#include "common/crash_point.h"
#include "server/storage_swap.h"
#include "snapshot/archive_reader.h"
#include "snapshot/byte_stream.h"
#include "snapshot/sums_seal.h"
#include "storage/file/file_backend.h"

namespace tresor::server {
namespace {

Status ReadArchiveAt(int fd, const snapshot::ReadOptions& options,
                     const snapshot::MetaVisitor& on_meta, const snapshot::RecordVisitor& record) {
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return IOError(std::string("cannot read the archive: ") + std::strerror(errno));
  }
  return snapshot::ReadArchive(snapshot::FileSource(fd), options, on_meta, record);
}

// The error for an archive that does not verify; nothing has changed.
Status Refused(const Status& why, bool force) {
  if (why.code() == StatusCode::kPermissionDenied && !force) {
    return InvalidArgumentError(
        "the archive does not verify against this storage's keys: " + why.message() +
        ". If it really is a backup of another cluster, restore it with -force; the server then "
        "unseals with that cluster's keys");
  }
  return Status(why.code(), "the archive does not verify: " + why.message());
}

// Writes the verified archive's records into a new FileBackend at
// `staging`, durably. The records are checked again as they stream (the
// file could change between passes); any error leaves `staging` for the
// caller to remove.
Status StageArchive(int fd, const snapshot::ReadOptions& options, const std::string& staging) {
  TRESOR_ASSIGN_OR_RETURN(auto staged, storage::FileBackend::Open(staging));
  bool first = true;
  Status written =
      ReadArchiveAt(fd, options, {}, [&](std::string_view key, std::string_view value) -> Status {
        TRESOR_RETURN_IF_ERROR(staged->Put(key, value));
        if (first) CrashPointForTest("staging");
        first = false;
        return Status::Ok();
      });
  Status closed = staged->Close();
  return written.ok() ? closed : written;
}

}  // namespace

StatusOr<BackupResult> RestoreFileBackup(const std::string& storage_path,
                                         const std::vector<SecureBytes>& keys, bool force,
                                         const std::string& archive_path) {
  int fd = ::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFoundError("cannot open " + archive_path + ": " + std::strerror(errno));
  std::unique_ptr<int, void (*)(int*)> close_fd(&fd, [](int* f) { ::close(*f); });

  // Holding the storage's LOCK from here to the swap keeps a server (and
  // another restore) out. Only -force may create the storage directory:
  // without it there would be no keys to check the archive against.
  std::error_code missing;
  if (!force && !std::filesystem::is_directory(storage_path, missing)) {
    return FailedPreconditionError("there is no storage at " + storage_path +
                                   " to check the archive against: restore with -force");
  }
  TRESOR_ASSIGN_OR_RETURN(auto physical, OpenStoppedFileStorage(storage_path, false));
  std::unique_ptr<core::Lifecycle> lifecycle;
  std::optional<snapshot::RootKeySumsSeal> seal;
  if (!force) {
    lifecycle = std::make_unique<core::Lifecycle>(*physical, SystemClock::Get(), "");
    Status unsealed = UnsealWithKeys(*lifecycle, keys);
    if (unsealed.code() == StatusCode::kFailedPrecondition) {
      return FailedPreconditionError(
          "this storage is not initialised, so it has no keys to check the archive against: "
          "restore with -force");
    }
    if (!unsealed.ok()) {
      return Status(unsealed.code(), "cannot unseal the storage: " + unsealed.message());
    }
    seal.emplace(lifecycle->RootKeyBarrier());
  }
  snapshot::ReadOptions options;
  options.seal = seal.has_value() ? &*seal : nullptr;

  // 1. The whole archive verifies, and every key is one storage can hold,
  //    before anything changes.
  BackupResult result;
  Status verified = ReadArchiveAt(
      fd, options,
      [&result](const snapshot::Meta& meta) {
        result.meta = meta;
        return Status::Ok();
      },
      [&result](std::string_view key, std::string_view) -> Status {
        ++result.entries;
        return storage::ValidateKey(key);
      });
  if (!verified.ok()) return Refused(verified, force);

  // 2. What an interrupted restore left behind goes first.
  TRESOR_RETURN_IF_ERROR(RemoveRestoreLeftovers(storage_path).status());

  // 3. The new state, complete and durable, beside the old one.
  const std::string staging = StagingPathFor(storage_path);
  Status staged = StageArchive(fd, options, staging);
  if (!staged.ok()) {
    RemoveTree(staging).IgnoreError();
    return staged.code() == StatusCode::kIOError ? staged : Refused(staged, force);
  }
  CrashPointForTest("staged");

  // 4. One atomic swap; the staging name then holds the old state.
  if (lifecycle != nullptr) lifecycle->Seal().IgnoreError();
  Status swapped = ExchangeDirectories(storage_path, staging);
  if (!swapped.ok()) {
    RemoveTree(staging).IgnoreError();
    return swapped;
  }
  CrashPointForTest("swapped");
  lifecycle.reset();
  physical->Close().IgnoreError();  // its LOCK file moved with the old state
  Status removed = RemoveTree(staging);
  if (!removed.ok()) {
    // The restore is done; only the old copy is left over.
    std::fprintf(stderr, "Warning: the old state could not be removed: %s\n",
                 removed.message().c_str());
  }
  return result;
}

}  // namespace tresor::server

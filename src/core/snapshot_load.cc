#include "core/snapshot_load.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "common/random.h"
#include "snapshot/archive_file.h"
#include "snapshot/archive_reader.h"

namespace tresor::core {
LoadedSnapshots::~LoadedSnapshots() {
  if (loaded_) ::unlink(loaded_->path.c_str());
}

void LoadedSnapshots::DropExpiredLocked() {
  if (loaded_ && clock_.Now() - loaded_->loaded_at >= kLifetime) {
    ::unlink(loaded_->path.c_str());
    loaded_.reset();
  }
}

nlohmann::json LoadedSnapshots::DescribeLocked(const Loaded& loaded) const {
  return {{"snapshot_id", loaded.id},
          {"cluster_id", loaded.meta.cluster_id},
          {"created_at", loaded.meta.created_at},
          {"index", loaded.meta.index},
          {"loaded_at", FormatRfc3339(loaded.loaded_at)},
          {"expires_at", FormatRfc3339(loaded.loaded_at + kLifetime)},
          {"status", "ready"}};
}

StatusOr<nlohmann::json> LoadedSnapshots::Load(const snapshot::ByteSource& in,
                                               const snapshot::SumsSeal& seal) {
  std::lock_guard lock(mutex_);
  DropExpiredLocked();
  if (loaded_) {
    return InvalidArgumentError("snapshot " + loaded_->id +
                                " is loaded already: unload it first (DELETE "
                                "sys/storage/raft/snapshot-load/" + loaded_->id + ")");
  }
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir_, ec);
  Loaded loaded;
  loaded.id = RandomUuid();
  loaded.path = scratch_dir_ + "/loaded-" + loaded.id + ".snap";
  auto saved = snapshot::SaveVerified(loaded.path, in);
  if (!saved.ok()) {
    return InvalidArgumentError("snapshot refused, nothing was loaded: " + saved.status().message());
  }
  // Only this cluster's: its values decrypt with this keyring.
  int fd = ::open(loaded.path.c_str(), O_RDONLY | O_CLOEXEC);
  snapshot::ReadOptions options;
  options.seal = &seal;
  Status sealed = fd < 0 ? IOError("cannot read back " + loaded.path)
                  : snapshot::ReadArchive(snapshot::FileSource(fd), options, nullptr, nullptr);
  if (fd >= 0) ::close(fd);
  if (!sealed.ok()) {
    ::unlink(loaded.path.c_str());
    return InvalidArgumentError("snapshot refused, nothing was loaded: " + sealed.message());
  }
  loaded.meta = std::move(*saved);
  loaded.loaded_at = clock_.Now();
  loaded_ = std::move(loaded);
  return DescribeLocked(*loaded_);
}

std::vector<std::string> LoadedSnapshots::List() {
  std::lock_guard lock(mutex_);
  DropExpiredLocked();
  if (!loaded_) return {};
  return {loaded_->id};
}

StatusOr<LoadedSnapshots::Loaded> LoadedSnapshots::Find(const std::string& id) {
  std::lock_guard lock(mutex_);
  DropExpiredLocked();
  if (!loaded_ || loaded_->id != id) {
    return NotFoundError("no snapshot " + id +
                         " is loaded on this node (snapshots are unloaded after 72 hours, and "
                         "when the active node changes)");
  }
  return *loaded_;
}

StatusOr<nlohmann::json> LoadedSnapshots::Describe(const std::string& id) {
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, Find(id));
  std::lock_guard lock(mutex_);
  return DescribeLocked(loaded);
}

Status LoadedSnapshots::Unload(const std::string& id) {
  TRESOR_RETURN_IF_ERROR(Find(id).status());
  std::lock_guard lock(mutex_);
  if (loaded_ && loaded_->id == id) {
    ::unlink(loaded_->path.c_str());
    loaded_.reset();
  }
  return Status::Ok();
}

Status LoadedSnapshots::Scan(
    const Loaded& loaded, const std::function<Status(std::string_view, std::string_view)>& visit) {
  int fd = ::open(loaded.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot read the loaded snapshot " + loaded.id);
  Status read = snapshot::ReadArchive(snapshot::FileSource(fd), {}, nullptr, visit);
  ::close(fd);
  return read;
}

StatusOr<std::optional<std::string>> LoadedSnapshots::Read(const std::string& id,
                                                           const std::string& key) {
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, Find(id));
  std::optional<std::string> value;
  bool passed = false;  // the scan stops once past the key: keys are in order
  Status read = Scan(loaded, [&](std::string_view k, std::string_view v) -> Status {
    if (k < key) return Status::Ok();
    if (k == key) value = std::string(v);
    passed = true;
    return FailedPreconditionError("stop");
  });
  if (!read.ok() && !passed) return read;
  return value;
}

Status LoadedSnapshots::ForEachUnder(
    const std::string& id, const std::string& prefix,
    const std::function<Status(std::string_view, std::string_view)>& visit) {
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, Find(id));
  bool passed = false;  // keys are in order: the scan stops after the prefix
  Status read = Scan(loaded, [&](std::string_view k, std::string_view v) -> Status {
    if (k < prefix) return Status::Ok();
    if (!k.starts_with(prefix)) {
      passed = true;
      return FailedPreconditionError("stop");
    }
    return visit(k, v);
  });
  return read.ok() || passed ? Status::Ok() : read;
}

StatusOr<std::vector<std::string>> LoadedSnapshots::KeysUnder(const std::string& id,
                                                              const std::string& prefix,
                                                              std::size_t limit) {
  std::vector<std::string> keys;
  TRESOR_RETURN_IF_ERROR(ForEachUnder(id, prefix, [&](std::string_view k, std::string_view) {
    if (keys.size() == limit) {
      return InvalidArgumentError("more than " + std::to_string(limit) +
                                  " keys under the path in the snapshot: use a narrower one");
    }
    keys.emplace_back(k);
    return Status::Ok();
  }));
  return keys;
}

}  // namespace tresor::core

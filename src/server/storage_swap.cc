#include "server/storage_swap.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "common/encoding.h"
#include "common/random.h"

namespace tresor::server {
namespace {

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string ParentOf(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

std::string StagingPathFor(const std::string& path) {
  return WithoutTrailingSlash(path) + ".restore-" + HexEncode(RandomBytes(8));
}

StatusOr<int> RemoveRestoreLeftovers(const std::string& path) {
  const std::filesystem::path storage(WithoutTrailingSlash(path));
  const std::string prefix = storage.filename().string() + ".restore-";
  std::error_code error;
  std::filesystem::directory_iterator it(ParentOf(storage.string()), error);
  if (error) return IOError("cannot list the directory of " + path + ": " + error.message());
  // Collected first: removing while iterating may skip or repeat entries.
  std::vector<std::string> leftovers;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) leftovers.push_back(entry.path().string());
  }
  for (const std::string& leftover : leftovers) TRESOR_RETURN_IF_ERROR(RemoveTree(leftover));
  return static_cast<int>(leftovers.size());
}

Status FsyncDirectory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot open " + path + ": " + std::strerror(errno));
  int synced = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (synced != 0) return IOError("cannot fsync " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

Status ExchangeDirectories(const std::string& a, const std::string& b) {
  const std::string first = WithoutTrailingSlash(a), second = WithoutTrailingSlash(b);
  // Both entries durable before they swap (the staging one is new).
  TRESOR_RETURN_IF_ERROR(FsyncDirectory(ParentOf(first)));
  if (::renameat2(AT_FDCWD, first.c_str(), AT_FDCWD, second.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno == EINVAL || errno == ENOSYS) {
      return FailedPreconditionError(
          "this file system cannot swap directories atomically (renameat2 RENAME_EXCHANGE), so "
          "the storage directory cannot be replaced safely");
    }
    return IOError("cannot swap " + first + " and " + second + ": " + std::strerror(errno));
  }
  // Both names live in one parent: one fsync makes the swap durable.
  return FsyncDirectory(ParentOf(first));
}

Status RemoveTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) return IOError("cannot remove " + path + ": " + error.message());
  return Status::Ok();
}

StatusOr<std::unique_ptr<storage::FileBackend>> OpenStoppedFileStorage(const std::string& path,
                                                                       bool must_exist) {
  std::error_code error;
  if (must_exist && !std::filesystem::is_directory(path, error)) {
    return NotFoundError("no storage directory at " + path);
  }
  StatusOr<std::unique_ptr<storage::FileBackend>> backend = storage::FileBackend::Open(path);
  if (backend.status().code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError("a server is running on this storage (" + path +
                                   "); stop it first");
  }
  return backend;
}

}  // namespace tresor::server

#include "cli/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace tresor::cli {
namespace {

Status Errno(const std::string& what) { return IOError(what + ": " + std::strerror(errno)); }

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "." : path.substr(0, slash);
  if (directory.empty()) directory = "/";
  // mkstemp creates the file 0600 whatever the umask, so a secret is private
  // from its first byte; fchmod below only ever narrows or keeps that for
  // the token (0600) and widens it for ordinary files (policies).
  std::string temp = path + ".tmp.XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) return Errno("creating a temporary file in " + directory);
  auto fail = [&](const std::string& what) {
    Status status = Errno(what);
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    return status;
  };
  if (fchmod(fd, mode) != 0) return fail("setting the mode of " + temp);
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("writing " + temp);
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("syncing " + temp);
  int closed = close(fd);
  fd = -1;
  if (closed != 0) return fail("closing " + temp);
  if (rename(temp.c_str(), path.c_str()) != 0) return fail("renaming " + temp + " to " + path);
  // Make the rename durable. A failure here leaves the new file in place.
  int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("opening " + directory + " to sync it");
  int synced = fsync(dir_fd);
  close(dir_fd);
  if (synced != 0) return Errno("syncing " + directory);
  return Status::Ok();
}

}  // namespace tresor::cli

#include "cli/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace tresor::cli {
namespace {

// "<action> <target>[ <suffix>]: <strerror>". Built with appends rather than
// "literal" + std::string, which trips GCC 12's -Wrestrict false positive
// at -O2.
Status Errno(std::string_view action, const std::string& target, std::string_view suffix = {}) {
  std::string message(action);
  message += ' ';
  message += target;
  if (!suffix.empty()) {
    message += ' ';
    message += suffix;
  }
  message += ": ";
  message += std::strerror(errno);
  return IOError(std::move(message));
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  size_t slash = path.rfind('/');
  // "/x" lives in "/"; "x" in ".". (Built in one expression: assigning "/"
  // afterwards trips GCC 12's -Wrestrict false positive at -O2.)
  const std::string directory = slash == std::string::npos ? std::string(".")
                                : slash == 0               ? std::string("/")
                                                           : path.substr(0, slash);
  // mkstemp creates the file 0600 whatever the umask, so a secret is private
  // from its first byte; fchmod below only ever narrows or keeps that for
  // the token (0600) and widens it for ordinary files (policies).
  std::string temp = path;
  temp += ".tmp.XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0) return Errno("creating a temporary file in", directory);
  auto fail = [&](std::string_view action, const std::string& suffix = {}) {
    Status status = Errno(action, temp, suffix);
    if (fd >= 0) close(fd);
    unlink(temp.c_str());
    return status;
  };
  if (fchmod(fd, mode) != 0) return fail("setting the mode of");
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("writing");
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("syncing");
  int closed = close(fd);
  fd = -1;
  if (closed != 0) return fail("closing");
  if (rename(temp.c_str(), path.c_str()) != 0) {
    std::string over = "over ";
    over += path;
    return fail("renaming", over);
  }
  // Make the rename durable. A failure here leaves the new file in place.
  int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("opening", directory, "to sync it");
  int synced = fsync(dir_fd);
  close(dir_fd);
  if (synced != 0) return Errno("syncing", directory);
  return Status::Ok();
}

}  // namespace tresor::cli

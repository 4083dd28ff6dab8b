#include "http/raw_body_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "common/check.h"

namespace tresor::http {
namespace {

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

StatusOr<RawBodyFile> RawBodyFile::Create(const std::filesystem::path& dir_in) {
  std::filesystem::path dir = dir_in;
  if (dir.empty()) {
    std::error_code ec;
    dir = std::filesystem::temp_directory_path(ec);
    if (ec) return IOError("no temporary directory for the request body: " + ec.message());
  }
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this file system (or kernel): a named file, unlinked
    // before anyone else could learn its random name matters.
    std::string pattern = (dir / "tresor-body-XXXXXX").string();
    fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd >= 0 && ::unlink(pattern.c_str()) != 0) {
      const std::string why = ErrnoText();
      ::close(fd);
      return IOError("cannot unlink the temporary file for the request body in " + dir.string() +
                     ": " + why);
    }
  }
  if (fd < 0) {
    return IOError("cannot create a temporary file for the request body in " + dir.string() + ": " +
                   ErrnoText());
  }
  return RawBodyFile(fd);
}

RawBodyFile::RawBodyFile(RawBodyFile&& other) noexcept : fd_(other.fd_), size_(other.size_) {
  other.fd_ = -1;
}

RawBodyFile::~RawBodyFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RawBodyFile::Append(std::string_view bytes) {
  TRESOR_CHECK(fd_ >= 0);
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return IOError("cannot store the request body in a temporary file: " + ErrnoText());
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
    size_ += static_cast<std::uint64_t>(written);
  }
  return Status::Ok();
}

std::shared_ptr<const core::RawBody> RawBodyFile::Finish() {
  TRESOR_CHECK(fd_ >= 0);
  const int fd = fd_;
  fd_ = -1;
  return std::make_shared<const core::RawBody>(fd, size_);
}

}  // namespace tresor::http

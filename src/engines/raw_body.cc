#include "engines/raw_body.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace tresor::logical {

RawBody::RawBody(int fd, std::uint64_t size) : fd_(fd), size_(size) {}

RawBody::~RawBody() { ::close(fd_); }

Status RawBody::ReadAll(const std::function<Status(std::string_view)>& sink) const {
  if (size_ == 0) return Status::Ok();
  std::vector<char> buffer(
      static_cast<std::size_t>(std::min<std::uint64_t>(size_, kReadChunkBytes)));
  std::uint64_t offset = 0;
  while (offset < size_) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(size_ - offset, buffer.size()));
    const ssize_t got = ::pread(fd_, buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("reading the request body from its temporary file: ") +
                     std::strerror(errno));
    }
    if (got == 0) {
      return IOError("the request body's temporary file is shorter than the body (" +
                     std::to_string(offset) + " of " + std::to_string(size_) + " bytes)");
    }
    TRESOR_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), static_cast<std::size_t>(got))));
    offset += static_cast<std::uint64_t>(got);
  }
  return Status::Ok();
}

}  // namespace tresor::logical

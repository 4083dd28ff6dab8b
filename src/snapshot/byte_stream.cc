#include "snapshot/byte_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tresor::snapshot {

ByteSource FileSource(int fd) {
  return [fd](char* buf, std::size_t cap) -> StatusOr<std::size_t> {
    while (true) {
      ssize_t n = ::read(fd, buf, cap);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      return IOError(std::string("reading the snapshot failed: ") + std::strerror(errno));
    }
  };
}

ByteSink FileSink(int fd) {
  return [fd](std::string_view chunk) -> Status {
    while (!chunk.empty()) {
      ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IOError(std::string("writing the snapshot failed: ") + std::strerror(errno));
      }
      chunk.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::Ok();
  };
}

}  // namespace tresor::snapshot

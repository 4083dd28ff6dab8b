// A request body kept verbatim in an unlinked temporary file instead of in
// memory: what a handler gets (logical::Request::raw_body) for the few paths
// that take an arbitrarily large, non-JSON body, such as a snapshot upload
// (POST sys/storage/raft/snapshot). http/ writes the file while it reads the
// body from the socket (see http/raw_body_file.h) and hands it over read-only;
// the handler reads it, as many times as it likes, with ReadAll.
//
// The file has no name (O_TMPFILE, or mkstemp then unlink), so it vanishes
// when the last RawBody referring to it is destroyed, even if the process
// dies.
//
// Thread safety: immutable after construction; ReadAll uses pread and no
// shared offset, so concurrent calls from several threads are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace tresor::logical {

class RawBody {
 public:
  // How much ReadAll hands to its sink at a time (the last piece may be
  // shorter): large enough for throughput, small enough to bound memory.
  static constexpr std::size_t kReadChunkBytes = 1024 * 1024;

  // Takes ownership of `fd`, an open, readable file whose first `size` bytes
  // are the body; the destructor closes it. REQUIRES: fd >= 0.
  RawBody(int fd, std::uint64_t size);
  ~RawBody();
  RawBody(const RawBody&) = delete;
  RawBody& operator=(const RawBody&) = delete;

  // The number of bytes in the body.
  std::uint64_t size() const { return size_; }
  // The file descriptor, for callers that want to hand the file to another
  // API (sendfile, mmap). Valid as long as this object lives. Do not close
  // it, and use pread/pwrite-style calls: the file offset is not ours to
  // rely on.
  int fd() const { return fd_; }

  // Calls `sink` with the body from its first byte to its last, in pieces of
  // at most kReadChunkBytes (none for an empty body); each view is valid
  // only during its call. Stops at, and returns, the first non-OK status of
  // `sink`. Returns IOError if the file cannot be read or is shorter than
  // size(). May be called any number of times.
  Status ReadAll(const std::function<Status(std::string_view)>& sink) const;

 private:
  const int fd_;
  const std::uint64_t size_;
};

}  // namespace tresor::logical

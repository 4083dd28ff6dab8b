// A request body the handler reads as it comes off the socket, never held
// whole: what a handler gets (logical::Request::raw_body) for the few paths
// that take an arbitrarily large, non-JSON body, such as a snapshot upload
// (POST sys/storage/raft/snapshot). http/ builds it with a pull function
// that reads the next piece from the connection (and sends 100 Continue
// first when the client asked for it), so a handler that refuses the
// request before reading makes the client send nothing more, and a restore
// stages the archive while it arrives instead of after a copy to disk.
//
// Read once: what was read is not kept. A handler that does not read the
// body to its end gets its answer sent all the same, and the connection is
// then closed.
//
// Thread safety: one reader at a time (the handler's thread). The methods
// are const because requests carry the body as shared_ptr<const RawBody>;
// reading advances the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace tresor::logical {

class RawBody {
 public:
  // The next piece of the body, valid until the next call; empty at its
  // end. An error ends the body.
  using Pull = std::function<StatusOr<std::string_view>()>;

  // `declared_size`: the Content-Length the client sent, if any (a chunked
  // body has none).
  RawBody(std::optional<std::uint64_t> declared_size, Pull pull);
  RawBody(const RawBody&) = delete;
  RawBody& operator=(const RawBody&) = delete;

  std::optional<std::uint64_t> declared_size() const { return declared_size_; }
  // True when the client declared an empty body.
  bool empty() const { return declared_size_ == std::uint64_t{0}; }

  // Copies up to `capacity` of the next bytes of the body to `buffer` and
  // returns how many; 0 once it has all been read. Small reads (a
  // decompressor's) are served from the piece pulled last.
  StatusOr<std::size_t> Read(char* buffer, std::size_t capacity) const;

  // Calls `sink` with the rest of the body, piece by piece, each view valid
  // only during its call. Stops at, and
  // returns, the first error of the body or of `sink`.
  Status ReadAll(const std::function<Status(std::string_view)>& sink) const;

  // Bytes read so far, and whether the body was read to its end.
  std::uint64_t bytes_read() const { return bytes_read_; }
  bool finished() const { return finished_; }

 private:
  const std::optional<std::uint64_t> declared_size_;
  const Pull pull_;
  mutable std::uint64_t bytes_read_ = 0;
  mutable bool finished_ = false;
  mutable bool failed_ = false;
  // Pulled and not yet read.
  mutable std::string_view unread_;
  // Pulls the next piece into unread_; false at the body's end.
  StatusOr<bool> Refill() const;
};

}  // namespace tresor::logical

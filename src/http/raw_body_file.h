// Writes a request body that a handler wants raw (core::RequestHandler::
// WantsRawBody) into an unlinked temporary file, piece by piece as it comes
// off the socket, and hands the finished file over as a core::RawBody.
//
// Called by connection.cc on a worker thread (disk writes never run on an
// I/O thread); unit-tested without sockets.
//
// The file is created with O_TMPFILE (no name ever exists) in the system's
// temporary directory ($TMPDIR, else /tmp); where the file system lacks
// O_TMPFILE it is created with mkstemp and unlinked at once. Mode 0600
// either way: the body may be a snapshot of the whole (encrypted) store.
//
// Thread safety: one RawBodyFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "core/request.h"

namespace tresor::http {

// The largest raw request body accepted (64 GiB); a larger one is answered
// 413. The listener's max_request_size does not apply to raw bodies.
inline constexpr std::uint64_t kMaxRawBodyBytes = 64ull * 1024 * 1024 * 1024;

class RawBodyFile {
 public:
  // Creates the unlinked file in `dir`, or in the system's temporary
  // directory when `dir` is empty. Returns IOError naming the directory and
  // the reason when it cannot.
  static StatusOr<RawBodyFile> Create(const std::filesystem::path& dir = {});

  RawBodyFile(RawBodyFile&& other) noexcept;
  RawBodyFile& operator=(RawBodyFile&&) = delete;
  RawBodyFile(const RawBodyFile&) = delete;
  ~RawBodyFile();  // closes the file unless Finish took it

  // Appends `bytes`. Returns IOError (for example when the disk is full);
  // the file is then unusable. REQUIRES: Finish has not been called.
  Status Append(std::string_view bytes);

  // Bytes appended so far.
  std::uint64_t size() const { return size_; }

  // Hands the file over, read-only, with everything appended so far.
  // REQUIRES: called once.
  std::shared_ptr<const core::RawBody> Finish();

 private:
  explicit RawBodyFile(int fd) : fd_(fd) {}

  int fd_;  // -1 once Finish took it or after a move
  std::uint64_t size_ = 0;
};

}  // namespace tresor::http

// The state image: a self-describing, checksummed copy of a StateStore's
// whole key/value state and its applied index. Raft snapshots carry it
// between nodes, and StateStore::LoadImage installs it. The writer is
// StateStore::SaveImage; the reader is used by LoadImage and ImageIndex, and
// by tools that inspect a snapshot.
//
// Format (every integer big endian):
//
//   "TRSTATE1"                    8 bytes, the magic (and format version)
//   applied index                 u64
//   repeated, keys in strictly increasing byte order:
//     key length                  u32 (1..kMaxStateKeyBytes)
//     key                         bytes
//     value length                u32
//     value                       bytes
//   SHA-256                       32 bytes over everything before it
//
// The checksum is verified before any record is parsed, so a truncated or
// altered image is rejected as a whole; a caller never acts on part of one.
// An image holds the values as stored (barrier ciphertext), never plaintext.
//
// Threads: StateImageWriter is a plain value with one owner; ParseStateImage
// is a pure function, safe on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::raft {

// LMDB's default maximum key size; StateStore refuses longer keys, so an
// image holding one is malformed.
inline constexpr std::size_t kMaxStateKeyBytes = 511;

// Builds an image record by record.
class StateImageWriter {
 public:
  explicit StateImageWriter(std::uint64_t applied_index);

  // Appends one record. REQUIRES: key non-empty, at most kMaxStateKeyBytes,
  // greater than the previous key; value shorter than 4 GiB (a StateStore
  // holds nothing else).
  void Add(std::string_view key, std::string_view value);

  // Appends the checksum and returns the finished image. The writer is empty
  // afterwards and must not be used again.
  std::string Finish();

 private:
  std::string image_;
};

// Verifies image (length, magic, checksum, record structure, key order) and
// then reports its applied index and calls `record` once per key, in order.
// The views passed to `record` point into image. A callback error stops the
// walk and is returned.
// Errors: InvalidArgument when the image is too short or does not start with
// the magic; Corruption when the checksum fails or the records are malformed.
// Nothing is passed to `record` unless the whole image verified.
Status ParseStateImage(
    std::string_view image, std::uint64_t* applied_index,
    const std::function<Status(std::string_view key, std::string_view value)>& record);

}  // namespace tresor::raft

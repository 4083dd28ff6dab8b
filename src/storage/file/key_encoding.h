// How the file backend turns storage keys into file names (documented for
// operators in docs/storage-file.md).
//
// Each '/'-separated key segment is encoded on its own: bytes in
// [A-Za-z0-9-] are kept, every other byte (including '_', '.', '%', space,
// and non-ASCII bytes) becomes "%XX" with upper-case hex. So an encoded
// segment never is "", "." or "..", never holds '/' or NUL, and never starts
// with '_' or '.'. That leaves two name spaces free for the backend:
//   - value files are "_" + encoded last segment, so the key "a" (file "_a")
//     and the key "a/b" (directory "a", file "_b") can coexist;
//   - internal files (temporary files) start with '.', so they can never be
//     mistaken for a key.
// Decoding is strict (only the canonical encoding decodes), so a stray file
// dropped into the directory is ignored rather than misread.
//
// Limits: an encoded segment may be at most kMaxEncodedSegmentBytes (so that
// "_" + segment fits NAME_MAX = 255) and a whole encoded key at most
// kMaxEncodedKeyBytes (well under PATH_MAX = 4096, leaving room for the
// storage directory). Longer keys are refused with InvalidArgument.
//
// Who calls it: file_backend.cc. Threads: stateless, thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::storage {

inline constexpr std::size_t kMaxEncodedSegmentBytes = 254;
inline constexpr std::size_t kMaxEncodedKeyBytes = 3072;
inline constexpr char kValueFilePrefix = '_';

// The encoded form of one key segment (may exceed the limits; see below).
std::string EncodeSegment(std::string_view segment);

// The segment that encodes to name, or nullopt when name is not the
// canonical encoding of a non-empty segment.
std::optional<std::string> DecodeSegment(std::string_view name);

// Where a key lives, relative to the backend's data directory.
struct KeyLocation {
  std::string dir;        // Encoded parent segments joined by '/'; "" for the top.
  std::string file_name;  // kValueFilePrefix + encoded last segment.
};

// REQUIRES: ValidateKey(key) is OK. InvalidArgument when a segment or the
// whole key is too long once encoded.
StatusOr<KeyLocation> LocateKey(std::string_view key);

// The encoded directory for a list prefix ("" or "a/b/"), relative to the
// data directory. REQUIRES: ValidatePrefix(prefix) is OK. InvalidArgument
// when too long once encoded.
StatusOr<std::string> LocatePrefix(std::string_view prefix);

}  // namespace tresor::storage

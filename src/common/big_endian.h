// Big-endian integers in byte strings, for the binary formats that cross
// between nodes and files (raft state images and streams, the cluster
// handshake). Threads: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tresor {

// Appends the low `bytes` bytes of value, most significant first.
inline void AppendBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// The unsigned integer in `bytes` (at most 8), most significant first.
inline std::uint64_t ReadBigEndian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

}  // namespace tresor

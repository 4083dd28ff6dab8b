// The state stream: a node's whole key/value state and its applied index as
// a sequence of bytes that is written and read piece by piece, never held
// whole. A follower that falls behind the leader's last raft snapshot
// receives it over the cluster port (raft/state_transfer.h) and installs it
// record by record (StateStore::Installer), so neither side needs memory in
// proportion to the state.
//
// Format (every integer big endian):
//
//   "TRSTATE2"                    8 bytes, the magic (and format version)
//   applied index                 u64
//   repeated, keys in strictly increasing byte order:
//     key length                  u32 (1..kMaxStateKeyBytes)
//     key                         bytes
//     value length                u32
//     value                       bytes
//   0                             u32, the end of the records
//   SHA-256                       32 bytes over everything before it
//
// It is TRSTATE1 (raft/state_image.h) with an end marker, so that a reader
// knows where the records stop without knowing the length in advance. A
// reader checks the structure as it goes and the checksum only at the end:
// what it has passed on before ReadStateStream returns Ok is provisional,
// and the installer makes it visible only after that (its Finish).
// The records are the values as stored (barrier ciphertext), never plaintext.
//
// Threads: both functions run on the caller's thread and keep no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace tresor::raft {

// Pieces handed to the sink are at most this large (and at least this large
// except for the last), so the sink can write each with one system call.
inline constexpr std::size_t kStateStreamPieceBytes = 256 * 1024;

// No value can be larger: every value reached the store in one raft entry,
// and entries are at most 64 MiB (max_entry_size's upper bound). A reader
// refuses a larger length rather than allocate for it.
inline constexpr std::size_t kMaxStateValueBytes = 64 << 20;

using StateRecordVisitor = std::function<Status(std::string_view key, std::string_view value)>;

// Writes the stream of the state that `for_each` walks (keys in increasing
// order, as StateStore::View::ForEach gives them) at `applied_index` to
// `sink`. A sink or walk error stops the stream and is returned; the reader
// then sees a truncated stream and refuses it.
Status WriteStateStream(std::uint64_t applied_index,
                        const std::function<Status(const StateRecordVisitor&)>& for_each,
                        const std::function<Status(std::string_view piece)>& sink);

// Reads one stream through `read_exact` (fills the whole buffer or fails).
// `header` gets the applied index before any record (an error from it stops
// the read: a caller that wants a newer state gives up early); `record`
// gets each record in order. Returns Ok once the end marker and checksum
// verified. Errors: InvalidArgument for a bad magic; Corruption for a
// malformed record, keys out of order or a checksum mismatch; read_exact's
// error (a truncated stream) otherwise.
Status ReadStateStream(const std::function<Status(char* buffer, std::size_t size)>& read_exact,
                       const std::function<Status(std::uint64_t applied_index)>& header,
                       const StateRecordVisitor& record);

// A read_exact over bytes held in memory (tests, small states): reads from
// `*offset` on, Unavailable once fewer than asked for are left.
std::function<Status(char* buffer, std::size_t size)> ReadExactFrom(std::string_view bytes,
                                                                    std::size_t* offset);

}  // namespace tresor::raft

// The constants of Tresor's snapshot archive format, version 1: member names
// and order, size caps, the state.bin magic and record limits. The format is
// described byte for byte in docs/snapshot-format.md; change both together.
//
// Who uses it: the writer (archive_writer.h), the reader (archive_reader.h),
// the state.bin codec (state_codec.h) and tests.
// Thread safety: constants only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tresor::snapshot {

// meta.json "version": the only version this code reads and writes.
inline constexpr int kFormatVersion = 1;

inline constexpr std::string_view kMetaMember = "meta.json";
inline constexpr std::string_view kStateMember = "state.bin";
inline constexpr std::string_view kSumsMember = "SHA256SUMS";
inline constexpr std::string_view kSealedSumsMember = "SHA256SUMS.sealed";
// The members of an archive, in the only order allowed.
inline constexpr std::array<std::string_view, 4> kMembers = {kMetaMember, kStateMember, kSumsMember,
                                                             kSealedSumsMember};

// Caps on member sizes (state.bin has none: its size is meta.json's "size").
inline constexpr std::uint64_t kMaxMetaSize = 64 * 1024;
inline constexpr std::uint64_t kMaxSumsSize = 4 * 1024;
inline constexpr std::uint64_t kMaxSealedSumsSize = 4 * 1024;

// state.bin: the magic, then records {u32 BE key length, key, u32 BE value
// length, value} with keys strictly increasing in byte order.
inline constexpr std::string_view kStateMagic = "TRSNAPv1";
inline constexpr std::size_t kMaxKeySize = 4096;
inline constexpr std::size_t kMaxValueSize = 512u * 1024 * 1024;
// Bytes of a record besides its key and value (the two lengths).
inline constexpr std::size_t kRecordOverhead = 8;

// The AAD under which the cluster's seal protects SHA256SUMS.
inline constexpr std::string_view kSealedSumsAad = "snapshot/SHA256SUMS";

}  // namespace tresor::snapshot

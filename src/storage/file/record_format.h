// The two on-disk record formats of the file backend (specified for
// operators in docs/storage-file.md): value files and the batch journal.
// Both carry a SHA-256 (OpenSSL) over their content so that bit rot,
// truncation and torn writes are detected and reported as Corruption
// instead of being served.
//
// Value file ("_<segment>"), all integers little-endian:
//   magic "TRV1" (4) | content length u64 (8) | SHA-256 of content (32) | content
// Journal file ("batch.journal"):
//   magic "TRJ1" (4) | op count u32 (4) | ops... | SHA-256 of all bytes before (32)
//   op = type u8 (1 = put, 2 = delete) | key length u32 | key
//        | (put only) value length u64 | value
//
// Who calls it: file_backend.cc. Threads: stateless, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/backend.h"

namespace tresor::storage {

// The bytes of a value file holding value.
std::string EncodeValueFile(std::string_view value);

// The value held by a value file. Corruption (naming key, never the value)
// when the header, the length or the checksum does not match.
StatusOr<std::string> DecodeValueFile(std::string_view file, std::string_view key);

// The bytes of a journal recording ops, in order.
std::string EncodeJournal(const std::vector<Operation>& ops);

// The ops recorded in a journal. Corruption when the journal is incomplete
// or damaged: such a batch was never acknowledged and must be discarded.
StatusOr<std::vector<Operation>> DecodeJournal(std::string_view file);

}  // namespace tresor::storage

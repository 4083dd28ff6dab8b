// state.bin, the records of a snapshot: the 8-byte magic "TRSNAPv1", then
// records {u32 BE key length (1..4096), key, u32 BE value length (<= 512
// MiB), value}, keys strictly increasing in byte order, nothing after the
// last record (docs/snapshot-format.md). Values are the storage's bytes as
// stored (barrier ciphertext); this code never looks inside them.
//
// RecordOrderCheck enforces the record rules for writer and reader;
// AppendRecordHeader encodes; StateDecoder is an incremental (push) parser
// that streams records out of state.bin chunk by chunk. It holds one record
// at most, so its memory is bounded by the largest value, not the state.
//
// Who calls it: archive_writer.cc, archive_reader.cc, tests.
// Thread safety: objects belong to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "snapshot/byte_stream.h"

namespace tresor::snapshot {

// Checks each record in turn against the rules above.
class RecordOrderCheck {
 public:
  // Ok when a record with this key and value size may follow the previous
  // one. InvalidArgument naming the broken rule otherwise (the message does
  // not include key bytes).
  Status Check(std::string_view key, std::uint64_t value_size);
  std::uint64_t records() const { return records_; }

 private:
  std::string previous_key_;
  std::uint64_t records_ = 0;
};

// Bytes of one encoded record.
inline std::uint64_t EncodedRecordSize(std::string_view key, std::string_view value) {
  return 8 + key.size() + value.size();
}

// Appends the 4-byte big-endian encoding of `length` to `out`.
void AppendU32BigEndian(std::uint32_t length, std::string& out);

class StateDecoder {
 public:
  // `total_size` is state.bin's size as its tar header says; a record that
  // claims to run past it is refused at once instead of being buffered.
  explicit StateDecoder(std::uint64_t total_size) : bytes_left_(total_size) {}

  // Parses the next bytes of state.bin, calling `visitor` for every record
  // completed by them (views valid during the call only). Returns
  // InvalidArgument "state.bin: ..." for a broken structure, or the first
  // error of `visitor`, unchanged. After an error, do not call again.
  Status Feed(std::string_view chunk, const RecordVisitor& visitor);

  // Ok when exactly total_size bytes were fed and they ended after a whole
  // record (or after the magic, for no records); InvalidArgument otherwise.
  Status Finish() const;

  std::uint64_t records() const { return check_.records(); }

 private:
  enum class Stage { kMagic, kKeyLength, kKey, kValueLength, kValue };

  // Handles one complete field of the current stage; `remaining` is the
  // number of state.bin bytes after it.
  Status Process(std::string_view field, std::uint64_t remaining, const RecordVisitor& visitor);

  Stage stage_ = Stage::kMagic;
  std::size_t need_ = 8;      // bytes of the current field
  std::string partial_;       // the current field when it spans chunks
  std::string key_;           // the key of the record being read
  std::uint64_t bytes_left_;  // bytes of state.bin not yet fed
  RecordOrderCheck check_;
};

}  // namespace tresor::snapshot

#include "raft/state_stream.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/big_endian.h"
#include "common/sha256.h"
#include "raft/state_image.h"

namespace tresor::raft {
namespace {

constexpr std::string_view kStreamMagic = "TRSTATE2";

// Collects bytes into pieces of kStateStreamPieceBytes, hashing everything
// that passes through.
class PieceWriter {
 public:
  explicit PieceWriter(const std::function<Status(std::string_view)>& sink) : sink_(sink) {
    buffer_.reserve(kStateStreamPieceBytes);
  }

  Status Append(std::string_view bytes) {
    hash_.Update(bytes);
    while (!bytes.empty()) {
      std::size_t room = kStateStreamPieceBytes - buffer_.size();
      std::size_t take = std::min(room, bytes.size());
      buffer_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (buffer_.size() == kStateStreamPieceBytes) TRESOR_RETURN_IF_ERROR(Flush());
    }
    return Status::Ok();
  }

  // Appends the checksum (not itself hashed) and sends what is left.
  Status Finish() {
    buffer_.append(hash_.Finish());
    return Flush();
  }

 private:
  Status Flush() {
    Status sent = sink_(buffer_);
    buffer_.clear();
    return sent;
  }

  const std::function<Status(std::string_view)>& sink_;
  std::string buffer_;
  Sha256 hash_;
};

}  // namespace

Status WriteStateStream(std::uint64_t applied_index,
                        const std::function<Status(const StateRecordVisitor&)>& for_each,
                        const std::function<Status(std::string_view piece)>& sink) {
  PieceWriter out(sink);
  std::string head(kStreamMagic);
  AppendBigEndian(head, applied_index, 8);
  TRESOR_RETURN_IF_ERROR(out.Append(head));
  std::string lengths;
  TRESOR_RETURN_IF_ERROR(for_each([&](std::string_view key, std::string_view value) -> Status {
    if (key.empty() || key.size() > kMaxStateKeyBytes || value.size() > kMaxStateValueBytes) {
      return CorruptionError("state stream: a stored record is out of range");
    }
    lengths.clear();
    AppendBigEndian(lengths, key.size(), 4);
    TRESOR_RETURN_IF_ERROR(out.Append(lengths));
    TRESOR_RETURN_IF_ERROR(out.Append(key));
    lengths.clear();
    AppendBigEndian(lengths, value.size(), 4);
    TRESOR_RETURN_IF_ERROR(out.Append(lengths));
    return out.Append(value);
  }));
  TRESOR_RETURN_IF_ERROR(out.Append(std::string(4, '\0')));
  return out.Finish();
}

Status ReadStateStream(const std::function<Status(char* buffer, std::size_t size)>& read_exact,
                       const std::function<Status(std::uint64_t applied_index)>& header,
                       const StateRecordVisitor& record) {
  Sha256 hash;
  std::string buffer;
  // Reads n bytes into `buffer`, hashing them.
  auto take = [&](std::size_t n) -> Status {
    buffer.resize(n);
    if (n > 0) TRESOR_RETURN_IF_ERROR(read_exact(buffer.data(), n));
    hash.Update(buffer);
    return Status::Ok();
  };

  TRESOR_RETURN_IF_ERROR(take(kStreamMagic.size() + 8));
  if (std::string_view(buffer).substr(0, kStreamMagic.size()) != kStreamMagic) {
    return InvalidArgumentError("state stream: bad magic (not a TRSTATE2 stream)");
  }
  TRESOR_RETURN_IF_ERROR(header(ReadBigEndian(std::string_view(buffer).substr(8))));

  std::string previous_key;
  std::string key;
  for (;;) {
    TRESOR_RETURN_IF_ERROR(take(4));
    std::uint64_t key_length = ReadBigEndian(buffer);
    if (key_length == 0) break;
    if (key_length > kMaxStateKeyBytes) {
      return CorruptionError("state stream: key length out of range");
    }
    TRESOR_RETURN_IF_ERROR(take(key_length));
    key.swap(buffer);
    if (!previous_key.empty() && key <= previous_key) {
      return CorruptionError("state stream: keys out of order");
    }
    TRESOR_RETURN_IF_ERROR(take(4));
    std::uint64_t value_length = ReadBigEndian(buffer);
    if (value_length > kMaxStateValueBytes) {
      return CorruptionError("state stream: value length out of range");
    }
    TRESOR_RETURN_IF_ERROR(take(value_length));
    TRESOR_RETURN_IF_ERROR(record(key, buffer));
    previous_key.swap(key);
  }
  std::string expected = hash.Finish();
  buffer.resize(Sha256::kDigestBytes);
  TRESOR_RETURN_IF_ERROR(read_exact(buffer.data(), buffer.size()));
  // The checksum guards against accidents (the channel is authenticated
  // and the records are ciphertext), so an ordinary comparison is enough.
  if (buffer != expected) return CorruptionError("state stream: SHA-256 checksum mismatch");
  return Status::Ok();
}

std::function<Status(char* buffer, std::size_t size)> ReadExactFrom(std::string_view bytes,
                                                                    std::size_t* offset) {
  return [bytes, offset](char* buffer, std::size_t size) -> Status {
    if (bytes.size() - *offset < size) return UnavailableError("state stream: truncated");
    std::memcpy(buffer, bytes.data() + *offset, size);
    *offset += size;
    return Status::Ok();
  };
}

}  // namespace tresor::raft

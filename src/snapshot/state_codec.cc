#include "snapshot/state_codec.h"

#include <algorithm>

#include "snapshot/archive_format.h"

namespace tresor::snapshot {
namespace {

std::uint32_t ReadU32BigEndian(std::string_view bytes) {
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
}

Status StateError(std::string what) { return InvalidArgumentError("state.bin: " + what); }

}  // namespace

Status RecordOrderCheck::Check(std::string_view key, std::uint64_t value_size) {
  const std::string record = "record " + std::to_string(records_ + 1);
  if (key.empty()) return StateError(record + " has an empty key");
  if (key.size() > kMaxKeySize) {
    return StateError(record + " has a key of " + std::to_string(key.size()) +
                      " bytes, more than the " + std::to_string(kMaxKeySize) + " allowed");
  }
  if (value_size > kMaxValueSize) {
    return StateError(record + " has a value of " + std::to_string(value_size) +
                      " bytes, more than the " + std::to_string(kMaxValueSize) + " allowed");
  }
  // std::string_view compares bytes as unsigned char (char_traits<char>).
  if (records_ > 0 && key <= std::string_view(previous_key_)) {
    return StateError(record + "'s key is not greater than the previous key (keys must be " +
                      "unique and in increasing byte order)");
  }
  previous_key_.assign(key);
  ++records_;
  return Status::Ok();
}

void AppendU32BigEndian(std::uint32_t length, std::string& out) {
  const char bytes[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                         static_cast<char>(length >> 8), static_cast<char>(length)};
  out.append(bytes, 4);
}

Status StateDecoder::Feed(std::string_view chunk, const RecordVisitor& visitor) {
  if (chunk.size() > bytes_left_) return StateError("longer than its tar header says");
  bytes_left_ -= chunk.size();
  while (true) {
    std::string_view field;
    if (partial_.empty() && chunk.size() >= need_) {
      // The whole field is in this chunk: no copy.
      field = chunk.substr(0, need_);
      chunk.remove_prefix(need_);
    } else {
      std::size_t take = std::min(need_ - partial_.size(), chunk.size());
      partial_.append(chunk.data(), take);
      chunk.remove_prefix(take);
      if (partial_.size() < need_) return Status::Ok();  // wait for more bytes
      field = partial_;
    }
    TRESOR_RETURN_IF_ERROR(Process(field, bytes_left_ + chunk.size(), visitor));
    partial_.clear();
    if (chunk.empty() && need_ > 0) return Status::Ok();
  }
}

Status StateDecoder::Process(std::string_view field, std::uint64_t remaining,
                             const RecordVisitor& visitor) {
  // A length that runs past the end of state.bin is refused at once, so a
  // damaged length never makes the decoder buffer more than the file holds.
  auto past_end = [&] {
    return StateError("record " + std::to_string(records() + 1) + " runs past the end");
  };
  switch (stage_) {
    case Stage::kMagic:
      if (field != kStateMagic) return StateError("does not start with \"TRSNAPv1\"");
      stage_ = Stage::kKeyLength;
      need_ = 4;
      return Status::Ok();
    case Stage::kKeyLength: {
      std::uint32_t length = ReadU32BigEndian(field);
      if (length == 0 || length > kMaxKeySize) {
        return StateError("record " + std::to_string(records() + 1) + " has a key length of " +
                          std::to_string(length) + " (allowed: 1 to " +
                          std::to_string(kMaxKeySize) + ")");
      }
      if (std::uint64_t{length} + 4 > remaining) return past_end();
      stage_ = Stage::kKey;
      need_ = length;
      return Status::Ok();
    }
    case Stage::kKey:
      key_.assign(field);
      stage_ = Stage::kValueLength;
      need_ = 4;
      return Status::Ok();
    case Stage::kValueLength: {
      std::uint32_t length = ReadU32BigEndian(field);
      if (length > kMaxValueSize) {
        return StateError("record " + std::to_string(records() + 1) + " has a value of " +
                          std::to_string(length) + " bytes, more than the " +
                          std::to_string(kMaxValueSize) + " allowed");
      }
      if (length > remaining) return past_end();
      stage_ = Stage::kValue;
      need_ = length;
      return Status::Ok();
    }
    case Stage::kValue:
      TRESOR_RETURN_IF_ERROR(check_.Check(key_, field.size()));
      TRESOR_RETURN_IF_ERROR(visitor(key_, field));
      stage_ = Stage::kKeyLength;
      need_ = 4;
      return Status::Ok();
  }
  return InternalError("unreachable state.bin stage");
}

Status StateDecoder::Finish() const {
  if (bytes_left_ != 0) return StateError("shorter than its tar header says");
  if (stage_ == Stage::kMagic) return StateError("does not start with \"TRSNAPv1\"");
  if (stage_ != Stage::kKeyLength || !partial_.empty()) {
    return StateError("ends inside record " + std::to_string(records() + 1));
  }
  return Status::Ok();
}

}  // namespace tresor::snapshot

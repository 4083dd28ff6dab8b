#include "raft/command.h"

#include <cstdint>

namespace tresor::raft {
namespace {

constexpr std::uint8_t kVersion = 1;
// Operation type bytes, in the order of StateOp::Type (kPut = 1, ...).
constexpr std::uint8_t kFirstType = 1;
constexpr std::uint8_t kLastType = 7;

std::uint8_t TypeByte(StateOp::Type type) { return kFirstType + static_cast<std::uint8_t>(type); }

void AppendU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendBytes(std::string& out, std::string_view bytes) {
  AppendU32(out, static_cast<std::uint32_t>(bytes.size()));
  out.append(bytes);
}

// Consumes from the front of `in`; false when it is too short.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(std::uint8_t& v) {
    if (in_.empty()) return false;
    v = static_cast<std::uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool U32(std::uint32_t& v) {
    if (in_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(in_[i]);
    in_.remove_prefix(4);
    return true;
  }
  bool Bytes(std::string& out) {
    std::uint32_t n = 0;
    if (!U32(n) || in_.size() < n) return false;
    out.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  // Only the zero padding of EncodeCommand may follow the operations.
  bool AtPadding() const {
    if (in_.size() >= 8) return false;
    for (char c : in_) {
      if (c != 0) return false;
    }
    return true;
  }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodeCommand(std::span<const StateOp> ops, std::span<const StateOp> more) {
  std::size_t size = 5 + 7;
  for (auto part : {ops, more}) {
    for (const StateOp& op : part) size += 9 + op.key.size() + op.value.size();
  }
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(kVersion));
  AppendU32(out, static_cast<std::uint32_t>(ops.size() + more.size()));
  for (auto part : {ops, more}) {
    for (const StateOp& op : part) {
      out.push_back(static_cast<char>(TypeByte(op.type)));
      AppendBytes(out, op.key);
      if (op.HasValue()) AppendBytes(out, op.value);
    }
  }
  out.resize((out.size() + 7) / 8 * 8, '\0');
  return out;
}

StatusOr<std::vector<StateOp>> DecodeCommand(std::string_view payload) {
  Reader in(payload);
  std::uint8_t version = 0;
  std::uint32_t count = 0;
  if (!in.U8(version) || version != kVersion) {
    return CorruptionError("raft command: unknown version");
  }
  if (!in.U32(count)) return CorruptionError("raft command: truncated header");
  std::vector<StateOp> ops;
  // Each operation takes at least 5 bytes, so a forged count cannot make us
  // reserve more than the payload could hold.
  ops.reserve(std::min<std::size_t>(count, payload.size() / 5));
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint8_t type = 0;
    StateOp op;
    if (!in.U8(type) || type < kFirstType || type > kLastType || !in.Bytes(op.key)) {
      return CorruptionError("raft command: malformed operation");
    }
    op.type = static_cast<StateOp::Type>(type - kFirstType);
    if (op.HasValue() && !in.Bytes(op.value)) {
      return CorruptionError("raft command: truncated value");
    }
    ops.push_back(std::move(op));
  }
  if (!in.AtPadding()) return CorruptionError("raft command: trailing bytes");
  return ops;
}

}  // namespace tresor::raft

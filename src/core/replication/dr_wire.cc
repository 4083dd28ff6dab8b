#include "core/replication/dr_wire.h"

namespace tresor::core::replication::wire {
namespace {

void PutUint(std::string* out, std::uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>(value >> shift));
  }
}

// Reads `bytes` bytes as an integer from the front of `in`.
bool TakeUint(std::string_view* in, int bytes, std::uint64_t* value) {
  if (in->size() < static_cast<std::size_t>(bytes)) return false;
  *value = 0;
  for (int i = 0; i < bytes; ++i) *value = (*value << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(bytes);
  return true;
}

bool TakeBytes(std::string_view* in, std::size_t size, std::string_view* out) {
  if (in->size() < size) return false;
  *out = in->substr(0, size);
  in->remove_prefix(size);
  return true;
}

constexpr std::size_t kHashBytes = 32;

}  // namespace

std::string EncodeEntries(const Entries& entries) {
  std::string out;
  PutUint(&out, entries.primary_last, 8);
  PutUint(&out, entries.primary_time_ms, 8);
  for (const auto& logged : entries.entries) {
    PutUint(&out, logged.position.index, 8);
    out += logged.position.hash;
    PutUint(&out, logged.entry.size(), 4);
    out += logged.entry;
  }
  return out;
}

StatusOr<Entries> DecodeEntries(std::string_view in) {
  const Status malformed = CorruptionError("DR channel: malformed entries");
  Entries entries;
  if (!TakeUint(&in, 8, &entries.primary_last) || !TakeUint(&in, 8, &entries.primary_time_ms)) {
    return malformed;
  }
  while (!in.empty()) {
    storage::ReplicationLog::LoggedEntry logged;
    std::uint64_t size = 0;
    std::string_view hash, entry;
    if (!TakeUint(&in, 8, &logged.position.index) || !TakeBytes(&in, kHashBytes, &hash) ||
        !TakeUint(&in, 4, &size) || !TakeBytes(&in, size, &entry)) {
      return malformed;
    }
    logged.position.hash = std::string(hash);
    logged.entry = std::string(entry);
    entries.entries.push_back(std::move(logged));
  }
  return entries;
}

bool UnderAnyPrefix(std::string_view key, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

void AppendRecord(std::string* frame, std::string_view key, std::string_view value) {
  PutUint(frame, key.size(), 4);
  frame->append(key);
  PutUint(frame, value.size(), 4);
  frame->append(value);
}

Status ForEachRecord(std::string_view in,
                     const std::function<Status(std::string_view, std::string_view)>& visit) {
  while (!in.empty()) {
    std::uint64_t key_size = 0, value_size = 0;
    std::string_view key, value;
    if (!TakeUint(&in, 4, &key_size) || !TakeBytes(&in, key_size, &key) ||
        !TakeUint(&in, 4, &value_size) || !TakeBytes(&in, value_size, &value)) {
      return CorruptionError("DR channel: malformed records");
    }
    TRESOR_RETURN_IF_ERROR(visit(key, value));
  }
  return Status::Ok();
}

}  // namespace tresor::core::replication::wire

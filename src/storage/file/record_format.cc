#include "storage/file/record_format.h"

#include <openssl/evp.h>

#include <cstdint>

#include "common/check.h"
#include "common/secure_memory.h"

namespace tresor::storage {
namespace {

constexpr std::string_view kValueMagic = "TRV1";
constexpr std::string_view kJournalMagic = "TRJ1";
constexpr std::size_t kDigestBytes = 32;
constexpr std::size_t kValueHeaderBytes = 4 + 8 + kDigestBytes;
constexpr std::uint8_t kPutTag = 1;
constexpr std::uint8_t kDeleteTag = 2;

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Only fails on allocation failure inside OpenSSL: not recoverable here.
  TRESOR_CHECK(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  TRESOR_CHECK(length == kDigestBytes);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

void AppendLittleEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

// A bounds-checked cursor over untrusted bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ReadInt(int bytes, std::uint64_t* value) {
    if (data_.size() < static_cast<std::size_t>(bytes)) return false;
    *value = 0;
    for (int i = 0; i < bytes; ++i) {
      *value |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[i])) << (8 * i);
    }
    data_.remove_prefix(bytes);
    return true;
  }
  bool ReadBytes(std::uint64_t length, std::string* out) {
    if (data_.size() < length) return false;
    out->assign(data_.substr(0, length));
    data_.remove_prefix(length);
    return true;
  }
  bool empty() const { return data_.empty(); }

 private:
  std::string_view data_;
};

}  // namespace

std::string EncodeValueFile(std::string_view value) {
  std::string out;
  out.reserve(kValueHeaderBytes + value.size());
  out += kValueMagic;
  AppendLittleEndian(out, value.size(), 8);
  out += Sha256(value);
  out += value;
  return out;
}

StatusOr<std::string> DecodeValueFile(std::string_view file, std::string_view key) {
  std::string where = "value file for key \"" + std::string(key) + "\"";
  if (file.size() < kValueHeaderBytes) {
    return CorruptionError(where + " is truncated: " + std::to_string(file.size()) +
                           " bytes, shorter than its header");
  }
  if (file.substr(0, 4) != kValueMagic) return CorruptionError(where + " has a bad magic number");
  std::uint64_t length = 0;
  Reader(file.substr(4, 8)).ReadInt(8, &length);
  std::string_view content = file.substr(kValueHeaderBytes);
  if (length != content.size()) {
    return CorruptionError(where + " has " + std::to_string(content.size()) +
                           " content bytes, its header says " + std::to_string(length));
  }
  // The digest is not secret, but comparing in constant time costs nothing.
  if (!ConstantTimeEquals(Sha256(content), file.substr(12, kDigestBytes))) {
    return CorruptionError(where + " fails its checksum");
  }
  return std::string(content);
}

std::string EncodeJournal(const std::vector<Operation>& ops) {
  std::string out(kJournalMagic);
  AppendLittleEndian(out, ops.size(), 4);
  for (const Operation& op : ops) {
    bool put = op.type == Operation::Type::kPut;
    out += static_cast<char>(put ? kPutTag : kDeleteTag);
    AppendLittleEndian(out, op.key.size(), 4);
    out += op.key;
    if (put) {
      AppendLittleEndian(out, op.value.size(), 8);
      out += op.value;
    }
  }
  out += Sha256(out);
  return out;
}

StatusOr<std::vector<Operation>> DecodeJournal(std::string_view file) {
  if (file.size() < kJournalMagic.size() + 4 + kDigestBytes) {
    return CorruptionError("batch journal is truncated");
  }
  std::string_view body = file.substr(0, file.size() - kDigestBytes);
  if (!ConstantTimeEquals(Sha256(body), file.substr(body.size()))) {
    return CorruptionError("batch journal fails its checksum (incomplete batch)");
  }
  if (body.substr(0, 4) != kJournalMagic) return CorruptionError("batch journal has a bad magic");
  Reader reader(body.substr(4));
  std::uint64_t count = 0;
  reader.ReadInt(4, &count);
  std::vector<Operation> ops;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t tag = 0;
    std::uint64_t key_length = 0;
    Operation op{Operation::Type::kPut, {}, {}};
    if (!reader.ReadInt(1, &tag) || !reader.ReadInt(4, &key_length) ||
        !reader.ReadBytes(key_length, &op.key)) {
      return CorruptionError("batch journal op " + std::to_string(i) + " is truncated");
    }
    if (tag == kPutTag) {
      std::uint64_t value_length = 0;
      if (!reader.ReadInt(8, &value_length) || !reader.ReadBytes(value_length, &op.value)) {
        return CorruptionError("batch journal op " + std::to_string(i) + " is truncated");
      }
    } else if (tag == kDeleteTag) {
      op.type = Operation::Type::kDelete;
    } else {
      return CorruptionError("batch journal op " + std::to_string(i) + " has an unknown type");
    }
    ops.push_back(std::move(op));
  }
  if (!reader.empty()) return CorruptionError("batch journal has trailing bytes");
  return ops;
}

}  // namespace tresor::storage

#include "raft/state_image.h"

#include <openssl/evp.h>

#include <array>

#include "common/big_endian.h"
#include "common/check.h"

namespace tresor::raft {
namespace {

constexpr std::string_view kImageMagic = "TRSTATE1";
constexpr std::size_t kDigestBytes = 32;
constexpr std::size_t kHeaderBytes = 8 + 8;  // magic + applied index

using Digest = std::array<unsigned char, kDigestBytes>;

Digest DigestOf(std::string_view bytes) {
  Digest digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure or a broken OpenSSL; serving
  // an image whose checksum we could not compute would be worse than stopping.
  TRESOR_CHECK(
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) == 1);
  TRESOR_CHECK(length == kDigestBytes);
  return digest;
}

// Reads the records between the header and the checksum. With a null
// `record` it only checks their structure.
Status WalkRecords(
    std::string_view body,
    const std::function<Status(std::string_view key, std::string_view value)>* record) {
  std::string_view previous_key;
  bool first = true;
  auto take = [&body](std::size_t n, std::string_view* out) {
    if (body.size() < n) return false;
    *out = body.substr(0, n);
    body.remove_prefix(n);
    return true;
  };
  while (!body.empty()) {
    std::string_view length_bytes, key, value;
    if (!take(4, &length_bytes) || !take(ReadBigEndian(length_bytes), &key)) {
      return CorruptionError("state image: truncated key record");
    }
    if (key.empty() || key.size() > kMaxStateKeyBytes) {
      return CorruptionError("state image: key length out of range");
    }
    if (!first && key <= previous_key) {
      return CorruptionError("state image: keys out of order");
    }
    if (!take(4, &length_bytes) || !take(ReadBigEndian(length_bytes), &value)) {
      return CorruptionError("state image: truncated value record");
    }
    if (record != nullptr) TRESOR_RETURN_IF_ERROR((*record)(key, value));
    previous_key = key;
    first = false;
  }
  return Status::Ok();
}

}  // namespace

StateImageWriter::StateImageWriter(std::uint64_t applied_index) {
  image_.append(kImageMagic);
  AppendBigEndian(image_, applied_index, 8);
}

void StateImageWriter::Add(std::string_view key, std::string_view value) {
  TRESOR_CHECK(!key.empty() && key.size() <= kMaxStateKeyBytes);
  TRESOR_CHECK(value.size() <= UINT32_MAX);
  AppendBigEndian(image_, key.size(), 4);
  image_.append(key);
  AppendBigEndian(image_, value.size(), 4);
  image_.append(value);
}

std::string StateImageWriter::Finish() {
  Digest digest = DigestOf(image_);
  image_.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return std::move(image_);
}

Status ParseStateImage(
    std::string_view image, std::uint64_t* applied_index,
    const std::function<Status(std::string_view key, std::string_view value)>& record) {
  if (image.size() < kHeaderBytes + kDigestBytes) {
    return InvalidArgumentError("state image: too short (" + std::to_string(image.size()) +
                                " bytes)");
  }
  if (image.substr(0, kImageMagic.size()) != kImageMagic) {
    return InvalidArgumentError("state image: bad magic (not a TRSTATE1 image)");
  }
  std::string_view covered = image.substr(0, image.size() - kDigestBytes);
  std::string_view stored_digest = image.substr(covered.size());
  Digest digest = DigestOf(covered);
  // The checksum guards against accidents, not an adversary (the image is
  // public ciphertext), so an ordinary comparison is enough.
  if (stored_digest !=
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())) {
    return CorruptionError("state image: SHA-256 checksum mismatch");
  }
  std::string_view body = covered.substr(kHeaderBytes);
  TRESOR_RETURN_IF_ERROR(WalkRecords(body, nullptr));
  *applied_index = ReadBigEndian(covered.substr(kImageMagic.size(), 8));
  return WalkRecords(body, &record);
}

}  // namespace tresor::raft

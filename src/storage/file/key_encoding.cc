#include "storage/file/key_encoding.h"

#include <vector>

namespace tresor::storage {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

bool IsKeptByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int UpperHexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // Lower-case hex is not canonical.
}

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Encodes segments and joins them with '/', enforcing the length limits.
StatusOr<std::string> EncodeSegments(const std::vector<std::string_view>& segments,
                                     std::string_view what) {
  std::string out;
  for (std::string_view segment : segments) {
    std::string encoded = EncodeSegment(segment);
    if (encoded.size() > kMaxEncodedSegmentBytes) {
      return InvalidArgumentError(std::string(what) + " has a segment longer than " +
                                  std::to_string(kMaxEncodedSegmentBytes) +
                                  " bytes once encoded for the file backend");
    }
    if (!out.empty()) out += '/';
    out += encoded;
    if (out.size() > kMaxEncodedKeyBytes) {
      return InvalidArgumentError(std::string(what) + " is longer than " +
                                  std::to_string(kMaxEncodedKeyBytes) +
                                  " bytes once encoded for the file backend");
    }
  }
  return out;
}

}  // namespace

std::string EncodeSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (char ch : segment) {
    auto c = static_cast<unsigned char>(ch);
    if (IsKeptByte(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 0xF];
    }
  }
  return out;
}

std::optional<std::string> DecodeSegment(std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (IsKeptByte(c)) {
      out += name[i];
      continue;
    }
    if (c != '%' || i + 2 >= name.size()) return std::nullopt;
    int high = UpperHexValue(name[i + 1]);
    int low = UpperHexValue(name[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    auto decoded = static_cast<unsigned char>(high * 16 + low);
    // "%41" for 'A' would be a second spelling of the same key: refuse it.
    if (IsKeptByte(decoded)) return std::nullopt;
    out += static_cast<char>(decoded);
    i += 2;
  }
  return out;
}

StatusOr<KeyLocation> LocateKey(std::string_view key) {
  std::vector<std::string_view> segments = SplitSegments(key);
  TRESOR_ASSIGN_OR_RETURN(std::string encoded, EncodeSegments(segments, "storage key"));
  std::size_t slash = encoded.rfind('/');
  KeyLocation location;
  if (slash == std::string::npos) {
    location.file_name = kValueFilePrefix + encoded;
  } else {
    location.dir = encoded.substr(0, slash);
    location.file_name = kValueFilePrefix + encoded.substr(slash + 1);
  }
  return location;
}

StatusOr<std::string> LocatePrefix(std::string_view prefix) {
  return EncodeSegments(SplitSegments(prefix), "list prefix");
}

}  // namespace tresor::storage

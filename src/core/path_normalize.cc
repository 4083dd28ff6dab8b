#include "core/path_normalize.h"

#include <cstddef>
#include <cstdint>

namespace tresor::core {
namespace {

bool IsHexDigit(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The length of the well-formed UTF-8 sequence (RFC 3629, Unicode table 3-7)
// that starts at s[i], or 0 when it is not one. Rejecting overlong forms is
// what stops "C0 AE" from ever being read as '.' by some later component
// with a lax decoder; rejecting the rest keeps every path printable as JSON
// (a list response carries path names, and nlohmann::json refuses to
// serialise invalid UTF-8).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead < 0x80) {
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong below U+0800
    if (lead == 0xED) second_max = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong below U+10000
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
  }
  if (i + length > s.size()) return 0;
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Checks every byte-level rule; segments are checked afterwards.
Status CheckCharacters(std::string_view path) {
  std::size_t i = 0;
  while (i < path.size()) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '\0') return InvalidArgumentError("invalid path: contains a NUL byte");
    if (c < 0x20 || c == 0x7F) {
      return InvalidArgumentError("invalid path: contains a control character");
    }
    if (c == '\\') return InvalidArgumentError("invalid path: contains a backslash");
    if (c == '%' && i + 2 < path.size() && IsHexDigit(static_cast<unsigned char>(path[i + 1])) &&
        IsHexDigit(static_cast<unsigned char>(path[i + 2]))) {
      return InvalidArgumentError(
          "invalid path: contains a percent-encoded sequence after decoding (double encoding)");
    }
    const std::size_t length = Utf8SequenceLength(path, i);
    if (length == 0) return InvalidArgumentError("invalid path: not valid UTF-8");
    // U+0080..U+009F, the C1 controls, are C2 80..C2 9F.
    if (length == 2 && c == 0xC2 && static_cast<unsigned char>(path[i + 1]) <= 0x9F) {
      return InvalidArgumentError("invalid path: contains a control character");
    }
    i += length;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<NormalizedPath> NormalizePath(std::string_view decoded) {
  TRESOR_RETURN_IF_ERROR(CheckCharacters(decoded));

  NormalizedPath result;
  result.path.reserve(decoded.size());
  std::size_t start = 0;
  while (start < decoded.size()) {
    std::size_t end = decoded.find('/', start);
    if (end == std::string_view::npos) end = decoded.size();
    const std::string_view segment = decoded.substr(start, end - start);
    start = end + 1;
    // Empty segments come from leading, doubled and trailing slashes; they
    // carry no meaning, so they are dropped rather than refused (Vault's
    // Go mux redirects such a path to its cleaned form).
    if (segment.empty()) continue;
    // Refused, not resolved: "sys/../secret" resolved would be "secret", but
    // a client that sends it is either confused or probing, and resolving it
    // would make the path that ACL policy sees differ from what was sent.
    if (segment == "." || segment == "..") {
      return InvalidArgumentError("invalid path: contains a '.' or '..' segment");
    }
    if (!result.path.empty()) result.path.push_back('/');
    result.path.append(segment);
  }
  result.trailing_slash = !result.path.empty() && decoded.back() == '/';
  return result;
}

}  // namespace tresor::core

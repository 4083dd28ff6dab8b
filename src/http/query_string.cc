#include "http/query_string.h"

namespace tresor::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

StatusOr<std::string> Decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return InvalidArgumentError("invalid URL escape");
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgumentError("invalid URL escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

StatusOr<std::string> PercentDecodePath(std::string_view path) { return Decode(path, false); }

StatusOr<std::map<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::map<std::string, std::string> result;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (segment.empty()) continue;
    const std::size_t eq = segment.find('=');
    auto key = Decode(segment.substr(0, eq), true);
    if (!key.ok()) return key.status().WithContext("invalid query string");
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = Decode(segment.substr(eq + 1), true);
      if (!decoded.ok()) return decoded.status().WithContext("invalid query string");
      value = std::move(*decoded);
    }
    result.emplace(std::move(*key), std::move(value));  // emplace keeps the first
  }
  return result;
}

}  // namespace tresor::http

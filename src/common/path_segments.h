// Splitting a request path ("keys/foo/rotate") into its '/'-separated
// segments, for handlers that route on them.
// Threads: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tresor {

// "a/b/c" -> {"a", "b", "c"}; "" -> {}; empty segments are kept ("a//b").
inline std::vector<std::string> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace tresor

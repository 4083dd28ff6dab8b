#include "storage/backend.h"

#include <algorithm>

namespace tresor::storage {

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("storage key is empty");
  if (key.front() == '/') return InvalidArgumentError("storage key starts with '/'");
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("storage key contains a NUL byte");
  }
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidArgumentError("storage key has an empty, '.' or '..' segment");
    }
    start = end + 1;
  }
  return Status::Ok();
}

Status ValidatePrefix(std::string_view prefix) {
  if (prefix.empty()) return Status::Ok();
  if (prefix.back() != '/') return InvalidArgumentError("list prefix must end with '/'");
  return ValidateKey(prefix.substr(0, prefix.size() - 1));
}

StatusOr<std::vector<std::string>> ListRecursive(Backend& backend, std::string_view prefix) {
  std::vector<std::string> out;
  std::vector<std::string> pending{std::string(prefix)};
  while (!pending.empty()) {
    std::string dir = std::move(pending.back());
    pending.pop_back();
    TRESOR_ASSIGN_OR_RETURN(auto names, backend.List(dir));
    for (auto& name : names) {
      if (!name.empty() && name.back() == '/') {
        pending.push_back(dir + name);
      } else {
        out.push_back(dir + name);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tresor::storage

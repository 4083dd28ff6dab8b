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

namespace {

// Names per ListPage call of ForEachKey.
constexpr std::size_t kWalkPageSize = 1000;

Status WalkFolder(Backend& backend, const std::string& folder,
                  const std::function<Status(const std::string& key)>& visit) {
  std::string after;
  for (;;) {
    TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            backend.ListPage(folder, after, kWalkPageSize));
    for (const std::string& name : names) {
      // In byte order "a" < "a-b" < "a/...": a folder's keys come right
      // where its name sorts, so the walk gives every key in order.
      if (!name.empty() && name.back() == '/') {
        TRESOR_RETURN_IF_ERROR(WalkFolder(backend, folder + name, visit));
      } else {
        TRESOR_RETURN_IF_ERROR(visit(folder + name));
      }
    }
    if (names.size() < kWalkPageSize) return Status::Ok();
    after = names.back();
  }
}

}  // namespace

Status ForEachKey(Backend& backend, std::string_view prefix,
                  const std::function<Status(const std::string& key)>& visit) {
  return WalkFolder(backend, std::string(prefix), visit);
}

StatusOr<std::vector<std::string>> ListRecursive(Backend& backend, std::string_view prefix) {
  std::vector<std::string> out;
  TRESOR_RETURN_IF_ERROR(ForEachKey(backend, prefix, [&out](const std::string& key) {
    out.push_back(key);
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::uint64_t> CountKeys(Backend& backend, std::string_view prefix) {
  std::uint64_t count = 0;
  TRESOR_RETURN_IF_ERROR(ForEachKey(backend, prefix, [&count](const std::string&) {
    ++count;
    return Status::Ok();
  }));
  return count;
}

}  // namespace tresor::storage

#include "snapshot/inspect.h"

#include <algorithm>
#include <map>

#include "snapshot/archive_reader.h"

namespace tresor::snapshot {

std::string KeyPrefix(std::string_view key, int depth) {
  std::size_t end = std::string_view::npos;  // one past the last '/' kept
  std::size_t from = 0;
  for (int segment = 0; segment < depth; ++segment) {
    std::size_t slash = key.find('/', from);
    if (slash == std::string_view::npos) break;
    end = slash + 1;
    from = slash + 1;
  }
  return std::string(end == std::string_view::npos ? key : key.substr(0, end));
}

StatusOr<Inspection> InspectArchive(const ByteSource& in, int depth) {
  if (depth < 1) return InvalidArgumentError("depth must be at least 1");
  Inspection inspection;
  std::map<std::string, PrefixStats, std::less<>> by_prefix;
  TRESOR_RETURN_IF_ERROR(ReadArchive(
      in, ReadOptions{},
      [&](const Meta& meta) {
        inspection.meta = meta;
        return Status::Ok();
      },
      [&](std::string_view key, std::string_view value) {
        std::string prefix = KeyPrefix(key, depth);
        auto it = by_prefix.find(prefix);
        if (it == by_prefix.end()) {
          it = by_prefix.emplace(prefix, PrefixStats{prefix, 0, 0}).first;
        }
        it->second.count += 1;
        it->second.bytes += key.size() + value.size();
        inspection.total_count += 1;
        inspection.total_bytes += key.size() + value.size();
        return Status::Ok();
      }));
  for (auto& [prefix, stats] : by_prefix) inspection.prefixes.push_back(std::move(stats));
  std::stable_sort(inspection.prefixes.begin(), inspection.prefixes.end(),
                   [](const PrefixStats& a, const PrefixStats& b) { return a.count > b.count; });
  return inspection;
}

}  // namespace tresor::snapshot

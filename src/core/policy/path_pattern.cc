#include "core/policy/path_pattern.h"

namespace tresor::core::policy {
namespace {

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      return parts;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace

StatusOr<PathPattern> PathPattern::Parse(std::string_view pattern) {
  if (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
  if (pattern.empty()) return InvalidArgumentError("empty path");
  if (pattern.find("+*") != std::string_view::npos) {
    return InvalidArgumentError("invalid use of wildcards ('+*' is forbidden)");
  }
  std::size_t star = pattern.find('*');
  if (star != std::string_view::npos && star != pattern.size() - 1) {
    return InvalidArgumentError("'*' is only allowed at the end of a path");
  }

  PathPattern p;
  p.text_ = std::string(pattern);
  p.ends_in_glob_ = star != std::string_view::npos;
  p.stem_ = p.ends_in_glob_ ? p.text_.substr(0, p.text_.size() - 1) : p.text_;

  std::size_t offset = 0;
  bool first_found = false;
  for (std::string_view segment : SplitSegments(p.stem_)) {
    if (segment == "+") {
      if (!first_found) p.first_wildcard_ = offset;
      first_found = true;
      ++p.plus_segments_;
    }
    p.segments_.emplace_back(segment);
    offset += segment.size() + 1;
  }

  if (p.plus_segments_ > 0) {
    p.kind_ = Kind::kSegment;
    p.priority_text_ = p.stem_;
  } else if (p.ends_in_glob_) {
    p.kind_ = Kind::kPrefix;
    p.first_wildcard_ = p.stem_.size();
    p.priority_text_ = p.text_;
    p.segments_.clear();
  } else {
    p.kind_ = Kind::kExact;
    p.segments_.clear();
  }
  return p;
}

bool PathPattern::Matches(std::string_view path) const {
  switch (kind_) {
    case Kind::kExact:
      return path == text_;
    case Kind::kPrefix:
      return path.substr(0, stem_.size()) == stem_;
    case Kind::kSegment:
      break;
  }
  // Segment by segment, as Vault does: the path needs at least as many
  // segments as the pattern, exactly as many unless the pattern ends in
  // '*', and with a '*' the last pattern segment is a prefix of its path
  // segment (the rest of the path is then free).
  std::vector<std::string_view> parts = SplitSegments(path);
  if (parts.size() < segments_.size()) return false;
  if (!ends_in_glob_ && parts.size() != segments_.size()) return false;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const std::string& want = segments_[i];
    if (want == "+" || want == parts[i]) continue;
    bool last = i + 1 == segments_.size();
    if (ends_in_glob_ && last && parts[i].substr(0, want.size()) == want) continue;
    return false;
  }
  return true;
}

bool PathPattern::LowerPriorityThan(const PathPattern& other) const {
  if (first_wildcard_ != other.first_wildcard_) return first_wildcard_ < other.first_wildcard_;
  if (ends_in_glob_ != other.ends_in_glob_) return ends_in_glob_;
  if (plus_segments_ != other.plus_segments_) return plus_segments_ > other.plus_segments_;
  if (priority_text_.size() != other.priority_text_.size()) {
    return priority_text_.size() < other.priority_text_.size();
  }
  return priority_text_ < other.priority_text_;
}

}  // namespace tresor::core::policy

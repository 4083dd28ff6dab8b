// PathPattern: the path of one ACL rule (`path "secret/+/config*" {...}`),
// checked and compiled for matching, plus Vault's order of priority between
// two non-exact patterns that match the same request path.
//
// Pattern language (Vault's):
//   - no wildcard: an exact path ("secret/data/app").
//   - a trailing '*': a prefix glob ("secret/data/app*" matches
//     "secret/data/app", "secret/data/apple", "secret/data/app/x").
//   - a whole segment "+": exactly one path segment, any characters except
//     '/' (possibly none), anywhere ("secret/+/config"). A '+' inside a
//     segment ("secret/data/a+b") is a literal character.
// Refused (Tresor is stricter than Vault here, which accepts and never
// matches): '*' anywhere but at the end. Refused like Vault: "+*".
// One leading '/' is dropped, as Vault does (API paths start after "/v1/").
//
// Who calls it: the policy parser (Parse) and the Acl (Matches,
// LowerPriorityThan).
// Thread safety: immutable after construction; const methods are safe from
// many threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::core::policy {

class PathPattern {
 public:
  enum class Kind {
    kExact,    // no wildcard
    kPrefix,   // trailing '*' and no '+' segment
    kSegment,  // at least one '+' segment, maybe a trailing '*'
  };

  // Checks and compiles `pattern`. Errors are InvalidArgument with a message
  // that names the problem but carries no position (the parser adds the line).
  static StatusOr<PathPattern> Parse(std::string_view pattern);

  // The pattern as matched: the text as written minus a leading '/'.
  const std::string& text() const { return text_; }
  Kind kind() const { return kind_; }

  // Whether `path` (a request path, no leading '/') matches.
  bool Matches(std::string_view path) const;

  // Vault's priority order between two NON-EXACT patterns that both match
  // (an exact match always beats them, see Acl). True when *this has lower
  // priority than `other`. In order, the first rule that differs decides:
  //   1. the first wildcard ('+' segment or trailing '*') starts earlier:
  //      lower ("secret/+" < "secret/data/*");
  //   2. ends in '*' while the other does not: lower ("a/+/*" < "a/+/b");
  //   3. more '+' segments: lower ("a/+/+/d" < "a/b/+/d");
  //   4. shorter: lower ("a/+/b*" < "a/+/bc*");
  //   5. lexicographically smaller: lower (a tie-break that keeps the choice
  //      deterministic).
  // Lengths and the lexical tie-break compare Vault's descriptor strings:
  // the prefix with its '*' for a pure glob, the pattern without its
  // trailing '*' for a segment pattern.
  bool LowerPriorityThan(const PathPattern& other) const;

 private:
  PathPattern() = default;

  std::string text_;
  Kind kind_ = Kind::kExact;
  // kPrefix: text_ without its '*'. kSegment: text_ without a trailing '*'.
  std::string stem_;
  // kSegment: stem_ split at '/'; "+" is the wildcard.
  std::vector<std::string> segments_;
  bool ends_in_glob_ = false;
  // Offset in text_ of the first wildcard (a '+' segment or the '*').
  std::size_t first_wildcard_ = 0;
  int plus_segments_ = 0;
  // What rules 4 and 5 of LowerPriorityThan compare.
  std::string priority_text_;
};

}  // namespace tresor::core::policy

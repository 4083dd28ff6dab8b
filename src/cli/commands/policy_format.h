// `policy fmt`'s formatter: parses an HCL policy with common/hcl.h
// and prints it back in one canonical layout:
//
//   - blocks as `key "label" "label" {`, bodies indented two spaces, a blank
//     line between top-level blocks
//   - `key = value` with the '=' of consecutive assignments aligned
//   - strings double-quoted with JSON escapes (heredocs become quoted
//     strings), lists on one line as ["a", "b"], numbers and booleans as is
//   - a trailing newline
//
// Comments are not kept by the parser, so a file with comments is refused
// rather than silently stripped of them (Vault's formatter keeps them).
//
// Who calls it: `policy fmt` and its tests. Thread-safe, stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::cli {

// The formatted text. Returns InvalidArgument with the parser's "line N,
// column M: ..." message for bad syntax, or a message saying the file has
// comments, or for a ".json" file. `filename` prefixes errors.
StatusOr<std::string> FormatPolicy(std::string_view text, std::string_view filename);

// True when `text` holds an HCL comment (#, //, /* */) outside strings and
// heredocs.
bool HasHclComment(std::string_view text);

}  // namespace tresor::cli

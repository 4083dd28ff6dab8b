// Request-path normalisation: the single place where the path of an API
// request ("secret/data/foo" in "/v1/secret/data/foo") is checked and put in
// its canonical form. Routing (mount lookup), ACL policy checks and engines
// all see the result, and only the result, so they can never disagree about
// which path a request names. docs/paths.md gives the rules and the reasons.
//
// Called once per request, by http/ right after it has split the target and
// percent-decoded the path (exactly once, http/query_string.h
// PercentDecodePath). Nothing after this step may percent-decode the path
// again: the rules below make a second decoding a no-op anyway.
//
// Thread safety: a pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::core {

struct NormalizedPath {
  // The canonical path: no leading or trailing '/', no empty, "." or ".."
  // segment, valid UTF-8 without control characters, no backslash, and no
  // "%XX" escape left in it. Empty for "/v1/" itself.
  std::string path;
  // Whether the request path ended in '/' (a folder, for LIST). False when
  // path is empty.
  bool trailing_slash = false;
};

// Normalises `decoded`, the request path after "/v1/" once percent-decoded.
//
// On success:
//   - leading '/' characters are removed and runs of '/' collapse into one
//     ("a//b" names the same thing as "a/b");
//   - a trailing '/' is removed and recorded in trailing_slash.
// Bytes >= 0x80 that form valid UTF-8 are kept as they are: a Unicode
// lookalike of '.' or '/' ("\u2024", "\u2215", "\uFF0E") is an ordinary
// character here, because nothing below ever interprets it.
//
// Returns InvalidArgument ("invalid path: ...", never quoting the path,
// which may carry a token or other secret) when the path contains:
//   - a NUL byte, another C0 control character, DEL, or a C1 control
//     character (U+0080..U+009F);
//   - a backslash;
//   - bytes that are not valid UTF-8 (overlong forms such as C0 AE for '.',
//     surrogates, truncated sequences, code points above U+10FFFF);
//   - a '%' followed by two hex digits: that is an escape that survived the
//     one decoding step (a double-encoded "%252e" arrives here as "%2e"), and
//     refusing all of them, not only those of '.', '/', '\' and NUL, means no
//     number of further decodings could change the path;
//   - a "." or ".." segment.
StatusOr<NormalizedPath> NormalizePath(std::string_view decoded);

}  // namespace tresor::core

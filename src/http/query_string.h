// Percent-decoding of URL paths and query strings, with Go's net/url rules
// (which Vault's HTTP layer uses): "%XX" escapes, and in a query '+' means a
// space. Used by request_parser.cc.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::http {

// Decodes "%XX" escapes in a URL path. '+' stays '+'.
// Returns InvalidArgument for a '%' not followed by two hex digits.
StatusOr<std::string> PercentDecodePath(std::string_view path);

// Parses "a=1&b=x%20y&c" into {a:"1", b:"x y", c:""}. Keys and values are
// decoded, '+' becomes a space. A repeated key keeps its first value (Vault
// reads parameters with url.Values.Get). Empty segments ("a=1&&b=2") are
// skipped. Returns InvalidArgument for a malformed escape; the message does
// not quote the value, which may be sensitive.
StatusOr<std::map<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace tresor::http

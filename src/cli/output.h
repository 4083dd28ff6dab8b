// How CLI commands print results, in Vault's formats so that people and
// scripts reading `vault` output read ours unchanged:
//
//   table   "Key  Value" with a "---  -----" underline, columns separated by
//           four spaces and padded to the widest cell, empty cells as "n/a"
//           (Vault's columnize settings)
//   json    the value pretty-printed with a two-space indent, then a newline
//   -field  one field's raw value (a string without quotes) and a newline
//
// Who calls it: every command. Thread-safe, stateless; returns strings so
// that tests can compare them and commands choose the stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/http_client.h"
#include "common/status.h"

namespace tresor::cli {

using Row = std::vector<std::string>;

// Aligned columns (Vault's columnOutput): cells are trimmed, every column but
// the last is padded to its widest cell (counted in UTF-8 code points) and
// followed by four spaces; an empty cell prints as "n/a". Each row ends with
// a newline. Empty input gives "".
std::string ColumnOutput(const std::vector<Row>& rows);

// Like ColumnOutput, with rows[0] as the header and a line of dashes as long
// as each header cell inserted after it (Vault's tableOutput).
std::string TableOutput(const std::vector<Row>& rows);

// A "Key | Value" table of a JSON object's members, keys sorted as Vault's Go
// maps print, values through FormatValue(). A non-object gives "".
std::string KeyValueTable(const Json& object);

// A value as Go's "%v" prints it in Vault's tables: strings raw, null as
// "<nil>", arrays as "[a b]", objects as "map[k:v]" (keys sorted).
std::string FormatValue(const Json& value);

// `value` pretty-printed with two-space indentation and a trailing newline.
std::string FormatJson(const Json& value);

// The member `field` of `object` as FormatValue() prints it, plus "\n".
// Returns NotFound "Field \"x\" not present in secret" (Vault's wording) when
// absent or when `object` is not an object.
StatusOr<std::string> FormatField(const Json& object, std::string_view field);

// Word-wraps `text` so no line is longer than `width` (Vault wraps its
// explanatory paragraphs at 78). Words longer than the width stay whole.
std::string WrapAtLength(std::string_view text, size_t width = 78);

}  // namespace tresor::cli

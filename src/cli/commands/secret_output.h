// How the secret-reading commands print a response, following Vault's
// command/format.go and kv_helpers.go so that output (and scripts parsing it)
// carry over unchanged:
//
//   SecretTable     OutputSecret's table: refresh_interval / lease rows,
//                   then the auth rows (token, token_accessor, ...), then the
//                   data keys sorted, TTL-like values as durations ("768h")
//   HeaderForMap    "====== Metadata ======" sized to a map's widest key
//   PathHeader      "== Secret Path ==\nsecret/data/foo\n\n"
//   SecretField     the value -field=NAME prints (auth fields, then data)
//
// Who calls it: the command files in this folder, and tests with canned
// JSON. Thread-safe, stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cli/framework.h"
#include "cli/http_client.h"
#include "common/status.h"

namespace tresor::cli {

// Seconds as Vault's humanDuration prints them: Go's Duration format with
// zero trailing units dropped ("768h", "1h30m", "45s", "0s").
std::string HumanDuration(int64_t seconds);

// Vault's looksLikeDuration: ttl, period, *_ttl, *_period, *_duration,
// *lease_max, *ttl_max.
bool LooksLikeDuration(std::string_view key);

// A Go "%q" of a list of strings: ["a" "b"] (strings JSON-quoted).
std::string QuotedList(const Json& list);

// OutputSecret's table for a response envelope; "" when it has nothing to
// print (Vault then prints nothing).
std::string SecretTable(const Json& response);

// The value -field=NAME selects from a response envelope: the auth fields
// (token, token_accessor, token_duration, token_renewable, token_policies,
// identity_policies, policies, token_meta_<key>) when there is auth, else
// data[NAME]. Returns NotFound "Field \"NAME\" not present in secret".
StatusOr<Json> SecretField(const Json& response, std::string_view field);

// Prints a field's value: raw (strings unquoted, Go "%v") and a newline for
// table, pretty JSON for json. Returns the exit code (0, or 1 when absent,
// after printing the error).
int PrintFieldValue(CommandIo& io, const std::string& format, const StatusOr<Json>& value);

// Writes Vault's warning block to io.err when the response has warnings:
// "WARNING! The following warnings were returned from Vault:\n\n  * w\n\n".
void PrintWarnings(CommandIo& io, const Json& response);

// -field, else json (the whole response), else warnings + SecretTable.
// Returns the exit code.
int PrintSecret(CommandIo& io, const std::string& format, const std::string& field,
                const Json& response);

// Vault's padEqualSigns: `header` centred in '=' to `total_width` columns,
// with at least two '=' on each side.
std::string PadEqualSigns(std::string_view header, size_t total_width);
// A section title as wide as a Key/Value table of `object` (its widest key
// plus four spaces plus "Value").
std::string HeaderForMap(std::string_view header, const Json& object);
// "<title padded to the path's width>\n<path>\n\n".
std::string PathHeader(std::string_view title, std::string_view path);

// The response's "data" member when it is an object, else an empty object.
const Json& DataOf(const Json& response);

}  // namespace tresor::cli

// Typed reading of the fields of a request (its JSON body, and for a GET its
// query string), with a 400 a person can act on: "cas: expected an integer,
// got a string".
//
// Two ways to read, for two kinds of endpoint:
//
//  - FieldReader reads with Vault's weak typing, the way Vault's request
//    framework does for most endpoints: "ttl" as "1h" or 3600, "policies" as
//    a list or "a,b", booleans as true or "true". It remembers which fields
//    were asked for, so the warning Vault adds for unknown fields comes for
//    free. Used by the token and userpass engines and by core's sys/mounts,
//    sys/remount and sys/storage/raft handlers.
//  - The Optional*() functions read one field of any JSON object with strict
//    types (a string is not an integer), and work on nested objects such as
//    KV v2's "options" without copying them. Used by the KV engine and by
//    core's sys/init, sys/unseal, sys/policy and sys/capabilities handlers,
//    whose clients (the Vault CLI and SDKs) send well-typed JSON.
//
// Messages name the field and the JSON type received, never the value: some
// fields ("token", "key") hold secrets. The exceptions quote the text only
// where it cannot be secret: a duration string that does not parse (so the
// caller sees the typo) and ParseIntegerText's query-string values.
//
// Engines sit below core, so this lives in engines/ and core's sys/ handlers
// include it from here. Threads: the functions are stateless; a FieldReader
// is a value used by one request.
#pragma once

#include <chrono>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engines/logical.h"

namespace tresor::engines {

class FieldReader {
 public:
  // The body of request as an object. For a GET (kRead/kList) the decoded
  // query parameters are read as fields, as Vault does. InvalidArgument when
  // the body is neither absent nor a JSON object.
  static StatusOr<FieldReader> FromRequest(const logical::Request& request);
  // The fields of a nested object (sys/mounts' "config"); `name` is the
  // field it came from, for the message when it is not an object. Absent or
  // null reads as an empty object.
  static StatusOr<FieldReader> FromObject(const nlohmann::json& value, std::string_view name);

  // Each returns std::nullopt when the field is absent or null, and
  // InvalidArgument "<name>: expected ..., got ..." when it has a type that
  // cannot be read as asked.
  StatusOr<std::optional<std::string>> String(std::string_view name);
  // true/false, "true"/"false" (and Go's other spellings), or a number
  // (non-zero is true).
  StatusOr<std::optional<bool>> Bool(std::string_view name);
  // An integer, an integral float, or a string holding an integer.
  StatusOr<std::optional<long long>> Int(std::string_view name);
  // Non-negative whole seconds from an integer or a duration string
  // (common/duration.h).
  StatusOr<std::optional<std::chrono::seconds>> Duration(std::string_view name);
  // A list of strings, or one string of comma-separated names.
  StatusOr<std::optional<std::vector<std::string>>> StringList(std::string_view name);
  // An object whose values are strings (numbers and booleans are taken as
  // their JSON text).
  StatusOr<std::optional<std::map<std::string, std::string>>> StringMap(std::string_view name);

  // The field as given (null when absent), for a nested object to read with
  // FromObject.
  const nlohmann::json& Raw(std::string_view name);

  // Vault's warning for fields present in the body that no accessor above
  // asked for; empty when every field was read.
  std::optional<std::string> UnusedFieldsWarning() const;

 private:
  explicit FieldReader(nlohmann::json data) : data_(std::move(data)) {}
  const nlohmann::json* Find(std::string_view name);

  nlohmann::json data_;
  std::set<std::string, std::less<>> read_;
};

// InvalidArgument "<name>: expected <expected>, got <type of got>"; never
// the value, which may be a secret.
Status FieldTypeError(std::string_view name, std::string_view expected, const nlohmann::json& got);

// The JSON type name as used in messages: "a string", "an integer", ...
std::string JsonTypeName(const nlohmann::json& value);

// Strict reads of one field of `data`. Each returns std::nullopt when the
// field is absent or null (or `data` is not an object), the value when it has
// the right type, and InvalidArgument naming the field otherwise. A float
// with no fraction counts as an integer, as JSON encoders in some languages
// write 3 as 3.0; an integer beyond long long is "out of range", not wrapped.
StatusOr<std::optional<long long>> OptionalInt(const nlohmann::json& data, std::string_view name);
StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& data, std::string_view name);
StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& data,
                                                    std::string_view name);
// The field when it is a JSON object; std::nullopt when absent or null.
// The returned pointer points into `data` and lives as long as it does.
StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& data, std::string_view name);

// Parses `text` (a query-string value) as a base-10 integer. InvalidArgument
// "<name>: expected an integer, got \"<text>\"" when it is not one or does
// not fit. Only for values that are not secret (it quotes the input).
StatusOr<long long> ParseIntegerText(std::string_view name, std::string_view text);

// An integer field that may arrive either in the query string (GET
// requests) or in the body; the query wins, as Vault merges them that way.
StatusOr<std::optional<long long>> OptionalIntFromQueryOrBody(
    const std::map<std::string, std::string>& query, const nlohmann::json& data,
    std::string_view name);

// Vault's warning for body fields the endpoint does not know:
// "Endpoint ignored these unrecognized parameters: [a b]" (names sorted),
// or std::nullopt when every field is known. Vault ignores such fields
// rather than refusing them, and so do engines. (FieldReader's
// UnusedFieldsWarning is the same warning for a reader.)
std::optional<std::string> UnknownFieldsWarning(const nlohmann::json& data,
                                                std::initializer_list<std::string_view> known);

// Refuses a field whose value is present and not empty (null, "", [], {},
// 0 and false count as empty), for options Tresor does not support yet.
Status RefuseUnsupported(const nlohmann::json& data, std::string_view name, std::string_view why);

}  // namespace tresor::engines

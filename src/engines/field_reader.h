// Typed reading of request bodies for the endpoints that follow Vault's weak
// typing (the token endpoints, sys/mounts): clients send "ttl" as "1h" or
// 3600, "policies" as a list or "a,b", booleans as true or "true"), and a 400
// naming the field for anything else.
//
// Messages name the field and the JSON type received, never the value: some
// fields ("token") hold secrets. The one exception is a duration string that
// does not parse, which is quoted so that the caller sees the typo.
//
// Who calls it: the token engine and core's sys/mounts handlers. Threads: a value; used by one request.
#pragma once

#include <chrono>
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

}  // namespace tresor::engines

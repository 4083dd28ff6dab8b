// Typed access to the fields of a request body, with the errors a person can
// act on ("secret_shares: expected an integer, got a string"). Every handler
// reads its input through these so bad input is answered the same way
// everywhere. Thread-safe, stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace tresor::core {

// The JSON type name as used in messages: "a string", "an integer", ...
std::string JsonTypeName(const nlohmann::json& value);

// Each returns std::nullopt when the field is absent or null, the value when
// it has the right type, and InvalidArgument naming the field otherwise.
StatusOr<std::optional<long long>> OptionalInt(const nlohmann::json& data, std::string_view name);
StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& data, std::string_view name);
StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& data,
                                                    std::string_view name);

// Refuses a field whose value is present and not empty (null, "", [], {} and
// 0 count as empty), for options Tresor does not support yet.
Status RefuseUnsupported(const nlohmann::json& data, std::string_view name,
                         std::string_view why);

}  // namespace tresor::core

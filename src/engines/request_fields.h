// Typed access to the fields of an engine request, with errors a person can
// act on ("cas: expected an integer, got a string"). The same helpers exist
// in core/request_fields.h for core's own handlers; engines sit below core
// and cannot include it, so this is their copy, with the same wording, plus
// what engines need on top: integers given as query-string text, and the
// warning Vault adds when a body carries fields an endpoint does not know.
//
// Who calls it: every engine under engines/ that reads request.data or
// request.query. Thread-safe, stateless.
#pragma once

#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::engines {

// The JSON type name as used in messages: "a string", "an integer", ...
// InvalidArgument "<name>: expected <expected>, got <type of got>"; never
// the value, which may be a secret.
Status FieldTypeError(std::string_view name, std::string_view expected,
                      const nlohmann::json& got);

std::string JsonTypeName(const nlohmann::json& value);

// Each returns std::nullopt when the field is absent or null (or `data` is
// not an object), the value when it has the right type, and InvalidArgument
// naming the field otherwise. A float with no fraction counts as an integer,
// as JSON encoders in some languages write 3 as 3.0.
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
// rather than refusing them, and so do engines.
std::optional<std::string> UnknownFieldsWarning(const nlohmann::json& data,
                                                std::initializer_list<std::string_view> known);

// Refuses a field whose value is present and not empty (null, "", [], {},
// 0 and false count as empty), for options Tresor does not support yet.
Status RefuseUnsupported(const nlohmann::json& data, std::string_view name,
                         std::string_view why);

}  // namespace tresor::engines

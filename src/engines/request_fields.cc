#include "engines/request_fields.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <map>
#include <vector>

namespace tresor::engines {
namespace {

const nlohmann::json* Find(const nlohmann::json& data, std::string_view name) {
  if (!data.is_object()) return nullptr;
  auto it = data.find(std::string(name));
  if (it == data.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Status FieldTypeError(std::string_view name, std::string_view expected,
                      const nlohmann::json& got) {
  return InvalidArgumentError(std::string(name) + ": expected " + std::string(expected) + ", got " +
                              JsonTypeName(got));
}

std::string JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number with a fraction";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::array:
      return "a list";
    case nlohmann::json::value_t::object:
      return "an object";
    default:
      return "an unsupported value";
  }
}

StatusOr<std::optional<long long>> OptionalInt(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return std::optional<long long>();
  // nlohmann counts unsigned numbers as integers too: test unsigned first,
  // or a value above LLONG_MAX would wrap to a negative one.
  if (v->is_number_unsigned()) {
    auto u = v->get<unsigned long long>();
    if (u > static_cast<unsigned long long>(LLONG_MAX)) {
      return InvalidArgumentError(std::string(name) + ": integer out of range");
    }
    return std::optional<long long>(static_cast<long long>(u));
  }
  if (v->is_number_integer()) return std::optional<long long>(v->get<long long>());
  if (v->is_number_float()) {
    double d = v->get<double>();
    // Range check before the cast: converting an out-of-range double is UB.
    if (!(d >= -9.2e18 && d <= 9.2e18)) {
      return InvalidArgumentError(std::string(name) + ": integer out of range");
    }
    if (d == static_cast<double>(static_cast<long long>(d))) {
      return std::optional<long long>(static_cast<long long>(d));
    }
  }
  return FieldTypeError(name, "an integer", *v);
}

StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return std::optional<bool>();
  if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
  return FieldTypeError(name, "a boolean", *v);
}

StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& data,
                                                    std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  return FieldTypeError(name, "a string", *v);
}

StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr || v->is_object()) return v;
  return FieldTypeError(name, "an object", *v);
}

StatusOr<long long> ParseIntegerText(std::string_view name, std::string_view text) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty() && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgumentError(std::string(name) + ": expected an integer, got \"" +
                                std::string(text.substr(0, 64)) + "\"");
  }
  return value;
}

StatusOr<std::optional<long long>> OptionalIntFromQueryOrBody(
    const std::map<std::string, std::string>& query, const nlohmann::json& data,
    std::string_view name) {
  auto it = query.find(std::string(name));
  if (it != query.end()) {
    TRESOR_ASSIGN_OR_RETURN(long long value, ParseIntegerText(name, it->second));
    return std::optional<long long>(value);
  }
  const nlohmann::json* v = Find(data, name);
  // Vault's own CLI sends numbers as strings ("version": "2"); accept those.
  if (v != nullptr && v->is_string()) {
    TRESOR_ASSIGN_OR_RETURN(long long value, ParseIntegerText(name, v->get<std::string>()));
    return std::optional<long long>(value);
  }
  return OptionalInt(data, name);
}

std::optional<std::string> UnknownFieldsWarning(const nlohmann::json& data,
                                                std::initializer_list<std::string_view> known) {
  if (!data.is_object()) return std::nullopt;
  std::vector<std::string> unknown;
  for (const auto& [key, value] : data.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) unknown.push_back(key);
  }
  if (unknown.empty()) return std::nullopt;
  std::sort(unknown.begin(), unknown.end());
  std::string joined;
  for (const auto& name : unknown) {
    if (!joined.empty()) joined += ' ';
    joined += name;
  }
  return "Endpoint ignored these unrecognized parameters: [" + joined + "]";
}

Status RefuseUnsupported(const nlohmann::json& data, std::string_view name,
                         std::string_view why) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return Status::Ok();
  bool empty = (v->is_string() && v->get<std::string>().empty()) ||
               ((v->is_array() || v->is_object()) && v->empty()) ||
               (v->is_number() && v->get<double>() == 0) || (v->is_boolean() && !v->get<bool>());
  if (empty) return Status::Ok();
  return InvalidArgumentError(std::string(name) + " is not supported: " + std::string(why));
}

}  // namespace tresor::engines

#include "core/request_fields.h"

#include <climits>

namespace tresor::core {
namespace {

const nlohmann::json* Find(const nlohmann::json& data, std::string_view name) {
  if (!data.is_object()) return nullptr;
  auto it = data.find(std::string(name));
  if (it == data.end() || it->is_null()) return nullptr;
  return &*it;
}

Status TypeError(std::string_view name, std::string_view expected, const nlohmann::json& got) {
  return InvalidArgumentError(std::string(name) + ": expected " + std::string(expected) +
                              ", got " + JsonTypeName(got));
}

}  // namespace

std::string JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number with a fraction";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::object: return "an object";
    default: return "an unsupported value";
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
  return TypeError(name, "an integer", *v);
}

StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return std::optional<bool>();
  if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
  return TypeError(name, "a boolean", *v);
}

StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& data,
                                                    std::string_view name) {
  const nlohmann::json* v = Find(data, name);
  if (v == nullptr) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  return TypeError(name, "a string", *v);
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

}  // namespace tresor::core

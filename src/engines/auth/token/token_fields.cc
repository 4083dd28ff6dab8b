#include "engines/auth/token/token_fields.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/duration.h"

namespace tresor::engines::token {
namespace {

Status TypeError(std::string_view name, std::string_view expected, const nlohmann::json& got) {
  return InvalidArgumentError(std::string(name) + ": expected " + std::string(expected) + ", got " +
                              JsonTypeName(got));
}

std::optional<long long> ParseInteger(std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// The integer an integral JSON number holds; std::nullopt otherwise.
std::optional<long long> IntegralNumber(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_unsigned()) {
    auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(std::numeric_limits<long long>::max())) {
      return std::nullopt;
    }
    return static_cast<long long>(u);
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::trunc(d) != d || std::fabs(d) > 9.0e18) return std::nullopt;
    return static_cast<long long>(d);
  }
  return std::nullopt;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

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

StatusOr<TokenFields> TokenFields::FromRequest(const logical::Request& request) {
  nlohmann::json data = nlohmann::json::object();
  if (request.operation == logical::Operation::kRead ||
      request.operation == logical::Operation::kList) {
    for (const auto& [key, value] : request.query) data[key] = value;
  }
  if (request.data.is_object()) {
    for (const auto& [key, value] : request.data.items()) data[key] = value;
  } else if (!request.data.is_null()) {
    return InvalidArgumentError("the request body must be a JSON object, got " +
                                JsonTypeName(request.data));
  }
  return TokenFields(std::move(data));
}

const nlohmann::json* TokenFields::Find(std::string_view name) {
  read_.emplace(name);
  auto it = data_.find(std::string(name));
  if (it == data_.end() || it->is_null()) return nullptr;
  return &*it;
}

StatusOr<std::optional<std::string>> TokenFields::String(std::string_view name) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return TypeError(name, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

StatusOr<std::optional<bool>> TokenFields::Bool(std::string_view name) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return std::optional<bool>();
  if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
  if (auto n = IntegralNumber(*v)) return std::optional<bool>(*n != 0);
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") {
      return std::optional<bool>(true);
    }
    if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
      return std::optional<bool>(false);
    }
    return InvalidArgumentError(std::string(name) + ": expected true or false");
  }
  return TypeError(name, "a boolean", *v);
}

StatusOr<std::optional<long long>> TokenFields::Int(std::string_view name) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return std::optional<long long>();
  if (auto n = IntegralNumber(*v)) return std::optional<long long>(*n);
  if (v->is_string()) {
    if (auto n = ParseInteger(Trim(v->get_ref<const std::string&>()))) {
      return std::optional<long long>(*n);
    }
    return InvalidArgumentError(std::string(name) + ": expected an integer");
  }
  return TypeError(name, "an integer", *v);
}

StatusOr<std::optional<std::chrono::seconds>> TokenFields::Duration(std::string_view name) {
  using Result = std::optional<std::chrono::seconds>;
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Result();
  if (v->is_number()) {
    std::optional<long long> n = IntegralNumber(*v);
    if (!n.has_value()) return TypeError(name, "whole seconds or a duration string", *v);
    if (*n < 0) return InvalidArgumentError(std::string(name) + ": must not be negative");
    if (*n > kMaxDuration.count()) {
      return InvalidArgumentError(std::string(name) + ": duration is too large");
    }
    return Result(std::chrono::seconds(*n));
  }
  if (v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    if (Trim(text).empty()) return Result();  // Vault reads "" as not given.
    auto parsed = ParseDuration(text);
    if (!parsed.ok()) {
      return InvalidArgumentError(std::string(name) + ": " + parsed.status().message());
    }
    return Result(*parsed);
  }
  return TypeError(name, "a duration (\"1h\" or seconds)", *v);
}

StatusOr<std::optional<std::vector<std::string>>> TokenFields::StringList(std::string_view name) {
  using Result = std::optional<std::vector<std::string>>;
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Result();
  std::vector<std::string> out;
  if (v->is_string()) {
    std::string_view rest = v->get_ref<const std::string&>();
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string item = Trim(rest.substr(0, comma));
      if (!item.empty()) out.push_back(std::move(item));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return Result(std::move(out));
  }
  if (!v->is_array()) return TypeError(name, "a list of strings", *v);
  for (const nlohmann::json& item : *v) {
    if (!item.is_string()) {
      return InvalidArgumentError(std::string(name) + ": expected a list of strings, got " +
                                  JsonTypeName(item) + " in the list");
    }
    out.push_back(item.get<std::string>());
  }
  return Result(std::move(out));
}

StatusOr<std::optional<std::map<std::string, std::string>>> TokenFields::StringMap(
    std::string_view name) {
  using Result = std::optional<std::map<std::string, std::string>>;
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Result();
  if (!v->is_object()) return TypeError(name, "an object of strings", *v);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v->items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      out[key] = value.dump();
    } else {
      return InvalidArgumentError(std::string(name) + ": expected string values, got " +
                                  JsonTypeName(value) + " for key \"" + key + "\"");
    }
  }
  return Result(std::move(out));
}

std::optional<std::string> TokenFields::UnusedFieldsWarning() const {
  std::string unused;
  for (const auto& [key, value] : data_.items()) {
    if (read_.count(key) != 0) continue;
    unused += unused.empty() ? key : " " + key;
  }
  if (unused.empty()) return std::nullopt;
  return "Endpoint ignored these unrecognized parameters: [" + unused + "]";
}

}  // namespace tresor::engines::token

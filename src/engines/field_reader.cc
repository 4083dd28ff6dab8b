#include "engines/field_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/duration.h"
#include "engines/request_fields.h"

namespace tresor::engines {
namespace {

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

StatusOr<FieldReader> FieldReader::FromRequest(const logical::Request& request) {
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
  return FieldReader(std::move(data));
}

StatusOr<FieldReader> FieldReader::FromObject(const nlohmann::json& value, std::string_view name) {
  if (value.is_null()) return FieldReader(nlohmann::json::object());
  if (!value.is_object()) return FieldTypeError(name, "an object", value);
  return FieldReader(value);
}

const nlohmann::json& FieldReader::Raw(std::string_view name) {
  static const nlohmann::json kNull;
  const nlohmann::json* v = Find(name);
  return v == nullptr ? kNull : *v;
}

const nlohmann::json* FieldReader::Find(std::string_view name) {
  read_.emplace(name);
  auto it = data_.find(std::string(name));
  if (it == data_.end() || it->is_null()) return nullptr;
  return &*it;
}

StatusOr<std::optional<std::string>> FieldReader::String(std::string_view name) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return FieldTypeError(name, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

StatusOr<std::optional<bool>> FieldReader::Bool(std::string_view name) {
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
  return FieldTypeError(name, "a boolean", *v);
}

StatusOr<std::optional<long long>> FieldReader::Int(std::string_view name) {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return std::optional<long long>();
  if (auto n = IntegralNumber(*v)) return std::optional<long long>(*n);
  if (v->is_string()) {
    if (auto n = ParseInteger(Trim(v->get_ref<const std::string&>()))) {
      return std::optional<long long>(*n);
    }
    return InvalidArgumentError(std::string(name) + ": expected an integer");
  }
  return FieldTypeError(name, "an integer", *v);
}

StatusOr<std::optional<std::chrono::seconds>> FieldReader::Duration(std::string_view name) {
  using Result = std::optional<std::chrono::seconds>;
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Result();
  if (v->is_number()) {
    std::optional<long long> n = IntegralNumber(*v);
    if (!n.has_value()) return FieldTypeError(name, "whole seconds or a duration string", *v);
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
  return FieldTypeError(name, "a duration (\"1h\" or seconds)", *v);
}

StatusOr<std::optional<std::vector<std::string>>> FieldReader::StringList(std::string_view name) {
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
  if (!v->is_array()) return FieldTypeError(name, "a list of strings", *v);
  for (const nlohmann::json& item : *v) {
    if (!item.is_string()) {
      return InvalidArgumentError(std::string(name) + ": expected a list of strings, got " +
                                  JsonTypeName(item) + " in the list");
    }
    out.push_back(item.get<std::string>());
  }
  return Result(std::move(out));
}

StatusOr<std::optional<std::map<std::string, std::string>>> FieldReader::StringMap(
    std::string_view name) {
  using Result = std::optional<std::map<std::string, std::string>>;
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Result();
  if (!v->is_object()) return FieldTypeError(name, "an object of strings", *v);
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

std::optional<std::string> FieldReader::UnusedFieldsWarning() const {
  std::string unused;
  for (const auto& [key, value] : data_.items()) {
    if (read_.count(key) != 0) continue;
    unused += unused.empty() ? key : " " + key;
  }
  if (unused.empty()) return std::nullopt;
  return "Endpoint ignored these unrecognized parameters: [" + unused + "]";
}

}  // namespace tresor::engines

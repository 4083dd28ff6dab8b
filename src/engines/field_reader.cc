#include "engines/field_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "common/duration.h"

namespace tresor::engines {
namespace {

// What a JSON value holds when read as a long long.
enum class IntegerFit { kFits, kOutOfRange, kFraction, kNotANumber };

IntegerFit ReadInteger(const nlohmann::json& v, long long* out) {
  // nlohmann counts unsigned numbers as integers too: test unsigned first,
  // or a value above LLONG_MAX would wrap to a negative one.
  if (v.is_number_unsigned()) {
    auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(LLONG_MAX)) return IntegerFit::kOutOfRange;
    *out = static_cast<long long>(u);
    return IntegerFit::kFits;
  }
  if (v.is_number_integer()) {
    *out = v.get<long long>();
    return IntegerFit::kFits;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    // Range check before the cast: converting an out-of-range double is UB.
    if (!(d >= -9.2e18 && d <= 9.2e18)) return IntegerFit::kOutOfRange;
    if (std::trunc(d) != d) return IntegerFit::kFraction;
    *out = static_cast<long long>(d);
    return IntegerFit::kFits;
  }
  return IntegerFit::kNotANumber;
}

// The integer an integral JSON number holds; std::nullopt otherwise.
std::optional<long long> IntegralNumber(const nlohmann::json& v) {
  long long n = 0;
  if (ReadInteger(v, &n) != IntegerFit::kFits) return std::nullopt;
  return n;
}

// A base-10 integer filling all of `text` (no sign but '-').
std::optional<long long> ParseDecimal(std::string_view text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// The field of a JSON object, for the strict readers; nullptr when `data` is
// not an object or the field is absent or null.
const nlohmann::json* FindField(const nlohmann::json& data, std::string_view name) {
  if (!data.is_object()) return nullptr;
  auto it = data.find(std::string(name));
  if (it == data.end() || it->is_null()) return nullptr;
  return &*it;
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
    if (auto n = ParseDecimal(TrimSpaces(v->get_ref<const std::string&>()))) {
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
    if (TrimSpaces(text).empty()) return Result();  // Vault reads "" as not given.
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
      std::string item = TrimSpaces(rest.substr(0, comma));
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

Status FieldTypeError(std::string_view name, std::string_view expected, const nlohmann::json& got) {
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
  const nlohmann::json* v = FindField(data, name);
  if (v == nullptr) return std::optional<long long>();
  long long n = 0;
  switch (ReadInteger(*v, &n)) {
    case IntegerFit::kFits:
      return std::optional<long long>(n);
    case IntegerFit::kOutOfRange:
      return InvalidArgumentError(std::string(name) + ": integer out of range");
    case IntegerFit::kFraction:
    case IntegerFit::kNotANumber:
      break;
  }
  return FieldTypeError(name, "an integer", *v);
}

StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = FindField(data, name);
  if (v == nullptr) return std::optional<bool>();
  if (v->is_boolean()) return std::optional<bool>(v->get<bool>());
  return FieldTypeError(name, "a boolean", *v);
}

StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& data,
                                                    std::string_view name) {
  const nlohmann::json* v = FindField(data, name);
  if (v == nullptr) return std::optional<std::string>();
  if (v->is_string()) return std::optional<std::string>(v->get<std::string>());
  return FieldTypeError(name, "a string", *v);
}

StatusOr<const nlohmann::json*> OptionalObject(const nlohmann::json& data, std::string_view name) {
  const nlohmann::json* v = FindField(data, name);
  if (v == nullptr || v->is_object()) return v;
  return FieldTypeError(name, "an object", *v);
}

StatusOr<long long> ParseIntegerText(std::string_view name, std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::optional<long long> value = ParseDecimal(digits);
  if (!value.has_value()) {
    return InvalidArgumentError(std::string(name) + ": expected an integer, got \"" +
                                std::string(text.substr(0, 64)) + "\"");
  }
  return *value;
}

StatusOr<std::optional<long long>> OptionalIntFromQueryOrBody(
    const std::map<std::string, std::string>& query, const nlohmann::json& data,
    std::string_view name) {
  auto it = query.find(std::string(name));
  if (it != query.end()) {
    TRESOR_ASSIGN_OR_RETURN(long long value, ParseIntegerText(name, it->second));
    return std::optional<long long>(value);
  }
  const nlohmann::json* v = FindField(data, name);
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

Status RefuseUnsupported(const nlohmann::json& data, std::string_view name, std::string_view why) {
  const nlohmann::json* v = FindField(data, name);
  if (v == nullptr) return Status::Ok();
  bool empty = (v->is_string() && v->get<std::string>().empty()) ||
               ((v->is_array() || v->is_object()) && v->empty()) ||
               (v->is_number() && v->get<double>() == 0) || (v->is_boolean() && !v->get<bool>());
  if (empty) return Status::Ok();
  return InvalidArgumentError(std::string(name) + " is not supported: " + std::string(why));
}

}  // namespace tresor::engines

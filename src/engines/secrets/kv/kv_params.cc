#include "engines/secrets/kv/kv_params.h"

#include <climits>
#include <string>

#include "common/duration.h"
#include "engines/field_reader.h"

namespace tresor::engines::kv {
namespace {

Status BadVersion(std::string_view shown) {
  return InvalidArgumentError("versions: expected positive version numbers, got \"" +
                              std::string(shown.substr(0, 64)) + "\"");
}

StatusOr<std::uint64_t> VersionFromText(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  auto parsed = ParseIntegerText("versions", text);
  if (!parsed.ok() || *parsed < 1) return BadVersion(text);
  return static_cast<std::uint64_t>(*parsed);
}

// Printable as Go's strutil.Printable sees it for the ASCII range: no
// control characters. Bytes >= 0x80 (UTF-8) are allowed.
bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

StatusOr<std::vector<std::uint64_t>> ParseVersionList(const nlohmann::json& data) {
  std::vector<std::uint64_t> out;
  if (!data.is_object()) return out;
  auto it = data.find("versions");
  if (it == data.end() || it->is_null()) return out;
  const nlohmann::json& v = *it;
  if (v.is_string()) {
    std::string text = v.get<std::string>();
    if (text.empty()) return out;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      if (out.size() >= kMaxVersionsPerRequest) {
        return InvalidArgumentError("versions: at most " + std::to_string(kMaxVersionsPerRequest) +
                                    " version numbers per request");
      }
      TRESOR_ASSIGN_OR_RETURN(std::uint64_t n,
                              VersionFromText(std::string_view(text).substr(start, comma - start)));
      out.push_back(n);
      start = comma + 1;
    }
    return out;
  }
  if (v.is_number()) {
    nlohmann::json wrapped = {{"versions", v}};
    auto n = OptionalInt(wrapped, "versions");
    if (!n.ok() || !n->has_value() || **n < 1) return BadVersion(v.dump());
    out.push_back(static_cast<std::uint64_t>(**n));
    return out;
  }
  if (!v.is_array()) {
    return InvalidArgumentError("versions: expected a list of version numbers, got " +
                                JsonTypeName(v));
  }
  if (v.size() > kMaxVersionsPerRequest) {
    return InvalidArgumentError("versions: at most " + std::to_string(kMaxVersionsPerRequest) +
                                " version numbers per request");
  }
  for (const auto& element : v) {
    if (element.is_string()) {
      TRESOR_ASSIGN_OR_RETURN(std::uint64_t n, VersionFromText(element.get<std::string>()));
      out.push_back(n);
      continue;
    }
    nlohmann::json wrapped = {{"versions", element}};
    auto n = OptionalInt(wrapped, "versions");
    if (!n.ok() || !n->has_value() || **n < 1) return BadVersion(element.dump());
    out.push_back(static_cast<std::uint64_t>(**n));
  }
  return out;
}

StatusOr<std::optional<std::int64_t>> ParseDurationField(const nlohmann::json& data,
                                                         std::string_view name,
                                                         bool allow_negative) {
  std::string field(name);
  if (!data.is_object() || !data.contains(field) || data[field].is_null()) {
    return std::optional<std::int64_t>();
  }
  const nlohmann::json& v = data[field];
  if (v.is_number()) {
    TRESOR_ASSIGN_OR_RETURN(auto seconds, OptionalInt(data, name));
    if (*seconds < 0 && !allow_negative) {
      return InvalidArgumentError(field + ": must not be negative");
    }
    if (*seconds > kMaxDuration.count() || *seconds < -kMaxDuration.count()) {
      return InvalidArgumentError(field + ": duration out of range");
    }
    return std::optional<std::int64_t>(*seconds);
  }
  if (!v.is_string()) {
    return InvalidArgumentError(field + ": expected a duration, got " + JsonTypeName(v));
  }
  std::string_view text = v.get_ref<const std::string&>();
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return InvalidArgumentError(field + ": must not be negative");
    negative = true;
    text.remove_prefix(1);
  }
  auto parsed = ParseDuration(text);
  if (!parsed.ok()) return parsed.status().WithContext(field);
  std::int64_t seconds = parsed->count();
  // "-500ms" rounds to zero seconds but still means "disabled".
  if (negative) seconds = seconds == 0 ? -1 : -seconds;
  return std::optional<std::int64_t>(seconds);
}

StatusOr<std::optional<std::uint32_t>> ParseMaxVersions(const nlohmann::json& data) {
  TRESOR_ASSIGN_OR_RETURN(auto value, OptionalInt(data, "max_versions"));
  if (!value) return std::optional<std::uint32_t>();
  if (*value < 0) return InvalidArgumentError("max_versions: must not be negative");
  if (*value > static_cast<long long>(UINT32_MAX)) {
    return InvalidArgumentError("max_versions: integer out of range");
  }
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(*value));
}

StatusOr<nlohmann::json> ParseCustomMetadata(const nlohmann::json& value, bool allow_nulls) {
  const std::string prefix = "custom_metadata validation failed";
  if (!value.is_object()) {
    return InvalidArgumentError("custom_metadata: expected an object, got " + JsonTypeName(value));
  }
  if (value.size() > kMaxCustomMetadataKeys) {
    return InvalidArgumentError(prefix + ": payload must contain at most " +
                                std::to_string(kMaxCustomMetadataKeys) + " keys, provided " +
                                std::to_string(value.size()));
  }
  std::string errors;
  auto add = [&](const std::string& message) {
    if (!errors.empty()) errors += "; ";
    errors += prefix + ": " + message;
  };
  for (const auto& [key, v] : value.items()) {
    std::string shown_key = key.substr(0, kMaxCustomMetadataKeyLength);
    if (key.empty() || key.size() > kMaxCustomMetadataKeyLength) {
      add("length of key \"" + shown_key + "\" is " + std::to_string(key.size()) +
          " but must be 0 < len(key) <= " + std::to_string(kMaxCustomMetadataKeyLength));
    }
    if (!Printable(key)) add("key \"" + shown_key + "\" contains unprintable characters");
    if (v.is_null() && allow_nulls) continue;
    if (!v.is_string()) {
      add("value for key \"" + shown_key + "\": expected a string, got " + JsonTypeName(v));
      continue;
    }
    const std::string& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxCustomMetadataValueLength) {
      add("length of value for key \"" + shown_key + "\" is " + std::to_string(s.size()) +
          " but must be 0 < len(value) <= " + std::to_string(kMaxCustomMetadataValueLength));
    }
    if (!Printable(s)) add("value for key \"" + shown_key + "\" contains unprintable characters");
  }
  if (!errors.empty()) return InvalidArgumentError(errors);
  return value;
}

}  // namespace tresor::engines::kv

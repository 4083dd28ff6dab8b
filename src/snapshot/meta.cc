#include "snapshot/meta.h"

#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "snapshot/archive_format.h"

namespace tresor::snapshot {
namespace {

using Json = nlohmann::json;

Status FieldError(std::string_view field, std::string_view want) {
  return InvalidArgumentError("meta.json: field \"" + std::string(field) + "\" must be " +
                              std::string(want));
}

StatusOr<std::uint64_t> UnsignedField(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end()) return FieldError(field, "present");
  // A JSON number like 1.0 or -1 is not an index; only integers that fit.
  if (!it->is_number_unsigned()) return FieldError(field, "a non-negative integer");
  return it->get<std::uint64_t>();
}

StatusOr<std::string> StringField(const Json& object, const char* field, bool allow_empty) {
  auto it = object.find(field);
  if (it == object.end()) return FieldError(field, "present");
  if (!it->is_string()) return FieldError(field, "a string");
  std::string value = it->get<std::string>();
  if (value.empty() && !allow_empty) return FieldError(field, "a non-empty string");
  return value;
}

std::optional<LogPoint> ParseLogPoint(const Json& log) {
  if (!log.is_object() || log.size() != 3) return std::nullopt;
  auto index = UnsignedField(log, "index");
  auto hash = StringField(log, "hash", false);
  auto unix_ns = UnsignedField(log, "unix_ns");
  if (!index.ok() || !hash.ok() || !unix_ns.ok() ||
      *unix_ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  auto raw = HexDecode(*hash);
  if (!raw.ok() || raw->size() != 32) return std::nullopt;
  return LogPoint{*index, std::move(*raw), static_cast<std::int64_t>(*unix_ns)};
}

}  // namespace

std::string EncodeMeta(const Meta& meta) {
  // nlohmann::ordered_json keeps the documented field order.
  nlohmann::ordered_json json;
  json["version"] = meta.version;
  json["id"] = meta.id;
  json["index"] = meta.index;
  json["term"] = meta.term;
  json["created_at"] = meta.created_at;
  json["size"] = meta.size;
  json["cluster_id"] = meta.cluster_id;
  json["keyring_term"] = meta.keyring_term;
  if (meta.log.has_value()) {
    json["log"] = {{"index", meta.log->index},
                   {"hash", HexEncode(meta.log->hash)},
                   {"unix_ns", meta.log->unix_ns}};
  }
  return json.dump();
}

StatusOr<Meta> ParseMeta(std::string_view text) {
  Json json;
  try {
    json = Json::parse(text);
  } catch (const Json::exception&) {
    return InvalidArgumentError("meta.json is not valid JSON");
  }
  if (!json.is_object()) return InvalidArgumentError("meta.json is not a JSON object");

  // The version decides how to read everything else, so it is checked first.
  auto version = json.find("version");
  if (version == json.end()) return FieldError("version", "present");
  if (!version->is_number_integer()) return FieldError("version", "an integer");
  if (version->get<std::int64_t>() != kFormatVersion) {
    return InvalidArgumentError(
        "snapshot format version " + std::to_string(version->get<std::int64_t>()) +
        " is not supported: this Tresor reads version " + std::to_string(kFormatVersion));
  }
  static constexpr const char* kFields[] = {"version",    "id",   "index",      "term",
                                            "created_at", "size", "cluster_id", "keyring_term",
                                            "log"};
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const char* field : kFields) known = known || key == field;
    if (!known) return InvalidArgumentError("meta.json: unknown field \"" + key + "\"");
  }

  Meta meta;
  meta.version = kFormatVersion;
  TRESOR_ASSIGN_OR_RETURN(meta.id, StringField(json, "id", false));
  TRESOR_ASSIGN_OR_RETURN(meta.index, UnsignedField(json, "index"));
  TRESOR_ASSIGN_OR_RETURN(meta.term, UnsignedField(json, "term"));
  TRESOR_ASSIGN_OR_RETURN(meta.created_at, StringField(json, "created_at", false));
  TRESOR_ASSIGN_OR_RETURN(meta.size, UnsignedField(json, "size"));
  TRESOR_ASSIGN_OR_RETURN(meta.cluster_id, StringField(json, "cluster_id", true));
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t keyring_term, UnsignedField(json, "keyring_term"));
  if (keyring_term > std::numeric_limits<std::uint32_t>::max()) {
    return FieldError("keyring_term", "a 32-bit unsigned integer");
  }
  meta.keyring_term = static_cast<std::uint32_t>(keyring_term);
  if (auto log = json.find("log"); log != json.end()) {
    auto point = ParseLogPoint(*log);
    if (!point) return FieldError("log", "an object of index, hash (64 hex digits) and unix_ns");
    meta.log = std::move(*point);
  }
  return meta;
}

std::string NewSnapshotId(std::uint64_t term, std::uint64_t index, Clock::TimePoint now) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return std::to_string(term) + "-" + std::to_string(index) + "-" + std::to_string(ms);
}

}  // namespace tresor::snapshot

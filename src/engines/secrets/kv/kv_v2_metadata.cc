// KV v2 config (the mount's settings) and metadata/<path> (a key's settings,
// its version list, LIST of folders). Input is validated completely before
// any lock is taken or anything is written.
#include <chrono>
#include <mutex>
#include <shared_mutex>

#include "common/duration.h"
#include "engines/field_reader.h"
#include "engines/secrets/kv/kv_params.h"
#include "engines/secrets/kv/kv_v2_engine.h"

namespace tresor::engines::kv {
namespace {

using logical::Request;
using logical::Response;

constexpr std::string_view kCasIgnoredWarning =
    "\"cas_required\" set to false, but is mandated by backend config. This value will be "
    "ignored.";

// The settings shared by config writes and metadata writes and patches.
struct Settings {
  std::optional<std::uint32_t> max_versions;
  std::optional<bool> cas_required;
  std::optional<std::int64_t> delete_version_after_s;
  std::optional<nlohmann::json> custom_metadata;  // metadata only

  bool empty() const {
    return !max_versions && !cas_required && !delete_version_after_s && !custom_metadata;
  }
};

StatusOr<Settings> ParseSettings(const nlohmann::json& body, bool negative_duration_allowed,
                                 bool with_custom_metadata, bool patch) {
  Settings s;
  TRESOR_ASSIGN_OR_RETURN(s.max_versions, ParseMaxVersions(body));
  TRESOR_ASSIGN_OR_RETURN(s.cas_required, OptionalBool(body, "cas_required"));
  TRESOR_ASSIGN_OR_RETURN(s.delete_version_after_s, ParseDurationField(body, "delete_version_after",
                                                                       negative_duration_allowed));
  if (with_custom_metadata && body.is_object()) {
    auto it = body.find("custom_metadata");
    if (it != body.end() && !it->is_null()) {
      TRESOR_ASSIGN_OR_RETURN(s.custom_metadata, ParseCustomMetadata(*it, patch));
    }
  }
  return s;
}

std::string DurationText(std::int64_t seconds) {
  return FormatDuration(std::chrono::seconds(seconds));
}

bool IsMergePatch(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == "application/merge-patch+json";
}

void WarnUnknownMetadataFields(const nlohmann::json& body, Response& response) {
  if (auto warning = UnknownFieldsWarning(
          body, {"max_versions", "cas_required", "delete_version_after", "custom_metadata"})) {
    response.warnings.push_back(*warning);
  }
}

}  // namespace

StatusOr<Response> KvV2Engine::ReadConfig() {
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfig());
  return Response::Data({{"cas_required", config.cas_required},
                         {"delete_version_after", DurationText(config.delete_version_after_s)},
                         {"max_versions", config.max_versions}});
}

StatusOr<Response> KvV2Engine::WriteConfig(const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(Settings s, ParseSettings(request.data, /*negative_duration_allowed=*/
                                                    true, /*with_custom_metadata=*/false,
                                                    /*patch=*/false));
  Response response;
  if (auto warning = UnknownFieldsWarning(
          request.data, {"max_versions", "cas_required", "delete_version_after"})) {
    response.warnings.push_back(*warning);
  }
  if (s.empty()) return response;  // Vault writes nothing either
  TRESOR_RETURN_IF_ERROR(UpdateConfig([&](Config& config) {
    if (s.max_versions) config.max_versions = *s.max_versions;
    if (s.cas_required) config.cas_required = *s.cas_required;
    // Vault: negative disables, zero clears, positive sets.
    if (s.delete_version_after_s) config.delete_version_after_s = *s.delete_version_after_s;
  }));
  return response;
}

StatusOr<Response> KvV2Engine::ReadMetadata(std::string_view path) {
  std::shared_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return NotFoundError("");
  const Record& r = *loaded.record;
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [number, entry] : r.versions) {
    versions[std::to_string(number)] = {{"created_time", FormatTime(entry.created_ns)},
                                        {"deletion_time", FormatOptionalTime(entry.deletion_ns)},
                                        {"destroyed", entry.destroyed}};
  }
  return Response::Data({{"cas_required", r.cas_required},
                         {"created_time", FormatTime(r.created_ns)},
                         {"current_version", r.current_version},
                         {"custom_metadata", r.custom_metadata},
                         {"delete_version_after", DurationText(r.delete_version_after_s)},
                         {"max_versions", r.max_versions},
                         {"oldest_version", r.oldest_version},
                         {"updated_time", FormatTime(r.updated_ns)},
                         {"versions", std::move(versions)}});
}

StatusOr<Response> KvV2Engine::WriteMetadata(std::string_view path, const Request& request) {
  TRESOR_RETURN_IF_ERROR(RecordKey(path).status());
  TRESOR_ASSIGN_OR_RETURN(Settings s, ParseSettings(request.data, /*negative_duration_allowed=*/
                                                    false, /*with_custom_metadata=*/true,
                                                    /*patch=*/false));
  Response response;
  WarnUnknownMetadataFields(request.data, response);
  if (s.empty()) return response;  // Vault's fast path: nothing is created
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfig());
  if (s.cas_required && !*s.cas_required && config.cas_required) {
    response.warnings.insert(response.warnings.begin(), std::string(kCasIgnoredWarning));
  }

  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) {
    Record fresh;
    fresh.created_ns = fresh.updated_ns = Now();
    loaded.record = std::move(fresh);
  }
  Record& r = *loaded.record;
  if (s.max_versions) r.max_versions = *s.max_versions;
  if (s.cas_required) r.cas_required = *s.cas_required;
  if (s.delete_version_after_s) r.delete_version_after_s = *s.delete_version_after_s;
  if (s.custom_metadata) r.custom_metadata = std::move(*s.custom_metadata);
  TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, r));
  return response;
}

StatusOr<Response> KvV2Engine::PatchMetadata(std::string_view path, const Request& request) {
  if (!IsMergePatch(request.content_type)) {
    return Response::Raw(
        {{"errors", {"PATCH requires Content-Type of application/merge-patch+json"}}}, 415);
  }
  TRESOR_RETURN_IF_ERROR(RecordKey(path).status());
  TRESOR_ASSIGN_OR_RETURN(Settings s, ParseSettings(request.data, /*negative_duration_allowed=*/
                                                    false, /*with_custom_metadata=*/true,
                                                    /*patch=*/true));
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfig());

  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return NotFoundError("");
  Record r = *loaded.record;
  if (s.max_versions) r.max_versions = *s.max_versions;
  if (s.cas_required) r.cas_required = *s.cas_required;
  if (s.delete_version_after_s) r.delete_version_after_s = *s.delete_version_after_s;
  if (s.custom_metadata) {
    nlohmann::json merged =
        r.custom_metadata.is_object() ? r.custom_metadata : nlohmann::json::object();
    merged.merge_patch(*s.custom_metadata);
    // The merge may add keys to existing ones: check the limits again.
    TRESOR_ASSIGN_OR_RETURN(r.custom_metadata, ParseCustomMetadata(merged, false));
  }

  Response response;
  if (s.cas_required && !*s.cas_required && config.cas_required) {
    response.warnings.emplace_back(kCasIgnoredWarning);
  }
  WarnUnknownMetadataFields(request.data, response);
  if (s.empty()) return response;
  TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, r));
  return response;
}

StatusOr<Response> KvV2Engine::DeleteMetadata(std::string_view path) {
  TRESOR_ASSIGN_OR_RETURN(std::string key, RecordKey(path));
  std::unique_lock lock(LockFor(path));
  TRESOR_RETURN_IF_ERROR(storage_.Delete(key));
  return Response::Empty();
}

StatusOr<Response> KvV2Engine::ListMetadata(std::string_view folder) {
  while (!folder.empty() && folder.back() == '/') folder.remove_suffix(1);
  std::string prefix = "records/";
  if (!folder.empty()) {
    TRESOR_ASSIGN_OR_RETURN(std::string key, RecordKey(folder));
    prefix = key + "/";
  }
  TRESOR_ASSIGN_OR_RETURN(auto keys, storage_.List(prefix));
  // Vault answers an empty listing with a bare 404.
  if (keys.empty()) return NotFoundError("");
  return Response::Data({{"keys", keys}});
}

}  // namespace tresor::engines::kv

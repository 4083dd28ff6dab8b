// KV v2 data/<path> (read, write, patch, soft delete of the latest version)
// and subkeys/<path>. Every handler validates its input before it takes
// the path lock, so a bad request changes nothing.
#include <mutex>
#include <shared_mutex>

#include "engines/field_reader.h"
#include "engines/secrets/kv/kv_v2_engine.h"

namespace tresor::engines::kv {
namespace {

using logical::Request;
using logical::Response;

constexpr std::string_view kMergePatchType = "application/merge-patch+json";

// Vault's limit on how deep subkeys/ walks; deeper objects become leaves.
constexpr long long kMaxSubkeysDepth = 100;

// The body of data/ writes and patches: the secret and the optional
// check-and-set version.
struct DataWrite {
  const nlohmann::json* data = nullptr;
  std::optional<long long> cas;
};

StatusOr<DataWrite> ParseDataWrite(const nlohmann::json& body) {
  DataWrite out;
  TRESOR_ASSIGN_OR_RETURN(out.data, OptionalObject(body, "data"));
  if (out.data == nullptr) return InvalidArgumentError("no data provided");
  TRESOR_ASSIGN_OR_RETURN(const nlohmann::json* options, OptionalObject(body, "options"));
  if (options != nullptr) {
    TRESOR_ASSIGN_OR_RETURN(out.cas, OptionalInt(*options, "cas"));
  }
  return out;
}

// Vault's check-and-set rule: a given cas must equal the current version
// (0 for a path with no versions); without one, the write is refused when
// the mount or the key requires cas.
Status CheckCas(const std::optional<long long>& cas, const Config& config, const Record& record) {
  if (cas) {
    if (*cas < 0 || static_cast<std::uint64_t>(*cas) != record.current_version) {
      return InvalidArgumentError("check-and-set parameter did not match the current version");
    }
    return Status::Ok();
  }
  if (config.cas_required || record.cas_required) {
    return InvalidArgumentError("check-and-set parameter required for this call");
  }
  return Status::Ok();
}

// The "version" to read: absent or 0 means the latest.
StatusOr<std::uint64_t> RequestedVersion(const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(auto version,
                          OptionalIntFromQueryOrBody(request.query, request.data, "version"));
  if (!version) return std::uint64_t{0};
  if (*version < 0) return InvalidArgumentError("version: must not be negative");
  return static_cast<std::uint64_t>(*version);
}

void AddUnknownFieldsWarning(const nlohmann::json& body, Response& response) {
  if (auto warning = UnknownFieldsWarning(body, {"data", "options", "version"})) {
    response.warnings.push_back(*warning);
  }
}

// Replaces every leaf (a non-object or an empty object) with null, in
// place. Objects at level `max_depth` (top level is 1) become leaves too.
void StripValues(nlohmann::json& object, long long level, long long max_depth) {
  for (auto& [key, value] : object.items()) {
    bool descend = value.is_object() && !value.empty() && level < max_depth;
    if (descend) {
      StripValues(value, level + 1, max_depth);
    } else {
      value = nullptr;
    }
  }
}

}  // namespace

StatusOr<Response> KvV2Engine::ReadData(std::string_view path, const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t wanted, RequestedVersion(request));
  std::shared_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return NotFoundError("");
  const Record& record = *loaded.record;
  std::uint64_t version = wanted > 0 ? wanted : record.current_version;
  const VersionEntry* entry = record.Find(version);
  if (entry == nullptr) return NotFoundError("");

  Response response = Response::Data(
      {{"data", nullptr}, {"metadata", VersionMetadataJson(record, version, *entry)}});
  // Vault answers a deleted or destroyed version with 404 and its metadata.
  if (!entry->LiveAt(Now())) {
    response.http_status = 404;
    return response;
  }
  response.data["data"] = entry->data;
  return response;
}

StatusOr<Response> KvV2Engine::WriteData(std::string_view path, const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(DataWrite write, ParseDataWrite(request.data));
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfig());

  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  Record record = loaded.record.value_or(Record{});
  TRESOR_RETURN_IF_ERROR(CheckCas(write.cas, config, record));

  Nanos now = Now();
  std::uint64_t version =
      record.AddVersion(now, *write.data, ScheduledDeletion(now, config, record),
                        EffectiveMaxVersions(config, record));
  TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, record));

  Response response = Response::Data(VersionMetadataJson(record, version, *record.Find(version)));
  AddUnknownFieldsWarning(request.data, response);
  return response;
}

StatusOr<Response> KvV2Engine::PatchData(std::string_view path, const Request& request) {
  // Vault's HTTP layer refuses any other content type with a 415.
  std::string_view type = request.content_type;
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type != kMergePatchType) {
    return Response::Raw(
        {{"errors", {"PATCH requires Content-Type of application/merge-patch+json"}}}, 415);
  }
  TRESOR_ASSIGN_OR_RETURN(DataWrite write, ParseDataWrite(request.data));
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfig());

  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return NotFoundError("");
  Record& record = *loaded.record;
  TRESOR_RETURN_IF_ERROR(CheckCas(write.cas, config, record));

  const VersionEntry* latest = record.Latest();
  if (latest == nullptr) return NotFoundError("");
  Nanos now = Now();
  if (!latest->LiveAt(now)) {
    // Vault's 404 here carries the version metadata flat in data.
    Response response =
        Response::Data(VersionMetadataJson(record, record.current_version, *latest));
    response.http_status = 404;
    return response;
  }

  nlohmann::json merged = latest->data;
  merged.merge_patch(*write.data);  // RFC 7386: null removes a key
  std::uint64_t version =
      record.AddVersion(now, std::move(merged), ScheduledDeletion(now, config, record),
                        EffectiveMaxVersions(config, record));
  TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, record));

  Response response = Response::Data(VersionMetadataJson(record, version, *record.Find(version)));
  AddUnknownFieldsWarning(request.data, response);
  return response;
}

StatusOr<Response> KvV2Engine::DeleteLatest(std::string_view path) {
  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return Response::Empty();
  VersionEntry* latest = loaded.record->Latest();
  Nanos now = Now();
  // Already gone: nothing to do, and Vault still answers 204.
  if (latest == nullptr || latest->destroyed || latest->DeletedAt(now)) return Response::Empty();
  latest->deletion_ns = now;
  TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, *loaded.record));
  return Response::Empty();
}

StatusOr<Response> KvV2Engine::ReadSubkeys(std::string_view path, const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t wanted, RequestedVersion(request));
  TRESOR_ASSIGN_OR_RETURN(auto depth,
                          OptionalIntFromQueryOrBody(request.query, request.data, "depth"));
  if (depth && *depth < 0) return InvalidArgumentError("depth: must not be negative");

  std::shared_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return NotFoundError("");
  const Record& record = *loaded.record;
  std::uint64_t version = wanted > 0 ? wanted : record.current_version;
  const VersionEntry* entry = record.Find(version);
  if (entry == nullptr) return NotFoundError("");

  Response response = Response::Data(
      {{"metadata", VersionMetadataJson(record, version, *entry)}, {"subkeys", nullptr}});
  if (!entry->LiveAt(Now())) {
    response.http_status = 404;
    return response;
  }
  nlohmann::json subkeys = entry->data;
  long long max_depth = depth.value_or(0);
  if (max_depth == 0 || max_depth > kMaxSubkeysDepth) max_depth = kMaxSubkeysDepth;
  StripValues(subkeys, 1, max_depth);
  response.data["subkeys"] = std::move(subkeys);
  return response;
}

}  // namespace tresor::engines::kv

#include "engines/secrets/kv/kv_v2_engine.h"

#include <chrono>
#include <functional>

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

constexpr std::string_view kConfigKey = "config";
constexpr std::string_view kRecordPrefix = "records/";

// Vault's answer to a path that no KV v2 endpoint matches (for example a
// KV v1-style "secret/foo"): 404 with no data and this warning.
Response InvalidPathResponse(Operation op) {
  std::string_view verb = "get";
  switch (op) {
    case Operation::kRead:
      verb = "get";
      break;
    case Operation::kList:
      verb = "list";
      break;
    case Operation::kCreate:
    case Operation::kUpdate:
      verb = "put";
      break;
    case Operation::kPatch:
      verb = "patch";
      break;
    case Operation::kDelete:
      verb = "delete";
      break;
  }
  Response response;
  response.http_status = 404;
  response.warnings.push_back(
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API "
      "endpoints to use. If using the Vault CLI, use 'vault kv " +
      std::string(verb) + "' for this operation.");
  return response;
}

Status UnsupportedOperation() { return UnsupportedOperationError("unsupported operation"); }

bool IsWrite(Operation op) { return op == Operation::kCreate || op == Operation::kUpdate; }

}  // namespace

nlohmann::json VersionMetadataJson(const Record& record, std::uint64_t version,
                                   const VersionEntry& entry) {
  return {{"created_time", FormatTime(entry.created_ns)},
          {"custom_metadata", record.custom_metadata},
          {"deletion_time", FormatOptionalTime(entry.deletion_ns)},
          {"destroyed", entry.destroyed},
          {"version", version}};
}

KvV2Engine::KvV2Engine(storage::Backend& storage, Clock& clock)
    : storage_(storage), clock_(clock) {}

StatusOr<Response> KvV2Engine::Handle(const Request& request) {
  const std::string& path = request.path;
  const Operation op = request.operation;

  if (path == "config") {
    if (request.trailing_slash) return InvalidPathResponse(op);
    if (op == Operation::kRead) return ReadConfig();
    if (IsWrite(op)) return WriteConfig(request);
    return UnsupportedOperation();
  }

  std::size_t slash = path.find('/');
  std::string_view prefix = std::string_view(path).substr(0, slash);
  std::string_view rest =
      slash == std::string::npos ? std::string_view() : std::string_view(path).substr(slash + 1);

  if (prefix == "metadata") {
    if (op == Operation::kList) return ListMetadata(rest);
    // Vault's metadata pattern takes any path, but a key never ends in '/'.
    if (rest.empty() || request.trailing_slash) {
      if (op == Operation::kRead) return NotFoundError("");
      return InvalidArgumentError("missing path");
    }
    switch (op) {
      case Operation::kRead:
        return ReadMetadata(rest);
      case Operation::kCreate:
      case Operation::kUpdate:
        return WriteMetadata(rest, request);
      case Operation::kPatch:
        return PatchMetadata(rest, request);
      case Operation::kDelete:
        return DeleteMetadata(rest);
      default:
        return UnsupportedOperation();
    }
  }

  // Every other endpoint needs a secret path that does not end in '/'.
  // "data/" alone matches nothing in Vault either.
  if (rest.empty() || request.trailing_slash) return InvalidPathResponse(op);

  if (prefix == "data") {
    switch (op) {
      case Operation::kRead:
        return ReadData(rest, request);
      case Operation::kCreate:
      case Operation::kUpdate:
        return WriteData(rest, request);
      case Operation::kPatch:
        return PatchData(rest, request);
      case Operation::kDelete:
        return DeleteLatest(rest);
      default:
        return UnsupportedOperation();
    }
  }
  if (prefix == "delete" || prefix == "undelete" || prefix == "destroy") {
    if (!IsWrite(op)) return UnsupportedOperation();
    VersionAction action = prefix == "delete"     ? VersionAction::kDelete
                           : prefix == "undelete" ? VersionAction::kUndelete
                                                  : VersionAction::kDestroy;
    return ChangeVersions(action, rest, request);
  }
  if (prefix == "subkeys") {
    if (op != Operation::kRead) return UnsupportedOperation();
    return ReadSubkeys(rest, request);
  }
  return InvalidPathResponse(op);
}

StatusOr<std::optional<bool>> KvV2Engine::Exists(const Request& request) {
  const std::string& path = request.path;
  std::size_t slash = path.find('/');
  if (slash == std::string::npos || slash + 1 == path.size() || request.trailing_slash) {
    return std::optional<bool>();
  }
  std::string_view prefix = std::string_view(path).substr(0, slash);
  std::string_view rest = std::string_view(path).substr(slash + 1);
  if (prefix != "data" && prefix != "metadata") return std::optional<bool>();
  auto loaded = LoadRecord(rest);
  if (!loaded.ok()) {
    // A path that cannot name a record does not exist; the handler itself
    // answers the 400.
    if (loaded.status().code() == StatusCode::kInvalidArgument) return std::optional<bool>(false);
    return loaded.status();
  }
  if (!loaded->record) return std::optional<bool>(false);
  if (prefix == "metadata") return std::optional<bool>(true);
  const VersionEntry* latest = loaded->record->Latest();
  return std::optional<bool>(latest != nullptr && latest->LiveAt(Now()));
}

StatusOr<std::optional<std::uint64_t>> KvV2Engine::CountSecrets() {
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t count, storage::CountKeys(storage_, kRecordPrefix));
  return std::optional<std::uint64_t>(count);
}

std::shared_mutex& KvV2Engine::LockFor(std::string_view path) {
  return path_locks_[std::hash<std::string_view>()(path) % kLockStripes];
}

StatusOr<Config> KvV2Engine::LoadConfig() {
  std::lock_guard<std::mutex> lock(config_mu_);
  return LoadConfigLocked();
}

StatusOr<Config> KvV2Engine::LoadConfigLocked() {
  if (config_) return *config_;
  TRESOR_ASSIGN_OR_RETURN(auto bytes, storage_.Get(kConfigKey));
  Config config;
  if (bytes) {
    TRESOR_ASSIGN_OR_RETURN(config, DecodeConfig(*bytes));
  }
  config_ = config;
  return config;
}

Status KvV2Engine::UpdateConfig(const std::function<void(Config&)>& change) {
  std::lock_guard<std::mutex> lock(config_mu_);
  TRESOR_ASSIGN_OR_RETURN(Config config, LoadConfigLocked());
  change(config);
  Status status = storage_.Put(kConfigKey, EncodeConfig(config));
  // On failure the write may or may not have happened: forget the cache so
  // the next use reads what storage really holds.
  if (status.ok()) {
    config_ = config;
  } else {
    config_.reset();
  }
  return status;
}

StatusOr<std::string> KvV2Engine::RecordKey(std::string_view path) {
  std::string key = std::string(kRecordPrefix) + std::string(path);
  if (!storage::ValidateKey(key).ok()) {
    return InvalidArgumentError("invalid path: empty, '.' or '..' segment");
  }
  return key;
}

StatusOr<KvV2Engine::Loaded> KvV2Engine::LoadRecord(std::string_view path) {
  Loaded loaded;
  TRESOR_ASSIGN_OR_RETURN(loaded.storage_key, RecordKey(path));
  TRESOR_ASSIGN_OR_RETURN(auto bytes, storage_.Get(loaded.storage_key));
  if (bytes) {
    TRESOR_ASSIGN_OR_RETURN(Record record, DecodeRecord(*bytes, path));
    loaded.record = std::move(record);
  }
  return loaded;
}

Status KvV2Engine::StoreRecord(const Loaded& loaded, const Record& record) {
  TRESOR_ASSIGN_OR_RETURN(std::string bytes, EncodeRecord(record));
  return storage_.Put(loaded.storage_key, bytes);
}

Nanos KvV2Engine::Now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
      .count();
}

}  // namespace tresor::engines::kv

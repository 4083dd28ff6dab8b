#include "engines/secrets/kv/kv_v1_engine.h"

#include "common/duration.h"

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

Status ValidatePath(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("missing path");
  if (!storage::ValidateKey(path).ok()) {
    return InvalidArgumentError("invalid path: empty, '.' or '..' segment");
  }
  return Status::Ok();
}

// The lease Vault reports for a KV v1 secret: its own "ttl" (or "lease")
// when that parses as a duration, else the mount's default lease TTL.
long long LeaseSeconds(const nlohmann::json& data, std::chrono::seconds mount_default) {
  const long long fallback =
      mount_default.count() > 0 ? mount_default.count() : kDefaultLeaseSeconds;
  for (const char* field : {"ttl", "lease"}) {
    auto it = data.find(field);
    if (it == data.end()) continue;
    if (it->is_number_integer() && it->get<long long>() >= 0) return it->get<long long>();
    if (it->is_string()) {
      auto parsed = ParseDuration(it->get<std::string>());
      if (parsed.ok()) return parsed->count();
    }
    return fallback;  // present but unparseable: Vault ignores it
  }
  return fallback;
}

}  // namespace

StatusOr<Response> KvV1Engine::Handle(const Request& request) {
  switch (request.operation) {
    case Operation::kRead:
      return Read(request.path, request.mount_default_lease_ttl);
    case Operation::kCreate:
    case Operation::kUpdate:
      return Write(request.path, request.data);
    case Operation::kDelete: {
      TRESOR_RETURN_IF_ERROR(ValidatePath(request.path));
      TRESOR_RETURN_IF_ERROR(storage_.Delete(request.path));
      return Response::Empty();
    }
    case Operation::kList:
      return List(request.path);
    case Operation::kPatch:
      break;
  }
  return UnsupportedOperationError("unsupported operation");
}

StatusOr<std::optional<bool>> KvV1Engine::Exists(const Request& request) {
  if (!ValidatePath(request.path).ok()) return std::optional<bool>(false);
  TRESOR_ASSIGN_OR_RETURN(auto bytes, storage_.Get(request.path));
  return std::optional<bool>(bytes.has_value());
}

StatusOr<std::optional<std::uint64_t>> KvV1Engine::CountSecrets() {
  TRESOR_ASSIGN_OR_RETURN(std::uint64_t count, storage::CountKeys(storage_, ""));
  return std::optional<std::uint64_t>(count);
}

StatusOr<Response> KvV1Engine::Read(const std::string& path, std::chrono::seconds mount_default) {
  TRESOR_RETURN_IF_ERROR(ValidatePath(path));
  TRESOR_ASSIGN_OR_RETURN(auto bytes, storage_.Get(path));
  if (!bytes) return NotFoundError("");
  nlohmann::json data = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object()) {
    return CorruptionError("kv secret at \"" + path + "\" is not a JSON object");
  }
  Response response;
  response.lease_duration = LeaseSeconds(data, mount_default);
  response.data = std::move(data);
  return response;
}

StatusOr<Response> KvV1Engine::Write(const std::string& path, const nlohmann::json& data) {
  TRESOR_RETURN_IF_ERROR(ValidatePath(path));
  if (!data.is_object() || data.empty()) return InvalidArgumentError("missing data fields");
  std::string bytes;
  try {
    bytes = data.dump();
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError("secret data is not valid UTF-8");
  }
  TRESOR_RETURN_IF_ERROR(storage_.Put(path, bytes));
  return Response::Empty();
}

StatusOr<Response> KvV1Engine::List(const std::string& path) {
  std::string prefix = path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) {
    TRESOR_RETURN_IF_ERROR(ValidatePath(prefix));
    prefix += '/';
  }
  TRESOR_ASSIGN_OR_RETURN(auto keys, storage_.List(prefix));
  if (keys.empty()) return NotFoundError("");
  return Response::Data({{"keys", keys}});
}

}  // namespace tresor::engines::kv

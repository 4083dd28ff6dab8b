#include "core/audit/audit_broker.h"

#include <spdlog/spdlog.h>

#include "common/encoding.h"
#include "common/metrics.h"
#include "common/hmac.h"
#include "common/random.h"
#include "common/secure_memory.h"

namespace tresor::core::audit {
namespace {

constexpr char kTableKey[] = "core/audit";
// Options the broker reads itself; the rest belong to the device.
constexpr const char* kFormatOptions[] = {"hmac_accessor", "log_raw", "elide_list_responses",
                                          "format"};

StatusOr<bool> BoolOption(const std::map<std::string, std::string>& options, const std::string& key,
                          bool fallback) {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  return InvalidArgumentError("options: " + key + " \"" + it->second + "\" must be true or false");
}

bool Flag(const DeviceConfig& config, const std::string& key, bool fallback) {
  auto value = BoolOption(config.options, key, fallback);
  return value.ok() ? *value : fallback;
}

std::pair<std::string, int> SplitAddress(const std::string& address);

// How one device's entries are written.
class Formatter {
 public:
  explicit Formatter(const DeviceConfig& config)
      : raw_(Flag(config, "log_raw", false)),
        hmac_accessor_(Flag(config, "hmac_accessor", true)),
        elide_lists_(Flag(config, "elide_list_responses", false)),
        key_(HmacKey(config.salt)) {}

  std::string Hash(const std::string& value) const {
    if (raw_ || value.empty()) return value;
    return "hmac-sha256:" + HexEncode(HmacSha256(key_, value));
  }
  std::string HashAccessor(const std::string& value) const {
    return hmac_accessor_ ? Hash(value) : value;
  }
  // Every string inside `value`, hashed; keys, numbers and booleans kept.
  nlohmann::json HashStrings(const nlohmann::json& value) const {
    if (value.is_string()) return Hash(value.get<std::string>());
    if (value.is_object() || value.is_array()) {
      nlohmann::json out = value;
      for (auto& element : out) element = HashStrings(element);
      return out;
    }
    return value;
  }

  nlohmann::json Auth(const AuditRecord& record) const {
    if (!record.token.has_value()) return nlohmann::json::object();
    const auto& token = *record.token;
    nlohmann::json metadata =
        token.meta.empty() ? nlohmann::json(nullptr) : nlohmann::json(token.meta);
    return {{"client_token", Hash(record.request->client_token)},
            {"accessor", HashAccessor(token.accessor)},
            {"display_name", token.display_name},
            {"policies", token.policies},
            {"token_policies", token.policies},
            {"metadata", metadata},
            {"entity_id", ""},
            {"token_type", token.type}};
  }

  nlohmann::json RequestPart(const AuditRecord& record) const {
    const Request& request = *record.request;
    nlohmann::json out = {
        {"id", request.request_id},
        {"operation", std::string(OperationName(request.operation))},
        {"client_token", Hash(request.client_token)},
        {"client_token_accessor",
         record.token.has_value() ? HashAccessor(record.token->accessor) : ""},
        {"namespace", {{"id", "root"}}},
        {"path", request.path},
    };
    auto [host, port] = SplitAddress(request.remote_address);
    out["remote_address"] = host;
    if (port != 0) out["remote_port"] = port;
    if (!record.mount_type.empty()) out["mount_type"] = record.mount_type;
    if (request.data.is_object() && !request.data.empty()) out["data"] = HashStrings(request.data);
    if (request.wrap_ttl.count() > 0) out["wrap_ttl"] = request.wrap_ttl.count();
    return out;
  }

  nlohmann::json ResponsePart(const AuditRecord& record, const Response& response) const {
    nlohmann::json out = nlohmann::json::object();
    if (!record.mount_type.empty()) out["mount_type"] = record.mount_type;
    if (response.auth.is_object()) {
      nlohmann::json auth = response.auth;
      if (auth.contains("client_token") && auth["client_token"].is_string()) {
        auth["client_token"] = Hash(auth["client_token"].get<std::string>());
      }
      if (auth.contains("accessor") && auth["accessor"].is_string()) {
        auth["accessor"] = HashAccessor(auth["accessor"].get<std::string>());
      }
      out["auth"] = std::move(auth);
    }
    if (response.data.is_object()) {
      nlohmann::json data = response.data;
      if (elide_lists_ && record.request->operation == Operation::kList) {
        if (data.contains("keys") && data["keys"].is_array()) data["keys"] = data["keys"].size();
        if (data.contains("key_info") && data["key_info"].is_object()) {
          data["key_info"] = data["key_info"].size();
        }
      }
      out["data"] = HashStrings(data);
    }
    if (response.wrap_info.is_object()) {
      nlohmann::json wrap = response.wrap_info;
      for (const char* field : {"token", "accessor", "wrapped_accessor"}) {
        if (wrap.contains(field) && wrap[field].is_string()) {
          std::string value = wrap[field].get<std::string>();
          wrap[field] = std::string_view(field) == "token" ? Hash(value) : HashAccessor(value);
        }
      }
      out["wrap_info"] = std::move(wrap);
    }
    if (!response.warnings.empty()) out["warnings"] = response.warnings;
    if (!response.lease_id.empty()) out["secret"] = {{"lease_id", response.lease_id}};
    return out;
  }

 private:
  const bool raw_;
  const bool hmac_accessor_;
  const bool elide_lists_;
  // The salt as the HMAC key, decoded once (not per hashed string: each
  // SecureBytes costs an mlock), in locked memory that is wiped.
  static SecureBytes HmacKey(const std::string& salt) {
    auto decoded = HexDecode(salt);
    if (!decoded.ok()) return ToSecureBytes(salt);
    SecureBytes key = ToSecureBytes(*decoded);
    SecureWipe(*decoded);
    return key;
  }

  const SecureBytes key_;
};

// "10.0.0.1:51234" or "[::1]:51234" as Vault's remote_address and
// remote_port; an address without a port stays whole.
std::pair<std::string, int> SplitAddress(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) return {address, 0};
  std::string port = address.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) {
    return {address, 0};
  }
  std::string host = address.substr(0, colon);
  if (host.find(':') != std::string::npos) {
    if (host.size() < 2 || host.front() != '[' || host.back() != ']') return {address, 0};
    host = host.substr(1, host.size() - 2);
  }
  return {host, std::stoi(port)};
}

std::string NormalizePath(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.empty() ? path : path + "/";
}

nlohmann::json ToJson(const DeviceConfig& config) {
  return {{"path", config.path},       {"type", config.type},   {"description", config.description},
          {"options", config.options}, {"local", config.local}, {"salt", config.salt}};
}

}  // namespace

Broker::Broker(storage::Backend& barrier, Clock& clock) : barrier_(barrier), clock_(clock) {}

nlohmann::json Broker::FormatRequest(const DeviceConfig& config, const AuditRecord& record,
                                     const std::string& time, const Status& error) {
  Formatter format(config);
  nlohmann::json entry = {{"time", time},
                          {"type", "request"},
                          {"auth", format.Auth(record)},
                          {"request", format.RequestPart(record)}};
  if (!error.ok()) entry["error"] = error.message();
  return entry;
}

nlohmann::json Broker::FormatResponse(const DeviceConfig& config, const AuditRecord& record,
                                      const std::string& time, const StatusOr<Response>& result) {
  Formatter format(config);
  nlohmann::json entry = {{"time", time},
                          {"type", "response"},
                          {"auth", format.Auth(record)},
                          {"request", format.RequestPart(record)}};
  if (result.ok()) {
    entry["response"] = format.ResponsePart(record, *result);
  } else {
    entry["response"] = nlohmann::json::object();
    entry["error"] = result.status().message();
  }
  return entry;
}

Status Broker::Load() {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier_.Get(kTableKey));
  std::vector<std::unique_ptr<Live>> loaded;
  if (stored.has_value()) {
    nlohmann::json table = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
    if (!table.is_object() || !table["entries"].is_array()) {
      return CorruptionError("the audit device table (core/audit) is not valid JSON");
    }
    for (const auto& item : table["entries"]) {
      auto live = std::make_unique<Live>();
      live->config.path = item.value("path", "");
      live->config.type = item.value("type", "");
      live->config.description = item.value("description", "");
      live->config.options = item.value("options", std::map<std::string, std::string>{});
      live->config.local = item.value("local", false);
      live->config.salt = item.value("salt", "");
      std::map<std::string, std::string> device_options = live->config.options;
      for (const char* key : kFormatOptions) device_options.erase(key);
      auto device = NewDevice(live->config.type, device_options);
      if (device.ok()) {
        live->device = std::move(*device);
      } else {
        live->open_error = device.status().message();
        live->failing = true;
        spdlog::error("audit device \"{}\" could not be opened: {}", live->config.path,
                      live->open_error);
      }
      loaded.push_back(std::move(live));
    }
  }
  std::unique_lock lock(mu_);
  devices_ = std::move(loaded);
  enabled_ = !devices_.empty();
  return Status::Ok();
}

void Broker::Unload() {
  std::unique_lock lock(mu_);
  devices_.clear();
  enabled_ = false;
}

Status Broker::Persist(const std::vector<DeviceConfig>& table) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& config : table) entries.push_back(ToJson(config));
  return barrier_.Put(kTableKey, nlohmann::json{{"entries", entries}}.dump());
}

Status Broker::Enable(DeviceConfig config) {
  config.path = NormalizePath(config.path.empty() ? config.type : config.path);
  if (config.path.empty())
    return InvalidArgumentError("path: missing (where to enable the device)");
  if (config.type.empty()) return InvalidArgumentError("type: missing (file, socket or syslog)");
  std::map<std::string, std::string> device_options = config.options;
  for (const char* key : kFormatOptions) {
    device_options.erase(key);
    if (std::string_view(key) == "format") continue;
    TRESOR_RETURN_IF_ERROR(BoolOption(config.options, key, false).status());
  }
  if (auto format = config.options.find("format");
      format != config.options.end() && format->second != "json") {
    return InvalidArgumentError("options: format \"" + format->second +
                                "\" is not supported (json)");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<Device> device, NewDevice(config.type, device_options));
  config.salt = HexEncode(RandomBytes(32));

  std::unique_lock lock(mu_);
  std::vector<DeviceConfig> table;
  for (const auto& live : devices_) {
    if (live->config.path == config.path) {
      return InvalidArgumentError("path \"" + config.path + "\" is already in use");
    }
    table.push_back(live->config);
  }
  table.push_back(config);
  TRESOR_RETURN_IF_ERROR(Persist(table));
  auto live = std::make_unique<Live>();
  live->config = std::move(config);
  live->device = std::move(device);
  devices_.push_back(std::move(live));
  enabled_ = true;
  return Status::Ok();
}

Status Broker::Disable(const std::string& path) {
  const std::string normalized = NormalizePath(path);
  std::unique_lock lock(mu_);
  std::vector<DeviceConfig> table;
  bool found = false;
  for (const auto& live : devices_) {
    if (live->config.path == normalized) {
      found = true;
    } else {
      table.push_back(live->config);
    }
  }
  if (!found) return Status::Ok();
  TRESOR_RETURN_IF_ERROR(Persist(table));
  std::erase_if(devices_, [&](const auto& live) { return live->config.path == normalized; });
  enabled_ = !devices_.empty();
  return Status::Ok();
}

std::vector<DeviceConfig> Broker::List() const {
  std::shared_lock lock(mu_);
  std::vector<DeviceConfig> out;
  for (const auto& live : devices_) out.push_back(live->config);
  return out;
}

Status Broker::WriteAll(const std::function<nlohmann::json(const DeviceConfig&)>& format) {
  std::shared_lock lock(mu_);
  if (devices_.empty()) return Status::Ok();
  std::string errors;
  bool any = false;
  for (const auto& live : devices_) {
    Status written = live->device == nullptr ? IOError("not open: " + live->open_error)
                                             : live->device->Write(format(live->config).dump());
    if (written.ok()) {
      any = true;
      if (live->failing.exchange(false)) {
        spdlog::info("audit device \"{}\" writes again", live->config.path);
      }
      continue;
    }
    if (!live->failing.exchange(true)) {
      spdlog::error("audit device \"{}\" failed: {}", live->config.path, written.message());
    }
    if (!errors.empty()) errors += "; ";
    errors += live->config.path + ": " + written.message();
  }
  if (any) return Status::Ok();
  return InternalError("audit logging failed: no audit device could write the entry (" + errors +
                       ")");
}

namespace {

// Vault's counters of entries no device could write (what the shipped
// "audit failing" alert watches), obtained once.
metrics::Counter& AuditFailures(bool request) {
  static metrics::Counter& requests = metrics::Default().GetCounter(
      "vault.audit.log_request_failure", "Request entries no audit device could write.");
  static metrics::Counter& responses = metrics::Default().GetCounter(
      "vault.audit.log_response_failure", "Response entries no audit device could write.");
  return request ? requests : responses;
}

}  // namespace

Status Broker::LogRequest(AuditRecord& record, const Status& error) {
  if (!Enabled()) return Status::Ok();
  const std::string time = FormatRfc3339(clock_.Now());
  Status written = WriteAll(
      [&](const DeviceConfig& config) { return FormatRequest(config, record, time, error); });
  if (!written.ok()) {
    AuditFailures(/*request=*/true).Add();
    return written;
  }
  record.request_logged = true;
  return Status::Ok();
}

Status Broker::LogResponse(const AuditRecord& record, const StatusOr<Response>& result) {
  const std::string time = FormatRfc3339(clock_.Now());
  Status written = WriteAll(
      [&](const DeviceConfig& config) { return FormatResponse(config, record, time, result); });
  if (!written.ok()) AuditFailures(/*request=*/false).Add();
  return written;
}

StatusOr<std::string> Broker::Hash(const std::string& path, const std::string& input) const {
  const std::string normalized = NormalizePath(path);
  std::shared_lock lock(mu_);
  for (const auto& live : devices_) {
    if (live->config.path != normalized) continue;
    // Hashed even when the device logs raw: the point is to find a value.
    DeviceConfig hashing = live->config;
    hashing.options.erase("log_raw");
    return Formatter(hashing).Hash(input);
  }
  return InvalidArgumentError("no audit device is enabled at \"" + normalized + "\"");
}

void Broker::Reopen() {
  std::shared_lock lock(mu_);
  for (const auto& live : devices_) {
    if (live->device == nullptr) continue;
    Status reopened = live->device->Reopen();
    if (!reopened.ok()) {
      spdlog::error("audit device \"{}\" could not be reopened: {}", live->config.path,
                    reopened.message());
    }
  }
}

bool Broker::Failing() const {
  std::shared_lock lock(mu_);
  for (const auto& live : devices_) {
    if (live->failing) return true;
  }
  return false;
}

}  // namespace tresor::core::audit

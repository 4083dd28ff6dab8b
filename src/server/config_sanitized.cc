#include "server/config_sanitized.h"

#include <set>

namespace tresor::server {
namespace {

using nlohmann::json;

// Storage options that name places and tunables, never credentials (a
// connection_url or a password is left out whatever the backend).
const std::set<std::string>& SafeStorageKeys() {
  static const std::set<std::string> keys = {
      "path",          "node_id",         "performance_multiplier", "snapshot_threshold",
      "trailing_logs", "max_entry_size",  "snapshot_interval",      "autopilot_reconcile_interval"};
  return keys;
}

json Listener(const ListenerConfig& listener) {
  return {{"type", listener.type},
          {"config",
           {{"address", listener.address},
            {"cluster_address", listener.cluster_address},
            {"tls_disable", listener.tls_disable},
            {"tls_cert_file", listener.tls_cert_file},
            {"tls_key_file", listener.tls_key_file},
            {"tls_min_version", listener.tls_min_version},
            {"max_request_size", listener.max_request_size},
            {"http_read_header_timeout", listener.http_read_header_timeout.count()},
            {"http_read_timeout", listener.http_read_timeout.count()},
            {"http_write_timeout", listener.http_write_timeout.count()},
            {"http_idle_timeout", listener.http_idle_timeout.count()}}}};
}

// Vault's telemetry keys that Tresor reads (durations in seconds, as the
// lease TTLs above; usage_gauge_period 0 for "none"), plus Tresor's own
// disable_metrics.
json Telemetry(const metrics::Settings& telemetry) {
  return {{"prometheus_retention_time", telemetry.prometheus_retention_time.count()},
          {"disable_hostname", telemetry.disable_hostname},
          {"usage_gauge_period",
           telemetry.usage_gauge_period.value_or(std::chrono::seconds(0)).count()},
          {"disable_metrics", telemetry.disable_metrics}};
}

}  // namespace

json SanitizedConfig(const ServerConfig& config) {
  json listeners = json::array();
  for (const ListenerConfig& listener : config.listeners) listeners.push_back(Listener(listener));
  json seals = json::array();
  for (const seal::SealBlock& block : config.seals) {
    seals.push_back({{"type", block.type}, {"disabled", block.disabled}});
  }
  if (seals.empty()) seals.push_back({{"type", "shamir"}, {"disabled", false}});
  json storage = nullptr;
  if (config.storage.has_value()) {
    storage = {{"type", config.storage->type},
               {"cluster_addr", config.cluster_addr},
               {"redirect_addr", config.api_addr},
               {"disable_clustering", false}};
    for (const auto& [key, value] : config.storage->options) {
      if (SafeStorageKeys().contains(key)) storage[key] = value;
    }
    if (!config.storage->retry_join.empty()) {
      storage["retry_join"] = config.storage->retry_join;
    }
  }
  return {{"api_addr", config.api_addr},
          {"cluster_addr", config.cluster_addr},
          {"cluster_name", config.cluster_name},
          {"default_lease_ttl", config.default_lease_ttl.count()},
          {"max_lease_ttl", config.max_lease_ttl.count()},
          {"disable_mlock", config.disable_mlock},
          {"enable_ui", config.ui},
          {"log_level", config.log_level},
          {"listeners", std::move(listeners)},
          {"seals", std::move(seals)},
          {"storage", std::move(storage)},
          {"telemetry", Telemetry(config.telemetry)}};
}

}  // namespace tresor::server

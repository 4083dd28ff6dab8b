#include "storage/etcd/etcd_options.h"

#include <string_view>

#include "common/duration.h"

namespace tresor::storage {
namespace {

constexpr std::string_view kEtcdKnownOptions[] = {
    "address",       "path",          "ha_enabled",   "lock_timeout",    "request_timeout",
    "etcd_api",      "username",      "password",     "tls_ca_file",     "tls_cert_file",
    "tls_key_file",  "tls_server_name"};

Status EtcdOptionError(std::string_view option, std::string_view problem) {
  return InvalidArgumentError("storage \"etcd\": option \"" + std::string(option) + "\" " +
                              std::string(problem));
}

std::string_view EtcdTrim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

StatusOr<EtcdEndpoint> ParseEtcdEndpoint(std::string_view url) {
  EtcdEndpoint endpoint;
  endpoint.url = std::string(url);
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    endpoint.tls = true;
    rest = url.substr(8);
  } else {
    return EtcdOptionError("address", "has \"" + std::string(url) +
                                          "\", which is not an http:// or https:// URL");
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos || rest.empty()) {
    return EtcdOptionError("address", "has \"" + std::string(url) +
                                          "\": give scheme://host:port, without a path");
  }
  std::string_view port;
  if (rest.front() == '[') {  // [::1]:2379
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return EtcdOptionError("address", "has \"" + std::string(url) + "\": unbalanced '['");
    }
    endpoint.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return EtcdOptionError("address", "has \"" + std::string(url) + "\": bad port");
      }
      port = after.substr(1);
    }
  } else {
    std::size_t colon = rest.rfind(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  endpoint.port = port.empty() ? "2379" : std::string(port);
  for (char c : endpoint.port) {
    if (c < '0' || c > '9') {
      return EtcdOptionError("address", "has \"" + std::string(url) + "\": bad port");
    }
  }
  if (endpoint.host.empty()) {
    return EtcdOptionError("address", "has \"" + std::string(url) + "\": no host");
  }
  return endpoint;
}

StatusOr<bool> ParseEtcdBool(std::string_view option, std::string_view value) {
  if (value == "true" || value == "1" || value == "TRUE" || value == "True") return true;
  if (value == "false" || value == "0" || value == "FALSE" || value == "False" || value.empty()) {
    return false;
  }
  return EtcdOptionError(option, "must be true or false, not \"" + std::string(value) + "\"");
}

StatusOr<std::chrono::seconds> ParseEtcdDuration(std::string_view option,
                                                 std::string_view value) {
  auto parsed = ParseDuration(value);
  if (!parsed.ok()) return EtcdOptionError(option, "is not a duration: " +
                                                       std::string(parsed.status().message()));
  if (parsed->count() <= 0) return EtcdOptionError(option, "must be at least 1s");
  return *parsed;
}

}  // namespace

StatusOr<EtcdOptions> ParseEtcdOptions(const std::map<std::string, std::string>& options) {
  for (const auto& [name, value] : options) {
    bool known = false;
    for (std::string_view candidate : kEtcdKnownOptions) known = known || name == candidate;
    if (!known) {
      return InvalidArgumentError("storage \"etcd\": unknown option \"" + name + "\"");
    }
  }
  auto get = [&](std::string_view name) -> std::string {
    auto found = options.find(std::string(name));
    return found == options.end() ? std::string() : found->second;
  };
  EtcdOptions parsed;

  std::string api = get("etcd_api");
  if (api == "v2") {
    return EtcdOptionError("etcd_api", "is \"v2\": only etcd's v3 API is supported (etcd "
                                       "3.4 and later no longer serve v2 by default); "
                                       "remove the option or set it to \"v3\"");
  }
  if (!api.empty() && api != "v3") {
    return EtcdOptionError("etcd_api", "must be \"v3\", not \"" + api + "\"");
  }

  std::string addresses = get("address");
  if (addresses.empty()) addresses = "http://127.0.0.1:2379";
  std::string_view rest = addresses;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view one = EtcdTrim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (one.empty()) continue;
    TRESOR_ASSIGN_OR_RETURN(EtcdEndpoint endpoint, ParseEtcdEndpoint(one));
    parsed.endpoints.push_back(std::move(endpoint));
  }
  if (parsed.endpoints.empty()) return EtcdOptionError("address", "names no etcd member");

  if (options.count("path") != 0) {
    parsed.path = get("path");
    if (parsed.path.empty()) return EtcdOptionError("path", "must not be empty");
    if (parsed.path.back() != '/') parsed.path += '/';
  }
  TRESOR_ASSIGN_OR_RETURN(parsed.ha_enabled, ParseEtcdBool("ha_enabled", get("ha_enabled")));
  if (options.count("lock_timeout") != 0) {
    TRESOR_ASSIGN_OR_RETURN(parsed.lock_timeout,
                            ParseEtcdDuration("lock_timeout", get("lock_timeout")));
  }
  if (options.count("request_timeout") != 0) {
    TRESOR_ASSIGN_OR_RETURN(parsed.request_timeout,
                            ParseEtcdDuration("request_timeout", get("request_timeout")));
  }
  parsed.username = get("username");
  parsed.password = get("password");
  if (parsed.username.empty() != parsed.password.empty()) {
    return EtcdOptionError(parsed.username.empty() ? "password" : "username",
                           "is set without the other: give both username and password");
  }
  parsed.tls_ca_file = get("tls_ca_file");
  parsed.tls_cert_file = get("tls_cert_file");
  parsed.tls_key_file = get("tls_key_file");
  parsed.tls_server_name = get("tls_server_name");
  if (parsed.tls_cert_file.empty() != parsed.tls_key_file.empty()) {
    return EtcdOptionError(parsed.tls_cert_file.empty() ? "tls_key_file" : "tls_cert_file",
                           "is set without the other: a client certificate needs its key");
  }
  return parsed;
}

}  // namespace tresor::storage

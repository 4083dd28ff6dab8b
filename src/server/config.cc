// Turns the hcl::Value tree of a config file into a ServerConfig, refusing
// anything it does not understand. See config.h for the contract and
// docs/configuration.md for the keys.
#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <utility>

#include "common/duration.h"
#include "common/hcl.h"

namespace tresor::server {
namespace {

using hcl::ObjectEntry;
using hcl::Value;

constexpr std::size_t kDefaultMaxRequestSize = 32 * 1024 * 1024;
constexpr std::chrono::seconds kDefaultLeaseTtl = std::chrono::hours(768);

// ------------------------------------------------- value converters
// Each returns the converted value or an InvalidArgument whose message
// describes only the value; the reader adds "file:line: key path: ".

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

StatusOr<std::string> ToString(const Value& v) { return v.AsString(); }

// Vault decodes bools leniently: Go's strconv.ParseBool spellings as strings,
// and the numbers 0 and 1 (its docs are full of `tls_disable = 1`).
StatusOr<bool> ToBool(const Value& v) {
  if (v.IsBool()) return v.bool_value();
  if (v.IsInt() && (v.int_value() == 0 || v.int_value() == 1)) return v.int_value() == 1;
  if (v.IsString()) {
    const std::string& s = v.string_value();
    for (const char* t : {"1", "t", "T", "true", "TRUE", "True"}) {
      if (s == t) return true;
    }
    for (const char* f : {"0", "f", "F", "false", "FALSE", "False"}) {
      if (s == f) return false;
    }
    return InvalidArgumentError("expected a bool, got a string (" + Quoted(s) +
                                "); use true or false");
  }
  if (v.IsInt())
    return InvalidArgumentError("expected a bool, got the number " + std::to_string(v.int_value()) +
                                "; use true or false");
  return InvalidArgumentError("expected a bool, got " + std::string(hcl::TypeName(v.type())));
}

StatusOr<int64_t> ToNonNegativeInteger(const Value& v, std::string_view what) {
  int64_t n = 0;
  if (v.IsInt()) {
    n = v.int_value();
  } else if (v.IsString()) {
    const std::string& s = v.string_value();
    const bool digits_only =
        !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!s.empty() && s[0] == '-') {
      return InvalidArgumentError(std::string(what) + " must not be negative");
    }
    if (!digits_only || s.size() > 18) {
      return InvalidArgumentError("expected " + std::string(what) + " as a whole number, got " +
                                  Quoted(s));
    }
    n = std::stoll(s);
  } else {
    return InvalidArgumentError("expected " + std::string(what) + " (a whole number), got " +
                                std::string(hcl::TypeName(v.type())));
  }
  if (n < 0) return InvalidArgumentError(std::string(what) + " must not be negative");
  return n;
}

// A byte count. 0 means the default, as in Vault; Vault's "negative means no
// limit" is refused: Tresor always bounds request bodies.
StatusOr<std::size_t> ToRequestSize(const Value& v) {
  StatusOr<int64_t> n = ToNonNegativeInteger(v, "a size in bytes");
  if (!n.ok()) {
    if (n.status().message().find("negative") != std::string::npos) {
      return InvalidArgumentError(
          "must not be negative (Tresor always limits request size; 0 means the default "
          "of 33554432 bytes)");
    }
    return n.status();
  }
  if (*n == 0) return kDefaultMaxRequestSize;
  return static_cast<std::size_t>(*n);
}

// A number is seconds; a string is anything ParseDuration accepts.
StatusOr<std::chrono::seconds> ToDuration(const Value& v) {
  if (v.IsString()) return ParseDuration(v.string_value());
  if (v.IsInt() || v.IsFloat()) {
    const double d = *v.AsDouble();
    if (d < 0) return InvalidArgumentError("durations cannot be negative");
    if (d > static_cast<double>(kMaxDuration.count())) {
      return InvalidArgumentError("duration too large (the maximum is " +
                                  FormatDuration(kMaxDuration) + ")");
    }
    return std::chrono::seconds(static_cast<int64_t>(std::floor(d)));
  }
  return InvalidArgumentError("expected a duration (seconds, or a string such as \"30s\"), got " +
                              std::string(hcl::TypeName(v.type())));
}

// Storage options are handed on as text; only scalars make sense. Values are
// never quoted back: they may hold credentials.
StatusOr<std::string> ToOptionString(const Value& v) {
  switch (v.type()) {
    case hcl::Type::kString:
      return v.string_value();
    case hcl::Type::kBool:
      return std::string(v.bool_value() ? "true" : "false");
    case hcl::Type::kInt:
      return std::to_string(v.int_value());
    case hcl::Type::kFloat:
      return hcl::ToJson(v).dump();
    default:
      return InvalidArgumentError("expected a string, number or bool, got " +
                                  std::string(hcl::TypeName(v.type())));
  }
}

// host:port, host may be empty (all interfaces) or a bracketed IPv6 address.
Status CheckHostPort(std::string_view address) {
  const std::string hint = "expected host:port (e.g. \"127.0.0.1:8200\"), got " + Quoted(address);
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgumentError(hint);
  const std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return InvalidArgumentError(hint + ": the port must be a number from 0 to 65535");
  }
  if (host.find(':') != std::string_view::npos &&
      !(host.size() > 2 && host.front() == '[' && host.back() == ']')) {
    return InvalidArgumentError(hint + ": put an IPv6 address in brackets, e.g. \"[::1]:8200\"");
  }
  return Status::Ok();
}

Status CheckUrl(std::string_view url) {
  if (url.empty()) return Status::Ok();
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    return InvalidArgumentError(
        "expected a URL starting with https:// or http:// (e.g. "
        "\"https://tresor.example.com:8200\"), got " +
        Quoted(url));
  }
  return Status::Ok();
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// ------------------------------------------------------------ reader

// A key a block accepts, and how to store its value.
struct Field {
  std::string_view key;
  std::function<Status(const Value&)> read;
};

// Stores the converted value into `out`.
template <typename T, typename Convert>
std::function<Status(const Value&)> Into(T& out, Convert convert) {
  return [&out, convert](const Value& v) -> Status {
    auto converted = convert(v);
    if (!converted.ok()) return converted.status();
    out = std::move(*converted);
    return Status::Ok();
  };
}

class ConfigReader {
 public:
  explicit ConfigReader(std::string_view filename)
      : filename_(filename.empty() ? "config" : filename) {}

  StatusOr<ServerConfig> Read(const Value& root) {
    if (!root.IsObject()) {
      return InvalidArgumentError(filename_ + ": the top level must be an object, got " +
                                  std::string(hcl::TypeName(root.type())));
    }
    ServerConfig config;
    int default_ttl_line = 0;
    const std::vector<Field> fields = {
        {"api_addr", ReadUrl(config.api_addr)},
        {"cluster_addr", ReadUrl(config.cluster_addr)},
        {"cluster_name", Into(config.cluster_name, ToString)},
        {"disable_mlock", Into(config.disable_mlock, ToBool)},
        {"log_level", ReadLogLevel(config.log_level)},
        {"default_lease_ttl", Into(config.default_lease_ttl, ToDuration)},
        {"max_lease_ttl", Into(config.max_lease_ttl, ToDuration)},
        {"ui", Into(config.ui, ToBool)},
    };
    std::map<std::string, int> seen;
    for (const ObjectEntry& entry : root.object()) {
      if (entry.key == "storage") {
        TRESOR_RETURN_IF_ERROR(ReadStorage(entry, config));
      } else if (entry.key == "ha_storage") {
        TRESOR_RETURN_IF_ERROR(ReadHaStorage(entry, config));
      } else if (entry.key == "listener") {
        TRESOR_RETURN_IF_ERROR(ReadListeners(entry, config));
      } else if (entry.key == "seal") {
        TRESOR_RETURN_IF_ERROR(ReadSeals(entry, config));
      } else if (entry.key == "telemetry") {
        TRESOR_RETURN_IF_ERROR(ReadTelemetry(entry, config.telemetry));
      } else {
        if (entry.key == "default_lease_ttl") default_ttl_line = entry.position.line;
        TRESOR_RETURN_IF_ERROR(
            ReadField(entry, "", fields, seen,
                      {"storage", "ha_storage", "listener", "seal", "telemetry"}));
      }
    }
    if (!config.storage.has_value()) {
      return InvalidArgumentError(filename_ +
                                  ": no storage block; add one, e.g. storage \"raft\" { path = "
                                  "\"/var/lib/tresor\" node_id = \"node1\" }");
    }
    if (config.ha_storage.has_value() && config.storage->type == "raft") {
      return Error(config.ha_storage->line, "ha_storage " + Quoted(config.ha_storage->type),
                   "storage \"raft\" brings its own high availability; remove the ha_storage "
                   "block");
    }
    // As in Vault, a zero TTL means the system default (768h). Unlike Vault,
    // an unset default_lease_ttl follows a smaller max_lease_ttl instead of
    // failing, so `max_lease_ttl = "1h"` alone is a valid config.
    if (config.max_lease_ttl.count() == 0) config.max_lease_ttl = kDefaultLeaseTtl;
    if (seen.count("default_lease_ttl") == 0 || config.default_lease_ttl.count() == 0) {
      config.default_lease_ttl =
          config.max_lease_ttl < kDefaultLeaseTtl ? config.max_lease_ttl : kDefaultLeaseTtl;
    }
    if (config.default_lease_ttl > config.max_lease_ttl) {
      return Error(
          default_ttl_line, "default_lease_ttl",
          "must not be greater than max_lease_ttl (" + FormatDuration(config.max_lease_ttl) + ")");
    }
    TRESOR_RETURN_IF_ERROR(SetMetricsAccess(config));
    config.source_file = source_file_;
    return config;
  }

  void set_source_file(std::string_view path) { source_file_ = path; }

 private:
  // One retry_join block (HCL may repeat it, JSON may give an array): only
  // leader_api_addr, an http(s) URL, is supported.
  Status ReadRetryJoin(const ObjectEntry& option, const std::string& scope,
                       std::vector<std::string>& leaders) const {
    std::string where = scope + ".retry_join";
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(option, 0);
    if (!blocks.ok()) return Error(option.position.line, where, blocks.status().message());
    for (const hcl::Block& block : *blocks) {
      for (const ObjectEntry& field : block.body->object()) {
        if (field.key != "leader_api_addr") {
          return Error(field.position.line, where,
                       "unsupported option \"" + field.key +
                           "\"; Tresor's retry_join takes only leader_api_addr");
        }
      }
      const hcl::Value* addr = block.body->Find("leader_api_addr");
      StatusOr<std::string> url =
          addr == nullptr ? InvalidArgumentError("leader_api_addr is required") : addr->AsString();
      if (url.ok() && url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
        url = InvalidArgumentError("leader_api_addr must be a URL such as https://10.0.0.1:8200");
      }
      if (!url.ok()) return Error(block.position.line, where, url.status().message());
      leaders.push_back(*url);
    }
    return Status::Ok();
  }

  Status Error(int line, std::string_view path, std::string_view message) const {
    std::string out = filename_;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
    if (!path.empty()) out += std::string(path) + ": ";
    return InvalidArgumentError(out + std::string(message));
  }

  // `seal "awskms"` from the entry's first label, or just `seal`.
  static std::string BlockPath(const ObjectEntry& entry, std::string_view keyword) {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
    if (blocks.ok() && !blocks->empty()) {
      return std::string(keyword) + " " + Quoted((*blocks)[0].labels[0]);
    }
    return std::string(keyword);
  }

  // Reads one `key = value` of a block whose accepted keys are `fields`.
  // `seen` catches a key set twice; `other_keys` are valid keys handled
  // elsewhere (only used to suggest a spelling).
  Status ReadField(const ObjectEntry& entry, std::string_view scope,
                   const std::vector<Field>& fields, std::map<std::string, int>& seen,
                   const std::vector<std::string_view>& other_keys = {}) const {
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&](const Field& f) { return f.key == entry.key; });
    if (field == fields.end()) {
      std::vector<std::string_view> known = other_keys;
      for (const Field& f : fields) known.push_back(f.key);
      return Error(entry.position.line, scope, UnknownKeyMessage(entry.key, known));
    }
    const std::string path = scope.empty() ? entry.key : std::string(scope) + ": " + entry.key;
    const auto [first, inserted] = seen.emplace(entry.key, entry.position.line);
    if (!inserted) {
      std::string message = "set more than once";
      if (first->second > 0) message += " (first at line " + std::to_string(first->second) + ")";
      return Error(entry.position.line, path, message);
    }
    const Status status = field->read(entry.value);
    if (!status.ok()) return Error(entry.position.line, path, status.message());
    return Status::Ok();
  }

  static std::string UnknownKeyMessage(std::string_view key,
                                       const std::vector<std::string_view>& known) {
    std::string message = "unknown key " + Quoted(key);
    if (key == "backend") return message + " (Tresor calls it \"storage\")";
    if (key == "ha_backend") return message + " (Tresor calls it \"ha_storage\")";
    std::string_view best;
    std::size_t best_distance = 3;  // suggest only close misspellings
    for (std::string_view candidate : known) {
      const std::size_t d = EditDistance(key, candidate);
      if (d < best_distance && d < candidate.size()) {
        best = candidate;
        best_distance = d;
      }
    }
    if (!best.empty()) message += " (did you mean " + Quoted(best) + "?)";
    return message;
  }

  static std::function<Status(const Value&)> ReadUrl(std::string& out) {
    return [&out](const Value& v) -> Status {
      // Checked in place rather than moved out first: GCC 12 at -O2 warns
      // (falsely) that the moved-out string may be used uninitialised.
      StatusOr<std::string> url = v.AsString();
      if (!url.ok()) return url.status();
      TRESOR_RETURN_IF_ERROR(CheckUrl(*url));
      out = std::move(*url);
      return Status::Ok();
    };
  }

  static std::function<Status(const Value&)> ReadLogLevel(std::string& out) {
    return [&out](const Value& v) -> Status {
      TRESOR_ASSIGN_OR_RETURN(std::string level, v.AsString());
      std::transform(level.begin(), level.end(), level.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (level == "warning") level = "warn";
      for (const char* known : {"trace", "debug", "info", "warn", "error"}) {
        if (level == known) {
          out = level;
          return Status::Ok();
        }
      }
      return InvalidArgumentError("unknown level " + Quoted(v.string_value()) +
                                  "; use trace, debug, info, warn or error");
    };
  }

  // The top-level telemetry block. Tresor exports metrics only through
  // sys/metrics, so Vault's sink settings (statsd_address, ...) are refused
  // rather than ignored.
  Status ReadTelemetry(const ObjectEntry& entry, metrics::Settings& out) {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 0);
    if (!blocks.ok()) return Error(entry.position.line, "telemetry", blocks.status().message());
    if (telemetry_line_ > 0 || blocks->size() > 1) {
      return Error(entry.position.line, "telemetry",
                   "more than one telemetry block; keep exactly one");
    }
    telemetry_line_ = entry.position.line;
    const auto usage_period = [&out](const Value& v) -> Status {
      if (v.IsString() && v.string_value() == "none") {
        out.usage_gauge_period = std::nullopt;
        return Status::Ok();
      }
      TRESOR_ASSIGN_OR_RETURN(std::chrono::seconds period, ToDuration(v));
      if (period.count() == 0) {
        return InvalidArgumentError("must be positive, or \"none\" to turn usage gauges off");
      }
      out.usage_gauge_period = period;
      return Status::Ok();
    };
    const std::vector<Field> fields = {
        {"prometheus_retention_time", Into(out.prometheus_retention_time, ToDuration)},
        {"disable_hostname", Into(out.disable_hostname, ToBool)},
        {"usage_gauge_period", usage_period},
        {"disable_metrics", Into(out.disable_metrics, ToBool)},
    };
    std::map<std::string, int> seen;
    for (const hcl::Block& block : *blocks) {
      for (const ObjectEntry& field : block.body->object()) {
        if (field.key == "unauthenticated_metrics_access") {
          return Error(field.position.line, "telemetry",
                       "unauthenticated_metrics_access belongs in a listener's telemetry block: "
                       "listener \"tcp\" { telemetry { unauthenticated_metrics_access = true } }");
        }
        const bool known = std::any_of(fields.begin(), fields.end(),
                                       [&](const Field& f) { return f.key == field.key; });
        if (!known && field.key.find("_address") != std::string::npos) {
          return Error(field.position.line, "telemetry",
                       "unsupported key " + Quoted(field.key) +
                           ": Tresor exports metrics only through GET /v1/sys/metrics "
                           "(Prometheus or JSON); scrape it instead");
        }
        TRESOR_RETURN_IF_ERROR(ReadField(field, "telemetry", fields, seen));
      }
    }
    return Status::Ok();
  }

  // A listener's `telemetry { unauthenticated_metrics_access = ... }`.
  Status ReadListenerTelemetry(const ObjectEntry& entry, const std::string& scope,
                               ListenerConfig& l) const {
    const std::string where = scope + ": telemetry";
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 0);
    if (!blocks.ok()) return Error(entry.position.line, where, blocks.status().message());
    const std::vector<Field> fields = {
        {"unauthenticated_metrics_access", Into(l.unauthenticated_metrics_access, ToBool)},
    };
    std::map<std::string, int> seen;
    for (const hcl::Block& block : *blocks) {
      for (const ObjectEntry& field : block.body->object()) {
        TRESOR_RETURN_IF_ERROR(ReadField(field, where, fields, seen));
      }
    }
    return Status::Ok();
  }

  // One sys/metrics route serves every listener, so the listeners must
  // agree on whether it needs a token.
  Status SetMetricsAccess(ServerConfig& config) const {
    for (const ListenerConfig& l : config.listeners) {
      if (l.unauthenticated_metrics_access != config.listeners[0].unauthenticated_metrics_access) {
        return Error(0, "listener \"tcp\": telemetry: unauthenticated_metrics_access",
                     "must be the same on every listener (Tresor applies it to the whole "
                     "server); set it on all of them or on none");
      }
    }
    config.telemetry.unauthenticated_metrics_access =
        !config.listeners.empty() && config.listeners[0].unauthenticated_metrics_access;
    return Status::Ok();
  }

  Status ReadListeners(const ObjectEntry& entry, ServerConfig& config) const {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
    if (!blocks.ok()) return Error(entry.position.line, "listener", blocks.status().message());
    if (blocks->empty()) {
      return Error(entry.position.line, "listener",
                   "missing the listener type, e.g. listener \"tcp\" { ... }");
    }
    for (const hcl::Block& block : *blocks) {
      TRESOR_ASSIGN_OR_RETURN(ListenerConfig listener, ReadListener(block));
      config.listeners.push_back(std::move(listener));
    }
    return Status::Ok();
  }

  StatusOr<ListenerConfig> ReadListener(const hcl::Block& block) const {
    ListenerConfig l;
    l.type = block.labels[0];
    const std::string scope = "listener " + Quoted(l.type);
    if (l.type != "tcp") {
      return Error(block.position.line, scope,
                   "unsupported listener type; only \"tcp\" is supported");
    }
    const auto address = [](std::string& out) {
      return [&out](const Value& v) -> Status {
        TRESOR_ASSIGN_OR_RETURN(std::string a, v.AsString());
        TRESOR_RETURN_IF_ERROR(CheckHostPort(a));
        out = std::move(a);
        return Status::Ok();
      };
    };
    const auto tls_version = [&l](const Value& v) -> Status {
      TRESOR_ASSIGN_OR_RETURN(std::string version, v.AsString());
      for (const char* known : {"tls10", "tls11", "tls12", "tls13"}) {
        if (version == known) {
          l.tls_min_version = version;
          return Status::Ok();
        }
      }
      return InvalidArgumentError("unknown TLS version " + Quoted(version) +
                                  "; use tls10, tls11, tls12 or tls13");
    };
    const std::vector<Field> fields = {
        {"address", address(l.address)},
        {"cluster_address", address(l.cluster_address)},
        {"tls_disable", Into(l.tls_disable, ToBool)},
        {"tls_cert_file", Into(l.tls_cert_file, ToString)},
        {"tls_key_file", Into(l.tls_key_file, ToString)},
        {"tls_min_version", tls_version},
        {"max_request_size", Into(l.max_request_size, ToRequestSize)},
        {"http_read_header_timeout", Into(l.http_read_header_timeout, ToDuration)},
        {"http_read_timeout", Into(l.http_read_timeout, ToDuration)},
        {"http_write_timeout", Into(l.http_write_timeout, ToDuration)},
        {"http_idle_timeout", Into(l.http_idle_timeout, ToDuration)},
    };
    std::map<std::string, int> seen;
    for (const ObjectEntry& entry : block.body->object()) {
      if (entry.key == "telemetry") {
        TRESOR_RETURN_IF_ERROR(ReadListenerTelemetry(entry, scope, l));
        continue;
      }
      TRESOR_RETURN_IF_ERROR(ReadField(entry, scope, fields, seen, {"telemetry"}));
    }
    if (!l.tls_disable && (l.tls_cert_file.empty() || l.tls_key_file.empty())) {
      return Error(block.position.line, scope,
                   "tls_cert_file and tls_key_file are required unless tls_disable = true");
    }
    return l;
  }

  // The option keys of the external backends (storage/postgresql,
  // storage/etcd), which may also serve as ha_storage.
  static const std::vector<std::string_view>* ExternalStorageKeys(std::string_view type) {
    static const std::vector<std::string_view> kPostgreSQL = {
        "connection_url", "table", "skip_create_table", "max_parallel", "max_idle_connections",
        "ha_enabled",
        "ha_table", "lock_ttl", "lock_renew_interval", "lock_retry_interval"};
    static const std::vector<std::string_view> kEtcd = {
        "address", "path", "ha_enabled", "lock_timeout", "request_timeout", "etcd_api",
        "username", "password", "tls_ca_file", "tls_cert_file", "tls_key_file",
        "tls_server_name"};
    if (type == "postgresql") return &kPostgreSQL;
    if (type == "etcd") return &kEtcd;
    return nullptr;
  }

  // ha_storage "<type>" { ... }: the HA lock from another backend than the
  // data's (docs/ha.md). Only the external backends take part; raft
  // storage brings its own HA, so the pair is refused in Parse.
  Status ReadHaStorage(const ObjectEntry& entry, ServerConfig& config) {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
    if (!blocks.ok()) return Error(entry.position.line, "ha_storage", blocks.status().message());
    if (blocks->size() != 1) {
      return Error(entry.position.line, "ha_storage",
                   "give exactly one ha_storage block, e.g. ha_storage \"etcd\" { ... }");
    }
    const hcl::Block& block = blocks->front();
    StorageConfig ha;
    ha.type = block.labels[0];
    ha.line = block.position.line;
    const std::string scope = "ha_storage " + Quoted(ha.type);
    const std::vector<std::string_view>* keys = ExternalStorageKeys(ha.type);
    if (keys == nullptr) {
      return Error(block.position.line, scope,
                   "unsupported ha_storage type; Tresor takes its HA lock from \"postgresql\" "
                   "or \"etcd\"");
    }
    std::vector<Field> fields;
    for (std::string_view key : *keys) {
      fields.push_back({key, Into(ha.options[std::string(key)], ToOptionString)});
    }
    std::map<std::string, int> seen;
    for (const ObjectEntry& option : block.body->object()) {
      TRESOR_RETURN_IF_ERROR(ReadField(option, scope, fields, seen));
    }
    for (std::string_view key : *keys) {
      if (seen.count(std::string(key)) == 0) ha.options.erase(std::string(key));
    }
    // An ha_storage block exists for its lock: HA is on unless refused.
    auto enabled = ha.options.find("ha_enabled");
    if (enabled == ha.options.end()) {
      ha.options["ha_enabled"] = "true";
    } else if (enabled->second != "true" && enabled->second != "1") {
      return Error(block.position.line, scope,
                   "ha_enabled must be true in ha_storage (it is there for its HA lock)");
    }
    config.ha_storage = std::move(ha);
    return Status::Ok();
  }

  Status ReadStorage(const ObjectEntry& entry, ServerConfig& config) {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
    if (!blocks.ok()) return Error(entry.position.line, "storage", blocks.status().message());
    if (blocks->empty()) {
      return Error(entry.position.line, "storage",
                   "missing the storage type, e.g. storage \"raft\" { ... }");
    }
    for (const hcl::Block& block : *blocks) {
      const std::string& type = block.labels[0];
      const std::string scope = "storage " + Quoted(type);
      if (config.storage.has_value()) {
        std::string message = "more than one storage block";
        if (storage_line_ > 0)
          message += " (the first is at line " + std::to_string(storage_line_) + ")";
        return Error(block.position.line, scope, message + "; keep exactly one");
      }
      StorageConfig storage;
      storage.type = type;
      storage.line = block.position.line;
      std::vector<std::string_view> option_keys;
      if (type == "file") {
        option_keys = {"path"};
      } else if (type == "raft") {
        option_keys = {"path",
                       "node_id",
                       "performance_multiplier",
                       "max_entry_size",
                       "snapshot_threshold",
                       "trailing_logs",
                       "snapshot_threshold_bytes",
                       "trailing_logs_bytes"};
      } else if (const std::vector<std::string_view>* external = ExternalStorageKeys(type)) {
        option_keys = *external;
      } else if (type != "inmem") {
        return Error(block.position.line, scope,
                     "unsupported storage type; Tresor supports \"raft\", \"file\", "
                     "\"postgresql\", \"etcd\" and \"inmem\"");
      }
      std::vector<Field> fields;
      for (std::string_view key : option_keys) {
        fields.push_back({key, Into(storage.options[std::string(key)], ToOptionString)});
      }
      std::map<std::string, int> seen;
      for (const ObjectEntry& option : block.body->object()) {
        if (type == "raft" && option.key == "retry_join") {
          TRESOR_RETURN_IF_ERROR(ReadRetryJoin(option, scope, storage.retry_join));
          continue;
        }
        TRESOR_RETURN_IF_ERROR(ReadField(option, scope, fields, seen));
      }
      // Options never set are not reported as present.
      for (std::string_view key : option_keys) {
        if (seen.count(std::string(key)) == 0) storage.options.erase(std::string(key));
      }
      if (type == "file" && storage.options.count("path") == 0) {
        return Error(block.position.line, scope, "path is required");
      }
      storage_line_ = block.position.line;
      config.storage = std::move(storage);
    }
    return Status::Ok();
  }

  // seal "<type>" { ... } blocks: keys as seal::SealOptionKeys lists, plus
  // `disabled`; values kept as strings for the provider to read.
  Status ReadSeals(const ObjectEntry& entry, ServerConfig& config) {
    StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
    if (!blocks.ok()) return Error(entry.position.line, "seal", blocks.status().message());
    if (blocks->empty()) {
      return Error(entry.position.line, "seal", "missing the seal type, e.g. seal \"transit\" { ... }");
    }
    for (const hcl::Block& block : *blocks) {
      seal::SealBlock seal;
      seal.type = block.labels[0];
      seal.line = block.position.line;
      const std::string scope = "seal " + Quoted(seal.type);
      const std::vector<std::string_view>* keys = seal::SealOptionKeys(seal.type);
      if (keys == nullptr) {
        return Error(block.position.line, scope,
                     "unsupported seal type; Tresor supports \"shamir\", \"transit\", "
                     "\"awskms\" and \"pkcs11\"");
      }
      std::vector<Field> fields = {{"disabled", Into(seal.disabled, ToBool)}};
      for (std::string_view key : *keys) {
        fields.push_back({key, Into(seal.options[std::string(key)], ToOptionString)});
      }
      std::map<std::string, int> seen;
      for (const ObjectEntry& option : block.body->object()) {
        TRESOR_RETURN_IF_ERROR(ReadField(option, scope, fields, seen));
      }
      for (std::string_view key : *keys) {
        if (seen.count(std::string(key)) == 0) seal.options.erase(std::string(key));
      }
      for (const seal::SealBlock& other : config.seals) {
        if (other.disabled == seal.disabled) {
          return Error(block.position.line, scope,
                       std::string("more than one ") + (seal.disabled ? "disabled" : "enabled") +
                           " seal block (the other is seal " + Quoted(other.type) +
                           (other.line > 0 ? " at line " + std::to_string(other.line) : "") +
                           "); keep one, and mark the one a migration moves away from "
                           "disabled = \"true\"");
        }
        if (other.type == seal.type) {
          return Error(block.position.line, scope,
                       "a migration needs two different seal types");
        }
      }
      config.seals.push_back(std::move(seal));
    }
    return Status::Ok();
  }

  std::string filename_;
  std::string source_file_;
  int storage_line_ = 0;
  int telemetry_line_ = 0;
};

}  // namespace

StatusOr<ServerConfig> ParseConfig(std::string_view text, std::string_view filename, bool json) {
  StatusOr<Value> root = json ? hcl::ParseJson(text) : hcl::ParseHcl(text);
  if (!root.ok()) {
    return root.status().WithContext(filename.empty() ? "config" : filename);
  }
  ConfigReader reader(filename);
  reader.set_source_file(filename);
  return reader.Read(*root);
}

StatusOr<ServerConfig> LoadConfigFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return NotFoundError("config file " + path + " does not exist");
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return InvalidArgumentError("config file " + path +
                                " is a directory; pass a single file to -config");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError("cannot open config file " + path + ": " + std::strerror(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return IOError("cannot read config file " + path + ": " + std::strerror(errno));
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  return ParseConfig(content.str(), path, json);
}

}  // namespace tresor::server

// The server configuration: what `tresor server -config=FILE` reads, in
// Vault's HCL format (or its JSON form when the file name ends in .json).
//
// Who calls it: server/server_command.cc, once at start (and again on
// SIGHUP if reloading is added). The structs are plain values handed to the
// storage factory and the HTTP listeners.
// Thread safety: stateless functions; the structs are values.
//
// The loader is strict: an unknown key, a value of the wrong type or an
// out-of-range value is refused with "<file>:<line>: <key path>: <message>",
// e.g. `server.hcl:7: listener "tcp": unknown key "adress" (did you mean
// "address"?)`. A setting the operator believes is active must never be
// silently ignored. Where Vault is lenient about types, Tresor is too
// (bools as "true"/"1" strings or 0/1 numbers; sizes and durations as
// strings). docs/configuration.md lists every key and where Tresor differs.
// Error messages quote keys and, for enumerations, the bad value, but never
// storage option values (they may one day hold credentials).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "seal/seal_block.h"

namespace tresor::server {

// One `listener "tcp" { ... }` block.
struct ListenerConfig {
  std::string type = "tcp";
  // host:port to serve the HTTP API on.
  std::string address = "127.0.0.1:8200";
  // host:port for cluster traffic; empty means the API port + 1.
  std::string cluster_address;
  bool tls_disable = false;
  // Paths to PEM files; required unless tls_disable. Not opened here.
  std::string tls_cert_file;
  std::string tls_key_file;
  // One of tls10, tls11, tls12, tls13.
  std::string tls_min_version = "tls12";
  std::size_t max_request_size = 32 * 1024 * 1024;
  std::chrono::seconds http_read_header_timeout{10};
  std::chrono::seconds http_read_timeout{30};
  std::chrono::seconds http_write_timeout{0};  // 0 = no timeout
  std::chrono::seconds http_idle_timeout{300};
  // telemetry { unauthenticated_metrics_access = true }: GET sys/metrics
  // without a token. Every listener must agree (Tresor applies it to the
  // server as a whole); a mismatch is refused.
  bool unauthenticated_metrics_access = false;
};

// The `storage "<type>" { ... }` block. Options are kept as strings (numbers
// and bools are rendered as text, e.g. 5 -> "5", true -> "true"); the storage
// factory interprets them.
struct StorageConfig {
  // "inmem", "file", "raft", "postgresql" or "etcd".
  std::string type;
  std::map<std::string, std::string> options;
  // raft only: the leader_api_addr of each retry_join block, in order.
  std::vector<std::string> retry_join;
  // Where the block starts in the config file (0 for JSON), for messages
  // such as "server.hcl:12: storage \"raft\" is not available yet".
  int line = 0;
};

struct ServerConfig {
  // Always set by a successful parse; optional so that -dev can build a
  // config without one and fill it in.
  std::optional<StorageConfig> storage;
  // The `ha_storage "<type>" { ... }` block, when the HA lock comes from
  // another backend than the data (postgresql or etcd; never with raft).
  // ha_enabled is always "true" in its options.
  std::optional<StorageConfig> ha_storage;
  std::vector<ListenerConfig> listeners;
  // The seal blocks: none (Shamir key shares), one, or two for a migration
  // (the one moved away from has disabled = true). Validated: at most one
  // enabled and one disabled, of known types with known keys.
  std::vector<seal::SealBlock> seals;
  // URL clients should use to reach this node ("https://host:8200").
  std::string api_addr;
  // URL other nodes use for cluster traffic ("https://host:8201").
  std::string cluster_addr;
  std::string cluster_name;
  bool disable_mlock = false;
  // One of trace, debug, info, warn, error (normalised to lower case;
  // "warning" becomes "warn").
  std::string log_level = "info";
  std::chrono::seconds default_lease_ttl{std::chrono::hours(768)};
  std::chrono::seconds max_lease_ttl{std::chrono::hours(768)};
  bool ui = false;
  // The `telemetry { ... }` block (prometheus_retention_time,
  // disable_hostname, usage_gauge_period) and the listeners'
  // unauthenticated_metrics_access; docs/observability.md.
  metrics::Settings telemetry;
  // The path the config was read from ("" when parsed from text without a
  // name).
  std::string source_file;
};

// Reads and parses the file at `path`: JSON when the name ends in ".json",
// HCL otherwise. Errors: NotFound when the file does not exist, IOError when
// it cannot be read, InvalidArgument (with "<path>:<line>: ...") when its
// content is invalid. On success, source_file == path.
StatusOr<ServerConfig> LoadConfigFile(const std::string& path);

// Parses config text. `filename` is used only in messages and source_file;
// `json` selects the JSON form. Returns InvalidArgument
// "<filename>:<line>: <key path>: <message>" on any problem (the ":<line>"
// is omitted when unknown, as for JSON input). On success `storage` is set
// and every listener passed validation.
StatusOr<ServerConfig> ParseConfig(std::string_view text, std::string_view filename, bool json);

}  // namespace tresor::server

#include "server/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/temp_dir_for_test.h"

namespace tresor::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kFullHcl[] = R"(# Every key Tresor accepts.
ui            = true
api_addr      = "https://tresor-1.example.com:8200"
cluster_addr  = "https://tresor-1.example.com:8201"
cluster_name  = "prod"
disable_mlock = true
log_level     = "Warning"
default_lease_ttl = "1h"
max_lease_ttl     = "720h"

storage "raft" {
  path                   = "/var/lib/tresor"
  node_id                = "node-1"
  performance_multiplier = 1
  max_entry_size         = "1048576"
  snapshot_threshold     = 8192
  trailing_logs          = 10000
  retry_join {
    leader_api_addr = "https://tresor-2.example.com:8200"
  }
}

listener "tcp" {
  address                  = "0.0.0.0:8200"
  cluster_address          = "0.0.0.0:8201"
  tls_cert_file            = "/etc/tresor/cert.pem"
  tls_key_file             = "/etc/tresor/key.pem"
  tls_min_version          = "tls13"
  max_request_size         = 1048576
  http_read_header_timeout = "5s"
  http_read_timeout        = 60
  http_write_timeout       = "2m"
  http_idle_timeout        = "10m"
}

listener "tcp" {
  address     = "[::1]:8300"
  tls_disable = 1
}
)";

constexpr char kFullJson[] = R"({
  "ui": true,
  "api_addr": "https://tresor-1.example.com:8200",
  "cluster_addr": "https://tresor-1.example.com:8201",
  "cluster_name": "prod",
  "disable_mlock": "true",
  "log_level": "warn",
  "default_lease_ttl": 3600,
  "max_lease_ttl": "720h",
  "storage": {"raft": {
    "path": "/var/lib/tresor", "node_id": "node-1", "performance_multiplier": 1,
    "max_entry_size": "1048576", "snapshot_threshold": 8192, "trailing_logs": 10000,
    "retry_join": [{"leader_api_addr": "https://tresor-2.example.com:8200"}]}},
  "listener": [
    {"tcp": {"address": "0.0.0.0:8200", "cluster_address": "0.0.0.0:8201",
             "tls_cert_file": "/etc/tresor/cert.pem", "tls_key_file": "/etc/tresor/key.pem",
             "tls_min_version": "tls13", "max_request_size": "1048576",
             "http_read_header_timeout": 5, "http_read_timeout": "1m",
             "http_write_timeout": 120, "http_idle_timeout": "600s"}},
    {"tcp": {"address": "[::1]:8300", "tls_disable": "1"}}
  ]
})";

void ExpectFullConfig(const ServerConfig& c) {
  EXPECT_TRUE(c.ui);
  EXPECT_EQ(c.api_addr, "https://tresor-1.example.com:8200");
  EXPECT_EQ(c.cluster_addr, "https://tresor-1.example.com:8201");
  EXPECT_EQ(c.cluster_name, "prod");
  EXPECT_TRUE(c.disable_mlock);
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.default_lease_ttl, hours(1));
  EXPECT_EQ(c.max_lease_ttl, hours(720));

  ASSERT_TRUE(c.storage.has_value());
  EXPECT_EQ(c.storage->type, "raft");
  const std::map<std::string, std::string> options = {
      {"path", "/var/lib/tresor"},     {"node_id", "node-1"},
      {"performance_multiplier", "1"}, {"max_entry_size", "1048576"},
      {"snapshot_threshold", "8192"},  {"trailing_logs", "10000"},
  };
  EXPECT_EQ(c.storage->options, options);
  EXPECT_EQ(c.storage->retry_join,
            std::vector<std::string>{"https://tresor-2.example.com:8200"});

  ASSERT_EQ(c.listeners.size(), 2u);
  const ListenerConfig& a = c.listeners[0];
  EXPECT_EQ(a.type, "tcp");
  EXPECT_EQ(a.address, "0.0.0.0:8200");
  EXPECT_EQ(a.cluster_address, "0.0.0.0:8201");
  EXPECT_FALSE(a.tls_disable);
  EXPECT_EQ(a.tls_cert_file, "/etc/tresor/cert.pem");
  EXPECT_EQ(a.tls_key_file, "/etc/tresor/key.pem");
  EXPECT_EQ(a.tls_min_version, "tls13");
  EXPECT_EQ(a.max_request_size, 1048576u);
  EXPECT_EQ(a.http_read_header_timeout, seconds(5));
  EXPECT_EQ(a.http_read_timeout, seconds(60));
  EXPECT_EQ(a.http_write_timeout, minutes(2));
  EXPECT_EQ(a.http_idle_timeout, minutes(10));

  const ListenerConfig& b = c.listeners[1];
  EXPECT_EQ(b.address, "[::1]:8300");
  EXPECT_TRUE(b.tls_disable);
  // Untouched keys keep their defaults.
  EXPECT_EQ(b.tls_min_version, "tls12");
  EXPECT_EQ(b.max_request_size, 32u * 1024 * 1024);
  EXPECT_EQ(b.http_read_header_timeout, seconds(10));
  EXPECT_EQ(b.http_read_timeout, seconds(30));
  EXPECT_EQ(b.http_write_timeout, seconds(0));
  EXPECT_EQ(b.http_idle_timeout, seconds(300));
}

TEST(ParseConfigTest, FullHclFile) {
  StatusOr<ServerConfig> config = ParseConfig(kFullHcl, "server.hcl", /*json=*/false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ExpectFullConfig(*config);
  EXPECT_EQ(config->storage->line, 11);
  EXPECT_EQ(config->source_file, "server.hcl");
}

TEST(ParseConfigTest, FullJsonFile) {
  StatusOr<ServerConfig> config = ParseConfig(kFullJson, "server.json", /*json=*/true);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ExpectFullConfig(*config);
  EXPECT_EQ(config->storage->line, 0);
}

TEST(ParseConfigTest, MinimalFileGetsDefaults) {
  StatusOr<ServerConfig> config = ParseConfig("storage \"inmem\" {}", "dev.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->storage->type, "inmem");
  EXPECT_TRUE(config->storage->options.empty());
  EXPECT_TRUE(config->listeners.empty());
  EXPECT_FALSE(config->disable_mlock);
  EXPECT_FALSE(config->ui);
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->default_lease_ttl, hours(768));
  EXPECT_EQ(config->max_lease_ttl, hours(768));
}

TEST(ParseConfigTest, LeaseTtlDefaults) {
  // An unset (or zero) default follows a smaller max instead of failing.
  StatusOr<ServerConfig> config =
      ParseConfig("storage \"inmem\" {}\nmax_lease_ttl = \"1h\"", "a.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->max_lease_ttl, hours(1));
  EXPECT_EQ(config->default_lease_ttl, hours(1));

  config =
      ParseConfig("storage \"inmem\" {}\ndefault_lease_ttl = 0\nmax_lease_ttl = 0", "a.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->default_lease_ttl, hours(768));
  EXPECT_EQ(config->max_lease_ttl, hours(768));
}

TEST(ParseConfigTest, RetryJoinBlocksKeepTheirOrder) {
  auto config = ParseConfig(
      "storage \"raft\" {\n  path = \"/x\"\n"
      "  retry_join {\n    leader_api_addr = \"http://10.0.0.1:8200\"\n  }\n"
      "  retry_join {\n    leader_api_addr = \"http://10.0.0.2:8200\"\n  }\n}\n",
      "server.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->storage->retry_join,
            (std::vector<std::string>{"http://10.0.0.1:8200", "http://10.0.0.2:8200"}));
  EXPECT_EQ(config->storage->options.count("retry_join"), 0u);
}

TEST(ParseConfigTest, ExternalStorageAndHaStorageBlocks) {
  auto config = ParseConfig(
      "storage \"postgresql\" {\n  connection_url = \"postgres://u:p@127.0.0.1/db\"\n"
      "  ha_enabled = true\n}\n",
      "server.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->storage->type, "postgresql");
  EXPECT_EQ(config->storage->options.at("ha_enabled"), "true");
  EXPECT_FALSE(config->ha_storage.has_value());

  config = ParseConfig(
      "storage \"file\" { path = \"/x\" }\n"
      "ha_storage \"etcd\" {\n  address = \"http://127.0.0.1:2379\"\n}\n",
      "server.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->ha_storage.has_value());
  EXPECT_EQ(config->ha_storage->type, "etcd");
  EXPECT_EQ(config->ha_storage->line, 2);
  EXPECT_EQ(config->ha_storage->options.at("address"), "http://127.0.0.1:2379");
  EXPECT_EQ(config->ha_storage->options.at("ha_enabled"), "true");  // what the block is for
}

TEST(ParseConfigTest, FileStorageAndLenientScalars) {
  StatusOr<ServerConfig> config = ParseConfig(R"(
storage "file" { path = "/data" }
listener "tcp" {
  tls_disable      = "false"
  tls_cert_file    = "c.pem"
  tls_key_file     = "k.pem"
  max_request_size = 0
  http_read_timeout = 1.9
}
disable_mlock = "0"
ui = "t"
)",
                                              "f.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->storage->type, "file");
  EXPECT_EQ(config->storage->options.at("path"), "/data");
  EXPECT_EQ(config->storage->line, 2);
  ASSERT_EQ(config->listeners.size(), 1u);
  EXPECT_FALSE(config->listeners[0].tls_disable);
  EXPECT_EQ(config->listeners[0].address, "127.0.0.1:8200");
  EXPECT_EQ(config->listeners[0].max_request_size, 32u * 1024 * 1024);  // 0 = default
  EXPECT_EQ(config->listeners[0].http_read_timeout, seconds(1));        // rounded down
  EXPECT_FALSE(config->disable_mlock);
  EXPECT_TRUE(config->ui);
}

TEST(ParseConfigTest, TelemetryBlocks) {
  StatusOr<ServerConfig> config = ParseConfig(R"(
storage "inmem" {}
listener "tcp" {
  tls_disable = true
  telemetry {
    unauthenticated_metrics_access = true
  }
}
telemetry {
  prometheus_retention_time = "30s"
  disable_hostname = true
  usage_gauge_period = "none"
  disable_metrics = true
}
)",
                                              "t.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->telemetry.prometheus_retention_time, seconds(30));
  EXPECT_TRUE(config->telemetry.disable_hostname);
  EXPECT_FALSE(config->telemetry.usage_gauge_period.has_value());
  EXPECT_TRUE(config->telemetry.unauthenticated_metrics_access);
  EXPECT_TRUE(config->listeners[0].unauthenticated_metrics_access);
  EXPECT_TRUE(config->telemetry.disable_metrics);

  // Vault's defaults without a block.
  config = ParseConfig("storage \"inmem\" {}\n", "t.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->telemetry.prometheus_retention_time, std::chrono::hours(24));
  EXPECT_FALSE(config->telemetry.disable_hostname);
  EXPECT_EQ(config->telemetry.usage_gauge_period, std::chrono::minutes(10));
  EXPECT_FALSE(config->telemetry.unauthenticated_metrics_access);
  EXPECT_FALSE(config->telemetry.disable_metrics);

  config = ParseConfig("storage \"inmem\" {}\ntelemetry {\n prometheus_retention_time = 0\n}\n",
                       "t.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->telemetry.prometheus_retention_time, seconds(0));
}

struct InvalidCase {
  std::string text;
  bool json;
  // The message must start with this ("file:line: key path: ...").
  std::string expected_prefix;
};

TEST(ParseConfigTest, InvalidFilesTable) {
  const std::string kStorage = "storage \"inmem\" {}\n";
  const std::string kTls = "  tls_disable = true\n";
  const InvalidCase cases[] = {
      {kStorage + "telemetry {\n  statsite_address = \"x\"\n}", false,
       "server.hcl:3: telemetry: unsupported key \"statsite_address\": Tresor exports metrics "
       "only through GET /v1/sys/metrics"},
      {kStorage + "telemetry {\n  disable_hostnme = true\n}", false,
       "server.hcl:3: telemetry: unknown key \"disable_hostnme\" (did you mean "
       "\"disable_hostname\"?)"},
      {kStorage + "telemetry {\n  prometheus_retention_time = \"soon\"\n}", false,
       "server.hcl:3: telemetry: prometheus_retention_time: "},
      {kStorage + "telemetry {\n  disable_metrics = \"sometimes\"\n}", false,
       "server.hcl:3: telemetry: disable_metrics: expected a bool, got a string (\"sometimes\"); "
       "use true or false"},
      {kStorage + "telemetry {\n  usage_gauge_period = 0\n}", false,
       "server.hcl:3: telemetry: usage_gauge_period: must be positive, or \"none\""},
      {kStorage + "telemetry {\n  unauthenticated_metrics_access = true\n}", false,
       "server.hcl:3: telemetry: unauthenticated_metrics_access belongs in a listener's "
       "telemetry block"},
      {kStorage + "telemetry {}\ntelemetry {}\n", false,
       "server.hcl:"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  telemetry {\n    unauthenticated = true\n  }\n}",
       false, "server.hcl:5: listener \"tcp\": telemetry: unknown key \"unauthenticated\""},
      {kStorage + "listener \"tcp\" {\n" + kTls +
           "  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}\n" +
           "listener \"tcp\" {\n" + kTls + "  address = \"127.0.0.1:8300\"\n}",
       false,
       "server.hcl: listener \"tcp\": telemetry: unauthenticated_metrics_access: must be the "
       "same on every listener"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  adress = \"127.0.0.1:8200\"\n}", false,
       "server.hcl:4: listener \"tcp\": unknown key \"adress\" (did you mean \"address\"?)"},
      {kStorage + "disable_mlok = true", false,
       "server.hcl:2: unknown key \"disable_mlok\" (did you mean \"disable_mlock\"?)"},
      {kStorage + "storag \"file\" {}", false,
       "server.hcl:2: unknown key \"storag\" (did you mean \"storage\"?)"},
      {"backend \"file\" {\n path = \"/x\"\n}", false,
       "server.hcl:1: unknown key \"backend\" (Tresor calls it \"storage\")"},
      {kStorage + "pid_file = \"/run/tresor.pid\"", false,
       "server.hcl:2: unknown key \"pid_file\""},
      {kStorage + "\ndisable_mlock = \"yes\"", false,
       "server.hcl:3: disable_mlock: expected a bool, got a string (\"yes\")"},
      {kStorage + "disable_mlock = [true]", false,
       "server.hcl:2: disable_mlock: expected a bool, got a list"},
      {kStorage + "ui = 2", false, "server.hcl:2: ui: expected a bool, got the number 2"},
      {kStorage + "cluster_name = 5", false,
       "server.hcl:2: cluster_name: expected a string, got an integer"},
      {"ui = true\n", false, "server.hcl: no storage block"},
      {kStorage + "storage \"file\" {\n  path = \"/x\"\n}", false,
       "server.hcl:2: storage \"file\": more than one storage block (the first is at line 1)"},
      {"storage {\n  file { path = \"/x\" }\n  raft { path = \"/y\" }\n}", false,
       "server.hcl:3: storage \"raft\": more than one storage block"},
      {"storage \"consul\" {\n  address = \"x\"\n}", false,
       "server.hcl:1: storage \"consul\": unsupported storage type"},
      {"storage \"file\" {}", false, "server.hcl:1: storage \"file\": path is required"},
      {"storage \"raft\" {\n  path = \"/x\"\n}\nha_storage \"etcd\" {}", false,
       "server.hcl:4: ha_storage \"etcd\": storage \"raft\" brings its own high availability; "
       "remove the ha_storage block"},
      {"storage \"file\" {\n  path = \"/x\"\n}\nha_storage \"file\" {}", false,
       "server.hcl:4: ha_storage \"file\": unsupported ha_storage type"},
      {"storage \"file\" {\n  path = \"/x\"\n}\nha_storage \"etcd\" {\n  ha_enabled = false\n}",
       false, "server.hcl:4: ha_storage \"etcd\": ha_enabled must be true in ha_storage"},
      {"storage \"file\" {\n  path = \"/x\"\n}\nha_storage \"etcd\" {\n  lock_ttl = \"1s\"\n}",
       false, "server.hcl:5: ha_storage \"etcd\": unknown key \"lock_ttl\""},
      {"storage \"postgresql\" {\n  conection_url = \"x\"\n}", false,
       "server.hcl:2: storage \"postgresql\": unknown key \"conection_url\""},
      {kStorage + "ha_backend \"etcd\" {}", false,
       "server.hcl:2: unknown key \"ha_backend\" (Tresor calls it \"ha_storage\")"},
      {"storage \"raft\" {\n  path = \"/x\"\n  retry_join {\n    leader_ca_cert = \"x\"\n  }\n}",
       false,
       "server.hcl:4: storage \"raft\".retry_join: unsupported option \"leader_ca_cert\"; "
       "Tresor's retry_join takes only leader_api_addr"},
      {"storage \"raft\" {\n  path = \"/x\"\n  retry_join {\n    leader_api_addr = \"tresor-1\"\n  }\n}",
       false,
       "server.hcl:3: storage \"raft\".retry_join: leader_api_addr must be a URL such as "
       "https://10.0.0.1:8200"},
      {"storage \"raft\" {\n  path = \"/x\"\n  retry_join {}\n}", false,
       "server.hcl:3: storage \"raft\".retry_join: leader_api_addr is required"},
      {"storage \"file\" {\n  path = \"/x\"\n  foo = 1\n}", false,
       "server.hcl:3: storage \"file\": unknown key \"foo\""},
      {"storage \"inmem\" {\n  path = \"/x\"\n}", false,
       "server.hcl:2: storage \"inmem\": unknown key \"path\""},
      {"storage \"raft\" {\n  path = \"/x\"\n  autopilot_reconcile_interval = \"5s\"\n}", false,
       "server.hcl:3: storage \"raft\": unknown key \"autopilot_reconcile_interval\""},
      {"storage \"file\" {\n  path = [\"/x\"]\n}", false,
       "server.hcl:2: storage \"file\": path: expected a string, number or bool, got a list"},
      {"storage {}", false, "server.hcl:1: storage: missing the storage type"},
      {"storage = \"file\"", false, "server.hcl:1: storage: expected a block"},
      {kStorage + "listener \"udp\" {\n" + kTls + "}", false,
       "server.hcl:2: listener \"udp\": unsupported listener type; only \"tcp\" is supported"},
      {kStorage + "listener \"tcp\" {\n  address = \"0.0.0.0:8200\"\n}", false,
       "server.hcl:2: listener \"tcp\": tls_cert_file and tls_key_file are required unless "
       "tls_disable = true"},
      {kStorage + "listener \"tcp\" {\n  tls_cert_file = \"c.pem\"\n}", false,
       "server.hcl:2: listener \"tcp\": tls_cert_file and tls_key_file are required"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  tls_min_version = \"tls14\"\n}", false,
       "server.hcl:4: listener \"tcp\": tls_min_version: unknown TLS version \"tls14\""},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  address = \"localhost\"\n}", false,
       "server.hcl:4: listener \"tcp\": address: expected host:port"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  address = \"::1:8200\"\n}", false,
       "server.hcl:4: listener \"tcp\": address: expected host:port (e.g. \"127.0.0.1:8200\"), "
       "got \"::1:8200\": put an IPv6 address in brackets"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  cluster_address = \"x:70000\"\n}", false,
       "server.hcl:4: listener \"tcp\": cluster_address: expected host:port"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  max_request_size = -1\n}", false,
       "server.hcl:4: listener \"tcp\": max_request_size: must not be negative"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  max_request_size = \"big\"\n}", false,
       "server.hcl:4: listener \"tcp\": max_request_size: expected a size in bytes as a whole "
       "number, got \"big\""},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  http_read_timeout = \"-5s\"\n}", false,
       "server.hcl:4: listener \"tcp\": http_read_timeout: invalid duration \"-5s\": durations "
       "cannot be negative"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  http_idle_timeout = -1\n}", false,
       "server.hcl:4: listener \"tcp\": http_idle_timeout: durations cannot be negative"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  http_idle_timeout = \"5y\"\n}", false,
       "server.hcl:4: listener \"tcp\": http_idle_timeout: invalid duration \"5y\": unknown unit"},
      {kStorage + "listener \"tcp\" {\n" + kTls + "  tls_disable = true\n}", false,
       "server.hcl:4: listener \"tcp\": tls_disable: set more than once (first at line 3)"},
      {kStorage + "listener = \"tcp\"", false, "server.hcl:2: listener: expected a block"},
      {kStorage + "listener {}", false, "server.hcl:2: listener: missing the listener type"},
      {kStorage + "default_lease_ttl = \"2h\"\nmax_lease_ttl = \"1h\"", false,
       "server.hcl:2: default_lease_ttl: must not be greater than max_lease_ttl (1h0m0s)"},
      {kStorage + "max_lease_ttl = true", false,
       "server.hcl:2: max_lease_ttl: expected a duration (seconds, or a string such as \"30s\"), "
       "got a bool"},
      {kStorage + "log_level = \"verbose\"", false,
       "server.hcl:2: log_level: unknown level \"verbose\"; use trace, debug, info, warn or "
       "error"},
      {kStorage + "api_addr = \"tresor:8200\"", false,
       "server.hcl:2: api_addr: expected a URL starting with https:// or http://"},
      {kStorage + "api_addr = \"https://a:8200\"\napi_addr = \"https://b:8200\"", false,
       "server.hcl:3: api_addr: set more than once (first at line 2)"},
      {kStorage + "seal \"awskms\" {\n  regoin = \"us-east-1\"\n}", false,
       "server.hcl:3: seal \"awskms\": unknown key \"regoin\""},
      {kStorage + "seal \"gcpckms\" {}", false,
       "server.hcl:2: seal \"gcpckms\": unsupported seal type"},
      {kStorage + "seal \"transit\" {}\nseal \"awskms\" {}", false,
       "server.hcl:3: seal \"awskms\": more than one enabled seal block"},
      {kStorage + "seal \"transit\" {\n  disabled = \"maybe\"\n}", false,
       "server.hcl:3: seal \"transit\": disabled: expected a bool"},
      {kStorage + "ui = ", false, "server.hcl: line 2, column 6: expected a value for \"ui\""},
      // JSON: no line numbers, same key paths.
      {R"({"storage": {"inmem": {}}, "telemetry": {"statsd_address": "x"}})", true,
       "server.json: telemetry: unsupported key \"statsd_address\""},
      {R"({"storage": {"inmem": {}}, "listener": [{"tcp": {"tls_disable": true, "adress": "x"}}]})",
       true, "server.json: listener \"tcp\": unknown key \"adress\" (did you mean \"address\"?)"},
      {R"({"storage": {"inmem": {}}, "disable_mlock": "yes"})", true,
       "server.json: disable_mlock: expected a bool, got a string"},
      {R"({"listener": {"tcp": {"tls_disable": true}}})", true, "server.json: no storage block"},
      {R"([1, 2])", true, "server.json: the top level must be an object, got a list"},
      {R"({"storage": )", true, "server.json: line 1, column 13: invalid JSON"},
  };
  for (const InvalidCase& c : cases) {
    StatusOr<ServerConfig> config =
        ParseConfig(c.text, c.json ? "server.json" : "server.hcl", c.json);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(config.status().message().rfind(c.expected_prefix, 0), 0u)
        << "config:\n"
        << c.text << "\nwanted prefix: " << c.expected_prefix
        << "\ngot:           " << config.status().message();
  }
}

TEST(ParseConfigTest, StorageOptionValuesAreNeverEchoed) {
  StatusOr<ServerConfig> config = ParseConfig(
      "storage \"file\" {\n  path = \"/x\"\n  password = \"hunter2\"\n}", "s.hcl", false);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().find("hunter2"), std::string::npos);
}

class LoadConfigFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  TempDirForTest dir_;
};

TEST_F(LoadConfigFileTest, ReadsHclAndJsonByExtension) {
  const std::string hcl_path = Write("server.hcl", kFullHcl);
  StatusOr<ServerConfig> from_hcl = LoadConfigFile(hcl_path);
  ASSERT_TRUE(from_hcl.ok()) << from_hcl.status().ToString();
  ExpectFullConfig(*from_hcl);
  EXPECT_EQ(from_hcl->source_file, hcl_path);

  const std::string json_path = Write("server.json", kFullJson);
  StatusOr<ServerConfig> from_json = LoadConfigFile(json_path);
  ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
  ExpectFullConfig(*from_json);
  EXPECT_EQ(from_json->source_file, json_path);

  // JSON content in a non-.json file is parsed as HCL, which refuses it.
  EXPECT_FALSE(LoadConfigFile(Write("server.conf", kFullJson)).ok());
}

TEST_F(LoadConfigFileTest, ErrorsNameTheFile) {
  const std::string path = Write("bad.hcl", "storage \"inmem\" {}\nlog_level = 3\n");
  StatusOr<ServerConfig> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), path + ":2: log_level: expected a string, got an integer");
}

TEST_F(LoadConfigFileTest, MissingFileAndDirectory) {
  StatusOr<ServerConfig> missing = LoadConfigFile(dir_.path() + "/nope.hcl");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.hcl"), std::string::npos);

  StatusOr<ServerConfig> directory = LoadConfigFile(dir_.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(directory.status().message().find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace tresor::server

namespace tresor::server {
namespace {

TEST(ParseConfigTest, SealBlocksForAMigration) {
  auto config = ParseConfig(
      "storage \"inmem\" {}\n"
      "seal \"transit\" {\n  address = \"https://unsealer:8200\"\n  key_name = \"k\"\n"
      "  disabled = \"true\"\n}\n"
      "seal \"awskms\" {\n  region = \"eu-west-1\"\n  kms_key_id = \"alias/tresor\"\n}\n",
      "server.hcl", false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->seals.size(), 2u);
  EXPECT_EQ(config->seals[0].type, "transit");
  EXPECT_TRUE(config->seals[0].disabled);
  EXPECT_EQ(config->seals[0].options.at("key_name"), "k");
  EXPECT_EQ(config->seals[0].options.count("token"), 0u);
  EXPECT_EQ(config->seals[1].type, "awskms");
  EXPECT_FALSE(config->seals[1].disabled);
  EXPECT_EQ(config->seals[1].options.at("region"), "eu-west-1");
  EXPECT_EQ(config->seals[1].line, 7);
}

}  // namespace
}  // namespace tresor::server

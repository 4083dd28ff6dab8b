// storage::EtcdOptions: the `storage "etcd"` stanza, parsed and checked.
// Option names and defaults follow Vault's etcd storage backend; see
// docs/storage-etcd.md for each one.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/etcd/etcd_http.h"

namespace tresor::storage {

struct EtcdOptions {
  std::vector<EtcdEndpoint> endpoints;  // tried in order; at least one
  std::string path = "/vault/";        // key prefix, always ends with '/'
  bool ha_enabled = false;
  std::chrono::seconds lock_timeout{15};  // the lock's lease TTL
  std::chrono::seconds request_timeout{5};
  std::string username;
  std::string password;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;

  // Not config options: fixed in production, shortened by tests.
  // After a Release, how long this node stays out of the contest for the
  // lock while another node is in it (Vault's step-down hold-off).
  std::chrono::milliseconds step_down_hold_off{10000};
  // How often Holder()'s view and a waiting Acquire look at the lock.
  std::chrono::milliseconds lock_poll{250};
};

// InvalidArgument naming the option at fault: an unknown option, a
// malformed address or duration, etcd_api = "v2" (not supported), a
// username without a password, or a client certificate without its key.
StatusOr<EtcdOptions> ParseEtcdOptions(const std::map<std::string, std::string>& options);

}  // namespace tresor::storage

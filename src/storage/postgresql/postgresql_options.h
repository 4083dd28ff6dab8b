// storage "postgresql" options, as Vault spells them (connection_url, table,
// skip_create_table, max_parallel, max_idle_connections, ha_enabled,
// ha_table) plus the lock's timings, which Vault hard-codes (lock_ttl,
// lock_renew_interval, lock_retry_interval). See docs/storage-postgresql.md.
// Stateless; safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "common/status.h"

namespace tresor::storage {

struct PostgreSQLOptions {
  std::string connection_url;  // a postgresql:// URL or a libpq key=value string
  // Table names as written in the config (optionally "schema.table"), and
  // the quoted identifiers Tresor splices into SQL.
  std::string table = "vault_kv_store";
  std::string quoted_table = "\"vault_kv_store\"";
  bool skip_create_table = false;
  std::size_t max_parallel = 128;       // bounds the data connection pool
  std::size_t max_idle_connections = 0;  // 0: keep every idle connection
  bool ha_enabled = false;
  std::string ha_table = "vault_ha_locks";
  std::string quoted_ha_table = "\"vault_ha_locks\"";
  std::chrono::milliseconds lock_ttl{15000};
  std::chrono::milliseconds lock_renew_interval{5000};
  std::chrono::milliseconds lock_retry_interval{1000};
  // After a Release, how long this backend's next Acquire waits, so that
  // another node takes the lock (Vault: 10 s). Not a config option; tests
  // shorten it.
  std::chrono::milliseconds release_holdoff{10000};
};

// InvalidArgument naming the option for an unknown option, a missing
// connection_url, or a value that does not parse or is out of range.
StatusOr<PostgreSQLOptions> ParsePostgreSQLOptions(
    const std::map<std::string, std::string>& options);

// "name" or "schema.name" of [A-Za-z_][A-Za-z0-9_$]* parts, quoted for SQL;
// InvalidArgument naming `option` otherwise.
StatusOr<std::string> QuotePostgreSQLTableName(const std::string& option,
                                               const std::string& name);

}  // namespace tresor::storage

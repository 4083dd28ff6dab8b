// storage "postgresql": Tresor's data in a PostgreSQL table, Vault's schema
// and key layout (storage/postgresql/postgresql_schema.h), so that ListPage
// is two index range scans, never a load of the table. With ha_enabled it is
// also an HABackend (postgresql_ha.h) whose lock fences this backend's
// writes. Options: postgresql_options.h; user docs: docs/storage-postgresql.md.
//
// Durability: Put, Delete and Batch return Ok once PostgreSQL committed
// (durable as the server's synchronous_commit says). Batch is one
// transaction. With HA, every write transaction first runs the fence check
// (PostgreSQLHA::CheckFence) and fails with FailedPrecondition, leaving
// nothing, when another node holds the active lock.
//
// Errors: Unavailable when the server cannot be reached (a retry may work),
// IOError for other database errors, InvalidArgument for bad keys.
// Messages never carry a value.
//
// Threads: safe from any thread; up to max_parallel connections at once.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "storage/backend.h"
#include "storage/postgresql/pg_connection_pool.h"
#include "storage/postgresql/postgresql_ha.h"
#include "storage/postgresql/postgresql_options.h"

namespace tresor::storage {

class PostgreSQLBackend : public Backend {
 public:
  // Connects, creates or checks the tables. Unavailable when the server
  // cannot be reached or refuses the credentials; FailedPrecondition when a
  // table exists with another schema.
  static StatusOr<std::unique_ptr<PostgreSQLBackend>> Open(const PostgreSQLOptions& options);
  ~PostgreSQLBackend() override;

  StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override;
  Status Batch(const std::vector<Operation>& ops) override;
  Status Close() override;
  HABackend* AsHA() override { return ha_.get(); }

  // Null without ha_enabled.
  PostgreSQLHA* ha_for_test() { return ha_.get(); }

 private:
  PostgreSQLBackend(PostgreSQLOptions options, std::unique_ptr<PgPool> pool,
                    std::unique_ptr<PostgreSQLHA> ha);
  Status Write(const std::vector<Operation>& ops);
  StatusOr<PgPool::Lease> Connection();

  const PostgreSQLOptions options_;
  const std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PostgreSQLHA> ha_;  // null unless ha_enabled; lives until destruction
  std::atomic<bool> closed_{false};
  // SQL text, built once from the table name.
  const std::string get_sql_, put_sql_, delete_sql_, list_keys_sql_, list_folders_sql_;
};

// The factory's entry point: parses options (InvalidArgument naming a bad
// or unknown one) and opens the backend.
StatusOr<std::unique_ptr<Backend>> OpenPostgreSQLBackend(
    const std::map<std::string, std::string>& options);

}  // namespace tresor::storage

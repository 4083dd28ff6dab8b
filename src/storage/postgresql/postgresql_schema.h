// The tables of storage "postgresql", Vault's own schema, so that the same
// database serves Vault and Tresor alike:
//
//   CREATE TABLE vault_kv_store (
//     parent_path TEXT COLLATE "C" NOT NULL,
//     path        TEXT COLLATE "C",
//     key         TEXT COLLATE "C",
//     value       BYTEA,
//     CONSTRAINT pkey PRIMARY KEY (path, key));
//   CREATE INDEX parent_path_idx ON vault_kv_store (parent_path);
//   CREATE TABLE vault_ha_locks (
//     ha_key      TEXT COLLATE "C" NOT NULL,
//     ha_identity TEXT COLLATE "C" NOT NULL,
//     ha_value    TEXT COLLATE "C",
//     valid_until TIMESTAMP WITH TIME ZONE NOT NULL,
//     CONSTRAINT ha_key PRIMARY KEY (ha_key));
//
// A key "a/b/c" is the row (parent_path "/a/", path "/a/b/", key "c"); "a"
// is ("", "/", "a"), as Vault splits them. COLLATE "C" makes the primary
// key's order byte order, which ListPage relies on.
// Stateless; the caller owns the connection.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/postgresql/pg_connection_pool.h"
#include "storage/postgresql/postgresql_options.h"

namespace tresor::storage {

// Creates the tables that are missing (unless skip_create_table), then
// checks that both have the columns, types, collations and primary key above.
// FailedPrecondition naming the table and the difference when one does not
// (or is missing with skip_create_table); the database's error otherwise.
Status EnsurePgSchema(PgConnection& conn, const PostgreSQLOptions& options);

struct PgKeyRow {
  std::string parent_path;
  std::string path;
  std::string key;
};
// REQUIRES: ValidateKey(key) is Ok.
PgKeyRow PgSplitKey(std::string_view key);

}  // namespace tresor::storage

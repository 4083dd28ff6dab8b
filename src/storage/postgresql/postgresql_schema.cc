#include "storage/postgresql/postgresql_schema.h"

#include <map>
#include <vector>

namespace tresor::storage {
namespace {

struct PgExpectedColumn {
  const char* name;
  const char* type;  // as format_type() spells it
  bool text;         // must then be COLLATE "C"
};

// Serialises table creation between nodes that start together.
constexpr char kPgSchemaLockKey[] = "7406451873051934802";

Status PgLockSchema(PgConnection& conn) {
  return conn.Exec("SELECT pg_advisory_xact_lock($1::text::bigint)", {PgParam::Of(kPgSchemaLockKey)})
      .status();
}

Status PgCreateTables(PgConnection& conn, const PostgreSQLOptions& options) {
  return conn.InTransaction([&]() -> Status {
    TRESOR_RETURN_IF_ERROR(PgLockSchema(conn));
    TRESOR_RETURN_IF_ERROR(
        conn.Exec("CREATE TABLE IF NOT EXISTS " + options.quoted_table +
                  " (parent_path TEXT COLLATE \"C\" NOT NULL, path TEXT COLLATE \"C\","
                  " key TEXT COLLATE \"C\", value BYTEA,"
                  " CONSTRAINT pkey PRIMARY KEY (path, key))")
            .status());
    if (!options.ha_enabled) return Status::Ok();
    return conn
        .Exec("CREATE TABLE IF NOT EXISTS " + options.quoted_ha_table +
              " (ha_key TEXT COLLATE \"C\" NOT NULL, ha_identity TEXT COLLATE \"C\" NOT NULL,"
              " ha_value TEXT COLLATE \"C\", valid_until TIMESTAMP WITH TIME ZONE NOT NULL,"
              " CONSTRAINT ha_key PRIMARY KEY (ha_key))")
        .status();
  });
}

Status PgCheckTable(PgConnection& conn, const std::string& option, const std::string& table,
                    const std::string& quoted, const std::vector<PgExpectedColumn>& expected,
                    const std::string& key_columns /* sorted, comma-separated */) {
  const std::string prefix =
      "storage \"postgresql\": " + option + " \"" + table + "\" ";
  TRESOR_ASSIGN_OR_RETURN(
      PgResult columns,
      conn.Exec("SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
                " coalesce(c.collname, '') FROM pg_attribute a"
                " LEFT JOIN pg_collation c ON c.oid = a.attcollation"
                " WHERE a.attrelid = to_regclass($1::text) AND a.attnum > 0"
                " AND NOT a.attisdropped",
                {PgParam::Of(quoted)}));
  if (columns.rows() == 0) {
    return FailedPreconditionError(prefix + "does not exist (skip_create_table is set: create "
                                            "it as docs/storage-postgresql.md shows)");
  }
  std::map<std::string, std::pair<std::string, std::string>> found;
  for (int row = 0; row < columns.rows(); ++row) {
    found[std::string(columns.Value(row, 0))] = {std::string(columns.Value(row, 1)),
                                                 std::string(columns.Value(row, 2))};
  }
  for (const PgExpectedColumn& column : expected) {
    auto it = found.find(column.name);
    if (it == found.end()) {
      return FailedPreconditionError(prefix + "exists with another schema: it has no column \"" +
                                     column.name + "\"");
    }
    if (it->second.first != column.type) {
      return FailedPreconditionError(prefix + "exists with another schema: column \"" +
                                     column.name + "\" is " + it->second.first + ", not " +
                                     column.type);
    }
    if (column.text && it->second.second != "C") {
      return FailedPreconditionError(prefix + "exists with another schema: column \"" +
                                     column.name + "\" must be COLLATE \"C\" (byte order)");
    }
  }
  TRESOR_ASSIGN_OR_RETURN(
      PgResult unique,
      conn.Exec("SELECT 1 FROM pg_index i WHERE i.indrelid = to_regclass($1::text)"
                " AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = i.indnatts"
                " AND (SELECT string_agg(a.attname::text, ',' ORDER BY a.attname)"
                "      FROM pg_attribute a WHERE a.attrelid = i.indrelid"
                "      AND a.attnum = ANY(i.indkey)) = $2::text",
                {PgParam::Of(quoted), PgParam::Of(key_columns)}));
  if (unique.rows() == 0) {
    return FailedPreconditionError(prefix + "exists with another schema: its primary key must be (" +
                                   key_columns + ")");
  }
  return Status::Ok();
}

}  // namespace

Status EnsurePgSchema(PgConnection& conn, const PostgreSQLOptions& options) {
  if (!options.skip_create_table) TRESOR_RETURN_IF_ERROR(PgCreateTables(conn, options));
  TRESOR_RETURN_IF_ERROR(PgCheckTable(conn, "table", options.table, options.quoted_table,
                                      {{"parent_path", "text", true},
                                       {"path", "text", true},
                                       {"key", "text", true},
                                       {"value", "bytea", false}},
                                      "key,path"));
  if (options.ha_enabled) {
    TRESOR_RETURN_IF_ERROR(PgCheckTable(conn, "ha_table", options.ha_table,
                                        options.quoted_ha_table,
                                        {{"ha_key", "text", true},
                                         {"ha_identity", "text", true},
                                         {"ha_value", "text", true},
                                         {"valid_until", "timestamp with time zone", false}},
                                        "ha_key"));
  }
  if (options.skip_create_table) return Status::Ok();
  // After the check: on a table of another schema it would fail unreadably.
  // Tresor's queries do not use it; Vault's List does.
  return conn.InTransaction([&]() -> Status {
    TRESOR_RETURN_IF_ERROR(PgLockSchema(conn));
    return conn.Exec("CREATE INDEX IF NOT EXISTS parent_path_idx ON " + options.quoted_table +
                     " (parent_path)")
        .status();
  });
}

PgKeyRow PgSplitKey(std::string_view key) {
  PgKeyRow row;
  const std::size_t last = key.rfind('/');
  if (last == std::string_view::npos) {
    row.path = "/";
    row.key = std::string(key);
    return row;
  }
  row.key = std::string(key.substr(last + 1));
  row.path = "/" + std::string(key.substr(0, last + 1));
  const std::size_t parent_end = key.rfind('/', last == 0 ? 0 : last - 1);
  row.parent_path = parent_end == std::string_view::npos || last == 0
                        ? "/"
                        : "/" + std::string(key.substr(0, parent_end + 1));
  return row;
}

}  // namespace tresor::storage

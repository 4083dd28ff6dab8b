#include "storage/postgresql/postgresql_backend.h"

#include "storage/postgresql/postgresql_schema.h"

namespace tresor::storage {
namespace {

std::string PgListFoldersSql(const std::string& table) {
  // The distinct first segments of paths under $1, one index probe each (a
  // loose index scan): after finding path $1 || "name/...", the next probe
  // starts at $1 || "name0" ('0' follows '/'), past everything in "name/".
  // $2 is where `after` puts the first probe, $3 the end of $1's range.
  // PostgreSQL evaluates a recursive query only as far as the LIMIT reads.
  const std::string first = "left(substr(%P, length($1::text) + 1), "
                            "strpos(substr(%P, length($1::text) + 1), '/')";
  auto segment = [&first](const std::string& column, const std::string& end) {
    std::string out = first;
    for (std::size_t at; (at = out.find("%P")) != std::string::npos;) out.replace(at, 2, column);
    return out + end;
  };
  return "WITH RECURSIVE folders(p) AS ("
         " (SELECT path FROM " + table +
         " WHERE path > $1::text AND path >= $2::text AND path < $3::text ORDER BY path LIMIT 1)"
         " UNION ALL"
         " SELECT (SELECT t.path FROM " + table + " t WHERE t.path >= $1::text || " +
         segment("f.p", " - 1)") + " || '0' AND t.path < $3::text ORDER BY t.path LIMIT 1)"
         " FROM folders f WHERE f.p IS NOT NULL)"
         " SELECT " + segment("p", ")") + " FROM folders WHERE p IS NOT NULL";
}

std::string PgLimitClause(std::size_t limit) {
  return limit == 0 ? "" : " LIMIT " + std::to_string(limit);
}

}  // namespace

StatusOr<std::unique_ptr<Backend>> OpenPostgreSQLBackend(
    const std::map<std::string, std::string>& options) {
  TRESOR_ASSIGN_OR_RETURN(PostgreSQLOptions parsed, ParsePostgreSQLOptions(options));
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<PostgreSQLBackend> backend,
                          PostgreSQLBackend::Open(parsed));
  return std::unique_ptr<Backend>(std::move(backend));
}

StatusOr<std::unique_ptr<PostgreSQLBackend>> PostgreSQLBackend::Open(
    const PostgreSQLOptions& options) {
  auto pool = PgPool::Open(options.connection_url, options.max_parallel,
                           options.max_idle_connections);
  if (!pool.ok()) {
    return Status(pool.status().code(),
                  "storage \"postgresql\": " + std::string(pool.status().message()));
  }
  {
    TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, (*pool)->Get());
    TRESOR_RETURN_IF_ERROR(EnsurePgSchema(*conn, options));
  }
  std::unique_ptr<PostgreSQLHA> ha;
  if (options.ha_enabled) {
    TRESOR_ASSIGN_OR_RETURN(ha, PostgreSQLHA::Open(options));
  }
  return std::unique_ptr<PostgreSQLBackend>(
      new PostgreSQLBackend(options, std::move(pool).value(), std::move(ha)));
}

PostgreSQLBackend::PostgreSQLBackend(PostgreSQLOptions options, std::unique_ptr<PgPool> pool,
                                     std::unique_ptr<PostgreSQLHA> ha)
    : options_(std::move(options)),
      pool_(std::move(pool)),
      ha_(std::move(ha)),
      get_sql_("SELECT value FROM " + options_.quoted_table +
               " WHERE path = $1::text AND key = $2::text"),
      put_sql_("INSERT INTO " + options_.quoted_table +
               " (parent_path, path, key, value) VALUES ($1::text, $2::text, $3::text, $4::bytea)"
               " ON CONFLICT (path, key) DO UPDATE SET value = excluded.value"),
      delete_sql_("DELETE FROM " + options_.quoted_table +
                  " WHERE path = $1::text AND key = $2::text"),
      list_keys_sql_("SELECT key FROM " + options_.quoted_table +
                     " WHERE path = $1::text AND key > $2::text ORDER BY key"),
      list_folders_sql_(PgListFoldersSql(options_.quoted_table)) {}

PostgreSQLBackend::~PostgreSQLBackend() { Close().IgnoreError(); }

StatusOr<PgPool::Lease> PostgreSQLBackend::Connection() {
  if (closed_) return FailedPreconditionError("storage \"postgresql\" is closed");
  return pool_->Get();
}

StatusOr<std::optional<std::string>> PostgreSQLBackend::Get(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  const PgKeyRow row = PgSplitKey(key);
  TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, Connection());
  TRESOR_ASSIGN_OR_RETURN(
      PgResult result,
      conn->Exec(get_sql_, {PgParam::Of(row.path), PgParam::Of(row.key)}, /*binary_result=*/true));
  if (result.rows() == 0) return std::optional<std::string>();
  if (result.IsNull(0, 0)) return std::optional<std::string>(std::string());
  return std::optional<std::string>(std::string(result.Value(0, 0)));
}

Status PostgreSQLBackend::Put(std::string_view key, std::string_view value) {
  return Write({Operation::Put(std::string(key), std::string(value))});
}

Status PostgreSQLBackend::Delete(std::string_view key) {
  return Write({Operation::Delete(std::string(key))});
}

Status PostgreSQLBackend::Batch(const std::vector<Operation>& ops) {
  if (ops.empty()) return Status::Ok();
  return Write(ops);
}

Status PostgreSQLBackend::Write(const std::vector<Operation>& ops) {
  std::vector<PgKeyRow> rows;
  rows.reserve(ops.size());
  for (const Operation& op : ops) {
    TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
    rows.push_back(PgSplitKey(op.key));
  }
  TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, Connection());
  auto apply = [&]() -> Status {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const PgKeyRow& row = rows[i];
      if (ops[i].type == Operation::Type::kPut) {
        TRESOR_RETURN_IF_ERROR(conn->Exec(put_sql_, {PgParam::Of(row.parent_path),
                                                     PgParam::Of(row.path), PgParam::Of(row.key),
                                                     PgParam::Of(ops[i].value)})
                                   .status());
      } else {
        TRESOR_RETURN_IF_ERROR(
            conn->Exec(delete_sql_, {PgParam::Of(row.path), PgParam::Of(row.key)}).status());
      }
    }
    return Status::Ok();
  };
  // One statement commits by itself; anything more, or a fenced write, is
  // a transaction.
  if (ha_ == nullptr && ops.size() == 1) return apply();
  return conn->InTransaction([&]() -> Status {
    if (ha_ != nullptr) TRESOR_RETURN_IF_ERROR(ha_->CheckFence(*conn));
    return apply();
  });
}

StatusOr<std::vector<std::string>> PostgreSQLBackend::ListPage(std::string_view prefix,
                                                               std::string_view after,
                                                               std::size_t limit) {
  TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
  const std::string path = "/" + std::string(prefix);
  // Every path under `path` sorts below this: '0' follows '/'.
  const std::string end = path.substr(0, path.size() - 1) + "0";
  // Where folders whose names follow `after` start (names are "x/"; see
  // PgListFoldersSql).
  std::string first = path + std::string(after);
  if (!after.empty() && after.back() == '/') first.back() = '0';
  const std::string after_text(after);
  TRESOR_ASSIGN_OR_RETURN(PgPool::Lease conn, Connection());
  TRESOR_ASSIGN_OR_RETURN(PgResult keys,
                          conn->Exec(list_keys_sql_ + PgLimitClause(limit),
                                     {PgParam::Of(path), PgParam::Of(after_text)}));
  TRESOR_ASSIGN_OR_RETURN(
      PgResult folders,
      conn->Exec(list_folders_sql_ + PgLimitClause(limit),
                 {PgParam::Of(path), PgParam::Of(first), PgParam::Of(end)}));
  // Both are in byte order (COLLATE "C"): merge them.
  std::vector<std::string> names;
  int k = 0;
  int f = 0;
  while ((k < keys.rows() || f < folders.rows()) && (limit == 0 || names.size() < limit)) {
    if (f >= folders.rows() || (k < keys.rows() && keys.Value(k, 0) < folders.Value(f, 0))) {
      names.emplace_back(keys.Value(k++, 0));
    } else {
      names.emplace_back(folders.Value(f++, 0));
    }
  }
  return names;
}

Status PostgreSQLBackend::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  pool_->Close();
  return Status::Ok();
}

}  // namespace tresor::storage

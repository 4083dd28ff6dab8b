#include "storage/postgresql/pg_connection_pool.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace tresor::storage {
namespace {

// libpq's messages end with a newline and may span lines; one line reads
// better in a Status.
std::string OneLinePgMessage(const char* text) {
  std::string out = text != nullptr ? text : "";
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool PgSqlStateMeansUnavailable(std::string_view state) {
  // 08: connection exception; 57P0x: server shutting down or restarting;
  // 53: out of resources (too many connections); 40001/40P01: a conflict
  // that a retry resolves.
  return state.starts_with("08") || state.starts_with("57P") || state.starts_with("53") ||
         state == "40001" || state == "40P01";
}

}  // namespace

void PgResult::Clear::operator()(PGresult* result) const { PQclear(result); }
int PgResult::rows() const { return PQntuples(result_.get()); }
bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}
std::string_view PgResult::Value(int row, int column) const {
  return std::string_view(PQgetvalue(result_.get(), row, column),
                          static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}
long PgResult::AffectedRows() const {
  const char* count = PQcmdTuples(result_.get());
  return count != nullptr && *count != '\0' ? std::strtol(count, nullptr, 10) : 0;
}

Status CheckPgConnectionUrl(const std::string& connection_url) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(connection_url.c_str(), &error);
  // libpq's parse errors can quote the string, password included.
  if (error != nullptr) PQfreemem(error);
  if (parsed == nullptr) {
    return InvalidArgumentError(
        "storage \"postgresql\": connection_url is neither a postgresql:// URL nor a libpq "
        "key=value connection string");
  }
  PQconninfoFree(parsed);
  return Status::Ok();
}

StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo) {
  // Defaults first: the URL's own settings, expanded from dbname, win.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "tresor", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return UnavailableError("postgresql: out of memory opening a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = OneLinePgMessage(PQerrorMessage(conn));
    PQfinish(conn);
    return UnavailableError("postgresql: cannot connect: " + why);
  }
  // Notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

StatusOr<PgResult> PgConnection::Exec(std::string_view sql, const std::vector<PgParam>& params,
                                      bool binary_result) {
  std::string text(sql);
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const PgParam& param : params) {
    // A non-null pointer even for "": a null one would mean SQL NULL.
    values.push_back(param.bytes.data() != nullptr ? param.bytes.data() : "");
    lengths.push_back(static_cast<int>(param.bytes.size()));
    formats.push_back(1);
  }
  for (int attempt = 0;; ++attempt) {
    PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), lengths.data(), formats.data(),
                                 binary_result ? 1 : 0));
    const bool reuse = may_reconnect_;
    may_reconnect_ = false;
    ExecStatusType status = PQresultStatus(result.result_.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    if (PQstatus(conn_) == CONNECTION_BAD) {
      if (reuse && attempt == 0) {
        // An idle connection the server closed meanwhile (restart, idle
        // timeout): nothing ran, so reconnect and try once more.
        PQreset(conn_);
        if (PQstatus(conn_) == CONNECTION_OK) continue;
      }
      return UnavailableError("postgresql: connection lost: " +
                              OneLinePgMessage(PQerrorMessage(conn_)));
    }
    const char* state = PQresultErrorField(result.result_.get(), PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result.result_.get(), PG_DIAG_MESSAGE_PRIMARY);
    std::string message =
        "postgresql: " + OneLinePgMessage(primary != nullptr ? primary : PQerrorMessage(conn_));
    if (state != nullptr && PgSqlStateMeansUnavailable(state)) return UnavailableError(message);
    return IOError(message);
  }
}

Status PgConnection::InTransaction(const std::function<Status()>& fn) {
  TRESOR_RETURN_IF_ERROR(Exec("BEGIN").status());
  Status done = fn();
  if (!done.ok()) {
    // Best effort: a dead connection has rolled back already.
    if (healthy()) Exec("ROLLBACK").status().IgnoreError();
    return done;
  }
  return Exec("COMMIT").status();
}

StatusOr<std::unique_ptr<PgPool>> PgPool::Open(std::string conninfo,
                                               std::size_t max_connections,
                                               std::size_t max_idle) {
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> first, PgConnection::Connect(conninfo));
  std::unique_ptr<PgPool> pool(new PgPool(std::move(conninfo), max_connections, max_idle));
  pool->open_ = 1;
  pool->idle_.push_back(std::move(first));
  return pool;
}

PgPool::~PgPool() { Close(); }

PgPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Return(std::move(conn_));
}

StatusOr<PgPool::Lease> PgPool::Get() {
  std::unique_lock lock(mu_);
  freed_.wait(lock, [this] { return closed_ || !idle_.empty() || open_ < max_; });
  if (closed_) return FailedPreconditionError("storage \"postgresql\" is closed");
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    conn->may_reconnect_ = true;
    return Lease(this, std::move(conn));
  }
  ++open_;  // reserved while connecting, outside the lock
  lock.unlock();
  auto conn = PgConnection::Connect(conninfo_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    freed_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

void PgPool::Return(std::unique_ptr<PgConnection> conn) {
  std::lock_guard lock(mu_);
  if (closed_ || !conn->healthy() || (max_idle_ > 0 && idle_.size() >= max_idle_)) {
    --open_;
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
  }
  freed_.notify_one();
}

void PgPool::Close() {
  std::vector<std::unique_ptr<PgConnection>> idle;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    open_ -= idle_.size();
    idle.swap(idle_);
  }
  freed_.notify_all();
}

}  // namespace tresor::storage

// storage/postgresql: libpq connections for the PostgreSQL backend.
//
// PgConnection wraps one libpq connection and runs parameterised statements
// (PQexecParams only: no value is ever spliced into SQL text). PgPool keeps
// up to max_connections of them; Get() blocks while all are leased. A
// connection whose server went away is not returned to the pool, and the
// first statement on a reused idle connection is retried once on a fresh
// connection (PQreset) when the old one turns out to be dead: nothing was
// executed by then, so the retry cannot apply anything twice.
//
// Errors: connection failures (SQLSTATE class 08, server shutdown, a dead
// socket) are Unavailable; everything else the server refuses is IOError.
// Messages carry the server's primary message only, never DETAIL (which can
// quote keys) and never a parameter (values are ciphertext, but still not
// for logs).
//
// Threads: PgPool is safe from any thread; a PgConnection is used by the one
// thread that leased it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace tresor::storage {

// One statement parameter. Bytes are sent in binary format (text and bytea
// alike: their binary form is the raw bytes, so no NUL terminator is needed
// and bytea needs no escaping).
struct PgParam {
  std::string_view bytes;
  static PgParam Of(std::string_view b) { return PgParam{b}; }
};

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  int rows() const;
  bool IsNull(int row, int column) const;
  // Valid while this PgResult lives.
  std::string_view Value(int row, int column) const;
  // Rows an INSERT/UPDATE/DELETE touched.
  long AffectedRows() const;

 private:
  friend class PgConnection;
  struct Clear {
    void operator()(PGresult* result) const;
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class PgConnection {
 public:
  // Connects; Unavailable with libpq's reason when it cannot (unreachable
  // server, wrong password, no such database). conninfo is never quoted.
  static StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. binary_result: columns come back in binary form
  // (bytea as raw bytes); otherwise as text.
  StatusOr<PgResult> Exec(std::string_view sql, const std::vector<PgParam>& params = {},
                          bool binary_result = false);
  // False once the server connection is known to be dead.
  bool healthy() const;

  // Runs fn between BEGIN and COMMIT; rolls back when fn fails. An error
  // from COMMIT means the transaction may or may not have committed.
  Status InTransaction(const std::function<Status()>& fn);

 private:
  friend class PgPool;
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
  // Set when the pool hands out an idle connection: its first statement may
  // be retried after a reconnect.
  bool may_reconnect_ = false;
};

class PgPool {
 public:
  // Opens one connection at once, so that a wrong URL, password or host
  // fails here with a readable message. max_connections >= 1; max_idle:
  // how many unused connections stay open (0: all of them).
  static StatusOr<std::unique_ptr<PgPool>> Open(std::string conninfo,
                                                std::size_t max_connections,
                                                std::size_t max_idle = 0);
  ~PgPool();

  // A leased connection; goes back to the pool (or is closed when dead) at
  // destruction.
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    PgConnection* operator->() { return conn_.get(); }
    PgConnection& operator*() { return *conn_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Blocks while every connection is leased. Unavailable when a new
  // connection cannot be opened; FailedPrecondition after Close.
  StatusOr<Lease> Get();
  // Closes idle connections; leased ones close when returned. Idempotent.
  void Close();

 private:
  PgPool(std::string conninfo, std::size_t max_connections, std::size_t max_idle)
      : conninfo_(std::move(conninfo)), max_(max_connections), max_idle_(max_idle) {}
  void Return(std::unique_ptr<PgConnection> conn);

  const std::string conninfo_;
  const std::size_t max_;
  const std::size_t max_idle_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  std::size_t open_ = 0;                             // idle + leased, guarded by mu_
  bool closed_ = false;                              // guarded by mu_
};

// Connection parameters for libpq from a Vault connection_url (a URL or a
// key=value conninfo). InvalidArgument, without quoting it, when libpq cannot
// parse it.
Status CheckPgConnectionUrl(const std::string& connection_url);

}  // namespace tresor::storage

// PostgresForTest: one throwaway PostgreSQL 15 server for the tests of
// storage "postgresql", started on first use by scripts/postgres-for-test
// (initdb in a temp dir, loopback, a free port, role "tresor" with a
// password) and stopped and deleted at exit. The script's watcher also stops
// it if this process dies without exiting. Every test takes a fresh database
// (FreshDatabaseUrl) so that tests never see each other's tables.
// Tests only; header-only. Threads: call from the test thread.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/check.h"
#include "common/temp_dir_for_test.h"
#include "storage/postgresql/pg_connection_pool.h"

namespace tresor::storage {

class PostgresForTest {
 public:
  static PostgresForTest& Get() {
    static PostgresForTest server;
    return server;
  }

  // The URL of the server's "tresor" database.
  const std::string& url() const { return url_; }

  // A new, empty database owned by "tresor"; its URL.
  std::string FreshDatabaseUrl() {
    std::string name = "t" + std::to_string(++databases_);
    auto conn = PgConnection::Connect(url_);
    TRESOR_CHECK(conn.ok());
    TRESOR_CHECK((*conn)->Exec("CREATE DATABASE " + name).ok());
    return WithDatabase(name);
  }

  // url() with the password replaced.
  std::string WithPassword(const std::string& password) const {
    std::size_t colon = url_.find(':', std::string("postgresql://").size());
    std::size_t at = url_.find('@');
    return url_.substr(0, colon + 1) + password + url_.substr(at);
  }

  ~PostgresForTest() {
    std::string command = "'" + Script() + "' stop '" + dir_ + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "postgres-for-test stop failed\n");
  }

 private:
  PostgresForTest() {
    // The server runs as the "postgres" OS user, which must reach dir_.
    std::filesystem::permissions(temp_.path(), std::filesystem::perms::owner_all |
                                                   std::filesystem::perms::group_exec |
                                                   std::filesystem::perms::others_exec);
    dir_ = temp_.path() + "/pg";
    std::string command =
        "'" + Script() + "' start '" + dir_ + "' " + std::to_string(getpid());
    FILE* out = popen(command.c_str(), "r");
    TRESOR_CHECK(out != nullptr);
    char line[512] = {};
    if (std::fgets(line, sizeof line, out) != nullptr) url_ = line;
    int status = pclose(out);
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
    if (status != 0 || url_.empty()) {
      std::fprintf(stderr, "scripts/postgres-for-test start failed (exit %d)\n", status);
      std::abort();
    }
  }

  std::string WithDatabase(const std::string& name) const {
    return url_.substr(0, url_.rfind('/') + 1) + name;
  }

  // scripts/postgres-for-test of this checkout: $TRESOR_SOURCE_DIR, or the
  // first ancestor of the working directory that has it.
  static std::string Script() {
    const char* source = std::getenv("TRESOR_SOURCE_DIR");
    if (source != nullptr && *source != '\0') {
      return std::string(source) + "/scripts/postgres-for-test";
    }
    for (std::filesystem::path dir = std::filesystem::current_path();; dir = dir.parent_path()) {
      std::filesystem::path candidate = dir / "scripts" / "postgres-for-test";
      if (std::filesystem::exists(candidate)) return candidate.string();
      if (dir == dir.parent_path()) break;
    }
    std::fprintf(stderr, "cannot find scripts/postgres-for-test: set TRESOR_SOURCE_DIR\n");
    std::abort();
  }

  TempDirForTest temp_;
  std::string dir_;
  std::string url_;
  int databases_ = 0;
};

}  // namespace tresor::storage

#include "storage/postgresql/postgresql_backend.h"

#include <gtest/gtest.h>

#include "storage/postgresql/postgres_for_test.h"
#include "storage/postgresql/postgresql_schema.h"

namespace tresor::storage {
namespace {

class PostgreSQLBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresForTest::Get().FreshDatabaseUrl();
    auto opened = OpenPostgreSQLBackend({{"connection_url", url_}});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    backend_ = std::move(opened).value();
  }
  std::unique_ptr<PgConnection> Sql() {
    auto conn = PgConnection::Connect(url_);
    EXPECT_TRUE(conn.ok());
    return std::move(conn).value();
  }
  std::vector<std::string> List(std::string_view prefix, std::string_view after = {},
                                std::size_t limit = 0) {
    auto names = backend_->ListPage(prefix, after, limit);
    EXPECT_TRUE(names.ok()) << names.status().message();
    return names.ok() ? *names : std::vector<std::string>{};
  }

  std::string url_;
  std::unique_ptr<Backend> backend_;
};

using Names = std::vector<std::string>;

TEST(PostgreSQLKeyRowTest, SplitsKeysAsVaultDoes) {
  PgKeyRow top = PgSplitKey("a");
  EXPECT_EQ(top.parent_path, "");
  EXPECT_EQ(top.path, "/");
  EXPECT_EQ(top.key, "a");
  PgKeyRow two = PgSplitKey("a/b");
  EXPECT_EQ(two.parent_path, "/");
  EXPECT_EQ(two.path, "/a/");
  EXPECT_EQ(two.key, "b");
  PgKeyRow deep = PgSplitKey("a/b/c");
  EXPECT_EQ(deep.parent_path, "/a/");
  EXPECT_EQ(deep.path, "/a/b/");
  EXPECT_EQ(deep.key, "c");
}

TEST_F(PostgreSQLBackendTest, PutGetDeleteKeepBinaryValues) {
  const std::string value("\0\x01\xff binary", 10);
  ASSERT_TRUE(backend_->Put("core/keyring", value).ok());
  auto got = backend_->Get("core/keyring");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, value);
  ASSERT_TRUE(backend_->Put("core/keyring", "").ok());  // overwrite, empty value
  got = backend_->Get("core/keyring");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, "");
  ASSERT_TRUE(backend_->Delete("core/keyring").ok());
  ASSERT_TRUE(backend_->Delete("core/keyring").ok());  // deleting a missing key is Ok
  got = backend_->Get("core/keyring");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_FALSE(backend_->Get("missing").value().has_value());
}

TEST_F(PostgreSQLBackendTest, RefusesBadKeysAndPrefixes) {
  EXPECT_EQ(backend_->Put("/abs", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->Put("a//b", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->Get("a/../b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->ListPage("a", "", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->Batch({Operation::Put("ok", "v"), Operation::Put("", "v")}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(backend_->Get("ok").value().has_value());
}

TEST_F(PostgreSQLBackendTest, ListsImmediateChildrenInByteOrderWithFoldersOnce) {
  for (const char* key : {"a", "a-b/x", "a/b", "a/c/d", "a/c/e", "a/c/f/g", "b", "z/y/x/w",
                          "a0", "a/b-c", "a/b/x"}) {
    ASSERT_TRUE(backend_->Put(key, "v").ok()) << key;
  }
  EXPECT_EQ(List(""), (Names{"a", "a-b/", "a/", "a0", "b", "z/"}));
  EXPECT_EQ(List("a/"), (Names{"b", "b-c", "b/", "c/"}));
  EXPECT_EQ(List("a/c/"), (Names{"d", "e", "f/"}));
  EXPECT_EQ(List("z/"), (Names{"y/"}));
  EXPECT_EQ(List("nothing/"), Names{});
  EXPECT_EQ(List("", "a-b/"), (Names{"a/", "a0", "b", "z/"}));
  EXPECT_EQ(List("", "a/"), (Names{"a0", "b", "z/"}));
  EXPECT_EQ(List("", "a"), (Names{"a-b/", "a/", "a0", "b", "z/"}));
  EXPECT_EQ(List("", "", 2), (Names{"a", "a-b/"}));
  EXPECT_EQ(List("a/", "b", 2), (Names{"b-c", "b/"}));
}

TEST_F(PostgreSQLBackendTest, PagesWalkTheSameNamesAsOneList) {
  for (int i = 0; i < 30; ++i) {
    std::string name = std::to_string(i * 7 % 30);
    ASSERT_TRUE(backend_->Put("p/" + name, "v").ok());
    if (i % 3 == 0) {
      ASSERT_TRUE(backend_->Put("p/" + name + "/child", "v").ok());
    }
  }
  Names all = List("p/");
  ASSERT_EQ(all.size(), 40u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  for (std::size_t page : {1u, 3u, 7u}) {
    Names walked;
    std::string after;
    while (true) {
      Names names = List("p/", after, page);
      if (names.empty()) break;
      EXPECT_LE(names.size(), page);
      walked.insert(walked.end(), names.begin(), names.end());
      after = names.back();
    }
    EXPECT_EQ(walked, all) << "page " << page;
  }
  auto count = CountKeys(*backend_, "p/");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 40u);
}

TEST_F(PostgreSQLBackendTest, BatchIsAllOrNothing) {
  ASSERT_TRUE(backend_->Put("keep", "old").ok());
  ASSERT_TRUE(backend_->Batch({Operation::Put("x/1", "a"), Operation::Put("x/2", "b"),
                               Operation::Delete("keep")})
                  .ok());
  EXPECT_EQ(List("x/"), (Names{"1", "2"}));
  EXPECT_FALSE(backend_->Get("keep").value().has_value());
  // The second statement fails inside PostgreSQL (not valid UTF-8 in a text
  // column): the first must not stay.
  Status failed = backend_->Batch({Operation::Put("y/1", "a"), Operation::Delete("x/1"),
                                   Operation::Put("y/\xff", "b")});
  EXPECT_EQ(failed.code(), StatusCode::kIOError) << failed.message();
  EXPECT_FALSE(backend_->Get("y/1").value().has_value());
  EXPECT_TRUE(backend_->Get("x/1").value().has_value());
}

TEST_F(PostgreSQLBackendTest, ReconnectsAfterTheServerDroppedIdleConnections) {
  ASSERT_TRUE(backend_->Put("k", "v").ok());
  auto sql = Sql();
  ASSERT_TRUE(sql->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE pid <> pg_backend_pid() AND application_name = 'tresor'"
                        " AND datname = current_database()")
                  .ok());
  auto got = backend_->Get("k");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->value_or(""), "v");
  EXPECT_TRUE(backend_->Put("k2", "v").ok());
}

TEST_F(PostgreSQLBackendTest, CloseFailsLaterCalls) {
  ASSERT_TRUE(backend_->Close().ok());
  ASSERT_TRUE(backend_->Close().ok());
  EXPECT_FALSE(backend_->Get("k").ok());
  EXPECT_FALSE(backend_->Put("k", "v").ok());
}

TEST_F(PostgreSQLBackendTest, SharesVaultsTablesWithAnotherOpen) {
  ASSERT_TRUE(backend_->Put("a/b/c", "v").ok());
  auto sql = Sql();
  auto row = sql->Exec("SELECT parent_path, path, key FROM vault_kv_store");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->rows(), 1);
  EXPECT_EQ(row->Value(0, 0), "/a/");
  EXPECT_EQ(row->Value(0, 1), "/a/b/");
  EXPECT_EQ(row->Value(0, 2), "c");
  auto again = OpenPostgreSQLBackend({{"connection_url", url_}, {"skip_create_table", "true"}});
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->Get("a/b/c").value().value_or(""), "v");
}

TEST(PostgreSQLOpenTest, RefusesBadOptionsNamingThem) {
  const std::string url = PostgresForTest::Get().url();
  struct Case {
    std::map<std::string, std::string> options;
    std::string named;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "connection_url"},
           {{{"connection_url", url}, {"path", "/x"}}, "path"},
           {{{"connection_url", url}, {"ha_enabled", "yes"}}, "ha_enabled"},
           {{{"connection_url", url}, {"lock_ttl", "soon"}}, "lock_ttl"},
           {{{"connection_url", url}, {"lock_retry_interval", "0s"}}, "lock_retry_interval"},
           {{{"connection_url", url}, {"lock_ttl", "5s"}, {"lock_renew_interval", "5s"}},
            "lock_renew_interval"},
           {{{"connection_url", url}, {"max_parallel", "0"}}, "max_parallel"},
           {{{"connection_url", url}, {"table", "kv; DROP TABLE x"}}, "table"},
           {{{"connection_url", url}, {"ha_table", "a.b.c"}}, "ha_table"},
           {{{"connection_url", "host='unterminated"}}, "connection_url"},
       }) {
    auto opened = OpenPostgreSQLBackend(c.options);
    ASSERT_FALSE(opened.ok()) << c.named;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument) << c.named;
    EXPECT_NE(opened.status().message().find(c.named), std::string::npos)
        << opened.status().message();
  }
}

TEST(PostgreSQLOpenTest, UnreachableServerFailsOpenReadably) {
  auto opened = OpenPostgreSQLBackend(
      {{"connection_url", "postgresql://tresor:secret-pw@127.0.0.1:1/tresor?connect_timeout=2"}});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(opened.status().message().find("cannot connect"), std::string::npos)
      << opened.status().message();
  EXPECT_EQ(opened.status().message().find("secret-pw"), std::string::npos);
}

TEST(PostgreSQLOpenTest, WrongPasswordFailsOpenWithoutQuotingIt) {
  auto opened = OpenPostgreSQLBackend(
      {{"connection_url", PostgresForTest::Get().WithPassword("not-the-password")}});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(opened.status().message().find("password authentication failed"), std::string::npos)
      << opened.status().message();
  EXPECT_EQ(opened.status().message().find("not-the-password"), std::string::npos);
}

TEST(PostgreSQLOpenTest, RefusesATableWithAnotherSchema) {
  const std::string url = PostgresForTest::Get().FreshDatabaseUrl();
  auto sql = PgConnection::Connect(url);
  ASSERT_TRUE(sql.ok());
  ASSERT_TRUE((*sql)->Exec("CREATE TABLE vault_kv_store (path TEXT, key TEXT, data TEXT)").ok());
  auto opened = OpenPostgreSQLBackend({{"connection_url", url}});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("another schema"), std::string::npos)
      << opened.status().message();

  ASSERT_TRUE((*sql)->Exec("CREATE TABLE vault_ha_locks (ha_key TEXT PRIMARY KEY)").ok());
  auto ha = OpenPostgreSQLBackend(
      {{"connection_url", url}, {"table", "other_kv"}, {"ha_enabled", "true"}});
  ASSERT_FALSE(ha.ok());
  EXPECT_EQ(ha.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ha.status().message().find("vault_ha_locks"), std::string::npos)
      << ha.status().message();
}

TEST(PostgreSQLOpenTest, SkipCreateTableNeedsTheTable) {
  auto opened = OpenPostgreSQLBackend({{"connection_url", PostgresForTest::Get().FreshDatabaseUrl()},
                                       {"skip_create_table", "true"}});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace tresor::storage

#include "engines/secrets/kv/kv_engine_for_test.h"
#include "engines/secrets/kv/kv_v1_engine.h"

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using nlohmann::json;

class KvV1Test : public KvEngineTest {
 protected:
  void SetUp() override { MakeEngine("1"); }
};

TEST(KvFactoryTest, DefaultsToVersionOneAndRefusesUnknownVersions) {
  storage::InmemBackend storage;
  FakeClock clock;
  auto v1 = NewKvEngine(logical::EngineContext{storage, clock, {}});
  ASSERT_TRUE(v1.ok());
  EXPECT_NE(dynamic_cast<KvV1Engine*>(v1->get()), nullptr);

  auto bad = NewKvEngine(logical::EngineContext{storage, clock, {{"version", "3"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KvV1Test, FullCycle) {
  auto exists = engine_->Exists(Req(Operation::kUpdate, "app/db"));
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(*exists, std::optional<bool>(false));

  auto written = Ok(Operation::kCreate, "app/db", {{"user", "u"}, {"n", 3}});
  EXPECT_TRUE(written.data.is_null());  // 204
  Ok(Operation::kCreate, "app/cache", {{"k", "v"}});
  Ok(Operation::kCreate, "top", {{"k", "v"}});

  exists = engine_->Exists(Req(Operation::kUpdate, "app/db"));
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(*exists, std::optional<bool>(true));

  auto read = Ok(Operation::kRead, "app/db");
  EXPECT_EQ(read.data, json({{"user", "u"}, {"n", 3}}));
  EXPECT_EQ(read.lease_duration, kDefaultLeaseSeconds);

  EXPECT_EQ(Ok(Operation::kList, "").data, json({{"keys", {"app/", "top"}}}));
  EXPECT_EQ(Ok(Operation::kList, "app").data, json({{"keys", {"cache", "db"}}}));

  // A write replaces the whole secret.
  Ok(Operation::kUpdate, "app/db", {{"user", "v"}});
  EXPECT_EQ(Ok(Operation::kRead, "app/db").data, json({{"user", "v"}}));

  Ok(Operation::kDelete, "app/db");
  auto missing = Do(Operation::kRead, "app/db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status(), NotFoundError(""));

  Ok(Operation::kDelete, "app/cache");
  auto empty = Do(Operation::kList, "app");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status(), NotFoundError(""));
}

TEST_F(KvV1Test, TtlFieldSetsLeaseDuration) {
  Ok(Operation::kUpdate, "a", {{"ttl", "1h"}, {"x", 1}});
  EXPECT_EQ(Ok(Operation::kRead, "a").lease_duration, 3600);
  Ok(Operation::kUpdate, "b", {{"lease", 90}});
  EXPECT_EQ(Ok(Operation::kRead, "b").lease_duration, 90);
  Ok(Operation::kUpdate, "c", {{"ttl", "soon"}});
  EXPECT_EQ(Ok(Operation::kRead, "c").lease_duration, kDefaultLeaseSeconds);
}

TEST_F(KvV1Test, BadInputIsRefusedAndChangesNothing) {
  Ok(Operation::kUpdate, "keep", {{"k", "v"}});
  auto before = StorageSnapshot();
  struct Row {
    Operation op;
    std::string path;
    json body;
    StatusCode code;
    std::string message;
  };
  const Row rows[] = {
      {Operation::kUpdate, "x", nullptr, StatusCode::kInvalidArgument, "missing data fields"},
      {Operation::kUpdate, "x", json::object(), StatusCode::kInvalidArgument,
       "missing data fields"},
      {Operation::kUpdate, "x", json::array({1}), StatusCode::kInvalidArgument,
       "missing data fields"},
      {Operation::kUpdate, "", {{"k", "v"}}, StatusCode::kInvalidArgument, "missing path"},
      {Operation::kUpdate,
       "a/../b",
       {{"k", "v"}},
       StatusCode::kInvalidArgument,
       "invalid path: empty, '.' or '..' segment"},
      {Operation::kDelete, "a//b", nullptr, StatusCode::kInvalidArgument,
       "invalid path: empty, '.' or '..' segment"},
      {Operation::kPatch,
       "keep",
       {{"k", "w"}},
       StatusCode::kUnsupportedOperation,
       "unsupported operation"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.path + " " + row.body.dump());
    auto r = Do(row.op, row.path, row.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), row.code);
    EXPECT_EQ(r.status().message(), row.message);
  }
  EXPECT_EQ(StorageSnapshot(), before);
}

TEST_F(KvV1Test, StorageFailureIsReportedNotHidden) {
  Ok(Operation::kUpdate, "a", {{"k", "v"}});
  faulty_.SetFailReads(true);
  auto r = Do(Operation::kRead, "a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIOError);
  faulty_.ClearFaults();
  faulty_.SetFailWrites(true);
  auto w = Do(Operation::kUpdate, "a", {{"k", "w"}});
  ASSERT_FALSE(w.ok());
  faulty_.ClearFaults();
  EXPECT_EQ(Ok(Operation::kRead, "a").data, json({{"k", "v"}}));
}

}  // namespace
}  // namespace tresor::engines::kv

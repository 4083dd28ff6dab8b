#include "engines/secrets/cubbyhole/cubbyhole.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::cubbyhole {
namespace {

using logical::Operation;
using nlohmann::json;

// Stand-ins for core's hex HMACs of three tokens.
constexpr char kAlice[] = "a11ce0000000000000000000000000000000000000000000000000000000000a";
constexpr char kBob[] = "b0b0000000000000000000000000000000000000000000000000000000000000b";
constexpr char kRoot[] = "4007000000000000000000000000000000000000000000000000000000000004";

class CubbyholeTest : public testing::Test {
 protected:
  CubbyholeTest() : context_{faulty_, clock_, {}}, engine_(NewCubbyholeEngine(context_)) {}

  static logical::Request MakeRequest(Operation operation, std::string token_hash, std::string path,
                                      json data = nullptr) {
    logical::Request request;
    request.operation = operation;
    request.client_token_hash = std::move(token_hash);
    request.mount_point = "cubbyhole/";
    request.path = std::move(path);
    request.data = std::move(data);
    return request;
  }

  StatusOr<logical::Response> Write(const std::string& token, const std::string& path, json data) {
    return engine_->Handle(MakeRequest(Operation::kUpdate, token, path, std::move(data)));
  }
  StatusOr<logical::Response> Read(const std::string& token, const std::string& path) {
    return engine_->Handle(MakeRequest(Operation::kRead, token, path));
  }
  StatusOr<logical::Response> List(const std::string& token, const std::string& path) {
    logical::Request request = MakeRequest(Operation::kList, token, path);
    request.trailing_slash = !path.empty();
    return engine_->Handle(request);
  }
  StatusOr<logical::Response> Delete(const std::string& token, const std::string& path) {
    return engine_->Handle(MakeRequest(Operation::kDelete, token, path));
  }

  // Every key in the mount's storage, to prove what was and was not touched.
  std::vector<std::string> AllKeys() {
    auto keys = storage::ListRecursive(inmem_, "");
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  static void ExpectNotFoundWithEmptyMessage(const StatusOr<logical::Response>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(result.status().message(), "");
  }

  storage::InmemBackend inmem_;
  storage::FaultInjectingBackend faulty_{&inmem_};
  FakeClock clock_;
  logical::EngineContext context_;
  std::unique_ptr<logical::Engine> engine_;
};

TEST_F(CubbyholeTest, WriteReadOverwriteDelete) {
  auto written = Write(kAlice, "app/db", {{"password", "s3cret"}, {"port", 5432}});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_TRUE(written->data.is_null());  // 204, as Vault

  auto read = Read(kAlice, "app/db");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data, json({{"password", "s3cret"}, {"port", 5432}}));

  // A write replaces the whole object; nothing is merged.
  ASSERT_TRUE(Write(kAlice, "app/db", {{"token", "x"}}).ok());
  read = Read(kAlice, "app/db");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data, json({{"token", "x"}}));

  auto deleted = Delete(kAlice, "app/db");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ExpectNotFoundWithEmptyMessage(Read(kAlice, "app/db"));
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(CubbyholeTest, ReadOfMissingEntryIsEmptyNotFound) {
  ExpectNotFoundWithEmptyMessage(Read(kAlice, "nothing/here"));
}

TEST_F(CubbyholeTest, DeleteOfMissingEntryIsOk) {
  EXPECT_TRUE(Delete(kAlice, "never/written").ok());
}

TEST_F(CubbyholeTest, CreateIsAWriteToo) {
  ASSERT_TRUE(engine_->Handle(MakeRequest(Operation::kCreate, kAlice, "k", {{"a", 1}})).ok());
  auto read = Read(kAlice, "k");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data, json({{"a", 1}}));
}

TEST_F(CubbyholeTest, TokensWithTheSamePathAreIsolated) {
  ASSERT_TRUE(Write(kAlice, "shared/name", {{"owner", "alice"}}).ok());
  ASSERT_TRUE(Write(kBob, "shared/name", {{"owner", "bob"}}).ok());
  ASSERT_TRUE(Write(kRoot, "shared/name", {{"owner", "root"}}).ok());
  ASSERT_TRUE(Write(kAlice, "alice-only", {{"v", 1}}).ok());

  for (const auto& [token, owner] : std::vector<std::pair<std::string, std::string>>{
           {kAlice, "alice"}, {kBob, "bob"}, {kRoot, "root"}}) {
    auto read = Read(token, "shared/name");
    ASSERT_TRUE(read.ok()) << owner;
    EXPECT_EQ(read->data, json({{"owner", owner}}));
  }
  // Root is not special: it has its own cubbyhole and sees nobody else's.
  ExpectNotFoundWithEmptyMessage(Read(kBob, "alice-only"));
  ExpectNotFoundWithEmptyMessage(Read(kRoot, "alice-only"));

  auto bob_list = List(kBob, "");
  ASSERT_TRUE(bob_list.ok());
  EXPECT_EQ(bob_list->data, json({{"keys", {"shared/"}}}));

  // Deleting Bob's entry leaves Alice's with the same path alone.
  ASSERT_TRUE(Delete(kBob, "shared/name").ok());
  ExpectNotFoundWithEmptyMessage(Read(kBob, "shared/name"));
  auto alice_read = Read(kAlice, "shared/name");
  ASSERT_TRUE(alice_read.ok());
  EXPECT_EQ(alice_read->data, json({{"owner", "alice"}}));

  // Storage is keyed by the token hash, never by anything else.
  for (const std::string& key : AllKeys()) {
    EXPECT_TRUE(key.rfind(std::string(kAlice) + "/", 0) == 0 ||
                key.rfind(std::string(kRoot) + "/", 0) == 0)
        << key;
  }
}

TEST_F(CubbyholeTest, PathsCannotClimbIntoAnotherTokensFolder) {
  ASSERT_TRUE(Write(kBob, "secret", {{"owner", "bob"}}).ok());
  // Core refuses these paths before an engine sees them; the engine refuses
  // them again rather than trusting that.
  for (const std::string& path :
       {std::string("../") + kBob + "/secret", std::string("x/../../") + kBob + "/secret",
        std::string("./x"), std::string("a//b")}) {
    auto read = Read(kAlice, path);
    ASSERT_FALSE(read.ok()) << path;
    EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument) << path;
    auto write = Write(kAlice, path, {{"owner", "alice"}});
    EXPECT_EQ(write.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_EQ(Delete(kAlice, path).status().code(), StatusCode::kInvalidArgument) << path;
  }
  auto bob = Read(kBob, "secret");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->data, json({{"owner", "bob"}}));
}

TEST_F(CubbyholeTest, ListShowsEntriesAndFoldersInOrder) {
  ASSERT_TRUE(Write(kAlice, "b", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kAlice, "a", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kAlice, "dir/x", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kAlice, "dir/sub/y", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kBob, "bob-entry", {{"v", 1}}).ok());

  auto top = List(kAlice, "");
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_EQ(top->data, json({{"keys", {"a", "b", "dir/"}}}));

  auto dir = List(kAlice, "dir");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->data, json({{"keys", {"sub/", "x"}}}));

  // Without the trailing '/', the path is still listed as a folder.
  auto no_slash = engine_->Handle(MakeRequest(Operation::kList, kAlice, "dir/sub"));
  ASSERT_TRUE(no_slash.ok());
  EXPECT_EQ(no_slash->data, json({{"keys", {"y"}}}));
}

TEST_F(CubbyholeTest, EmptyListIsEmptyNotFound) {
  ExpectNotFoundWithEmptyMessage(List(kAlice, ""));
  ASSERT_TRUE(Write(kAlice, "leaf", {{"v", 1}}).ok());
  ExpectNotFoundWithEmptyMessage(List(kAlice, "leaf"));     // an entry, not a folder
  ExpectNotFoundWithEmptyMessage(List(kBob, ""));           // Alice's entry is not Bob's
  ExpectNotFoundWithEmptyMessage(List(kAlice, "missing"));  // no such folder
}

TEST_F(CubbyholeTest, DestroyRemovesOnlyThatTokensEntries) {
  ASSERT_TRUE(Write(kAlice, "one", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kAlice, "deep/nested/two", {{"v", 2}}).ok());
  ASSERT_TRUE(Write(kBob, "one", {{"v", "bob"}}).ok());
  ASSERT_TRUE(Write(kBob, "deep/nested/two", {{"v", "bob"}}).ok());

  ASSERT_TRUE(DestroyCubbyhole(faulty_, kAlice).ok());

  ExpectNotFoundWithEmptyMessage(Read(kAlice, "one"));
  ExpectNotFoundWithEmptyMessage(Read(kAlice, "deep/nested/two"));
  ExpectNotFoundWithEmptyMessage(List(kAlice, ""));
  EXPECT_EQ(AllKeys(), (std::vector<std::string>{std::string(kBob) + "/deep/nested/two",
                                                 std::string(kBob) + "/one"}));

  // Idempotent, and fine for a token that never used its cubbyhole.
  EXPECT_TRUE(DestroyCubbyhole(faulty_, kAlice).ok());
  EXPECT_TRUE(DestroyCubbyhole(faulty_, kRoot).ok());
  EXPECT_EQ(AllKeys().size(), 2u);
}

TEST_F(CubbyholeTest, DestroyDoesNotTouchATokenWhoseHashExtendsAnother) {
  // "ab" starts with "a": a prefix match without the '/' would take it too.
  ASSERT_TRUE(Write("a", "x", {{"v", 1}}).ok());
  ASSERT_TRUE(Write("ab", "x", {{"v", 2}}).ok());
  ASSERT_TRUE(DestroyCubbyhole(faulty_, "a").ok());
  EXPECT_EQ(AllKeys(), std::vector<std::string>{"ab/x"});
}

TEST_F(CubbyholeTest, DestroyOfManyEntriesSpansSeveralBatches) {
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(Write(kAlice, "k/" + std::to_string(i), {{"i", i}}).ok());
  }
  ASSERT_TRUE(Write(kBob, "keep", {{"v", 1}}).ok());
  faulty_.ResetCountsForTest();
  ASSERT_TRUE(DestroyCubbyhole(faulty_, kAlice).ok());
  EXPECT_EQ(faulty_.BatchCountForTest(), 3u);  // 256 + 256 + 88
  EXPECT_EQ(AllKeys(), std::vector<std::string>{std::string(kBob) + "/keep"});
}

TEST_F(CubbyholeTest, DestroyReportsStorageFailureAndARetryFinishes) {
  ASSERT_TRUE(Write(kAlice, "one", {{"v", 1}}).ok());
  ASSERT_TRUE(Write(kAlice, "two", {{"v", 2}}).ok());
  faulty_.SetFailWrites(true);
  Status failed = DestroyCubbyhole(faulty_, kAlice);
  EXPECT_EQ(failed.code(), StatusCode::kIOError);
  EXPECT_EQ(AllKeys().size(), 2u);
  faulty_.ClearFaults();
  EXPECT_TRUE(DestroyCubbyhole(faulty_, kAlice).ok());
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(CubbyholeTest, DestroyRefusesHashesThatCouldWidenIt) {
  ASSERT_TRUE(Write(kAlice, "one", {{"v", 1}}).ok());
  for (const std::string& bad : {std::string(""), std::string("a/b"), std::string(".."),
                                 std::string("."), std::string("/"), std::string("x\0y", 3)}) {
    EXPECT_EQ(DestroyCubbyhole(faulty_, bad).code(), StatusCode::kInvalidArgument)
        << testing::PrintToString(bad);
  }
  EXPECT_EQ(AllKeys().size(), 1u);
}

TEST_F(CubbyholeTest, EmptyTokenHashIsPermissionDenied) {
  ASSERT_TRUE(Write(kAlice, "x", {{"v", 1}}).ok());
  for (Operation op : {Operation::kRead, Operation::kList, Operation::kCreate, Operation::kUpdate,
                       Operation::kDelete, Operation::kPatch}) {
    auto result = engine_->Handle(MakeRequest(op, "", "x", {{"v", 2}}));
    ASSERT_FALSE(result.ok()) << logical::OperationName(op);
    EXPECT_EQ(result.status().code(), StatusCode::kPermissionDenied) << logical::OperationName(op);
  }
  auto exists = engine_->Exists(MakeRequest(Operation::kCreate, "", "x"));
  EXPECT_EQ(exists.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(AllKeys(), std::vector<std::string>{std::string(kAlice) + "/x"});
}

TEST_F(CubbyholeTest, MalformedTokenHashIsRefused) {
  for (const std::string& bad : {std::string("a/b"), std::string(".."), std::string(".")}) {
    auto result = Write(bad, "x", {{"v", 1}});
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), StatusCode::kInternal) << bad;
  }
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(CubbyholeTest, WriteRefusesBadBodiesAndChangesNothing) {
  ASSERT_TRUE(Write(kAlice, "x", {{"keep", true}}).ok());
  const std::vector<json> bad_bodies = {nullptr,  json::array({1, 2}), json("string"),
                                        json(42), json(true),          json::object()};
  for (const json& body : bad_bodies) {
    auto result = Write(kAlice, "x", body);
    ASSERT_FALSE(result.ok()) << body.dump();
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << body.dump();
  }
  EXPECT_EQ(Write(kAlice, "x", json::object()).status().message(), "missing data fields");
  auto read = Read(kAlice, "x");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data, json({{"keep", true}}));
}

TEST_F(CubbyholeTest, WriteRefusesBodyThatIsNotUtf8) {
  json body = {{"k", std::string("\xFF\xFE")}};
  auto result = Write(kAlice, "x", body);
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(CubbyholeTest, EmptyPathIsRefusedForReadWriteDelete) {
  for (Operation op : {Operation::kRead, Operation::kUpdate, Operation::kDelete}) {
    auto result = engine_->Handle(MakeRequest(op, kAlice, "", {{"v", 1}}));
    ASSERT_FALSE(result.ok()) << logical::OperationName(op);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(result.status().message(), "missing path");
  }
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(CubbyholeTest, TrailingSlashNamesAFolderNotAnEntry) {
  ASSERT_TRUE(Write(kAlice, "dir", {{"v", 1}}).ok());
  logical::Request read = MakeRequest(Operation::kRead, kAlice, "dir");
  read.trailing_slash = true;
  ExpectNotFoundWithEmptyMessage(engine_->Handle(read));

  logical::Request write = MakeRequest(Operation::kUpdate, kAlice, "dir", {{"v", 2}});
  write.trailing_slash = true;
  EXPECT_EQ(engine_->Handle(write).status().code(), StatusCode::kInvalidArgument);

  logical::Request del = MakeRequest(Operation::kDelete, kAlice, "dir");
  del.trailing_slash = true;
  EXPECT_TRUE(engine_->Handle(del).ok());

  auto still_there = Read(kAlice, "dir");
  ASSERT_TRUE(still_there.ok());
  EXPECT_EQ(still_there->data, json({{"v", 1}}));
}

TEST_F(CubbyholeTest, PatchIsUnsupported) {
  ASSERT_TRUE(Write(kAlice, "x", {{"v", 1}}).ok());
  auto result = engine_->Handle(MakeRequest(Operation::kPatch, kAlice, "x", {{"v", 2}}));
  EXPECT_EQ(result.status().code(), StatusCode::kUnsupportedOperation);
}

TEST_F(CubbyholeTest, ExistsReflectsTheTokensOwnEntries) {
  auto before = engine_->Exists(MakeRequest(Operation::kCreate, kAlice, "x"));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, std::optional<bool>(false));
  ASSERT_TRUE(Write(kAlice, "x", {{"v", 1}}).ok());
  auto after = engine_->Exists(MakeRequest(Operation::kUpdate, kAlice, "x"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, std::optional<bool>(true));
  auto other = engine_->Exists(MakeRequest(Operation::kCreate, kBob, "x"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::optional<bool>(false));
}

TEST_F(CubbyholeTest, CorruptEntryIsReportedWithoutQuotingIt) {
  ASSERT_TRUE(inmem_.Put(std::string(kAlice) + "/bad", "not json: hunter2").ok());
  ASSERT_TRUE(inmem_.Put(std::string(kAlice) + "/array", "[\"hunter2\"]").ok());
  for (const std::string path : {"bad", "array"}) {
    auto result = Read(kAlice, path);
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(result.status().message().find("hunter2"), std::string::npos);
  }
}

TEST_F(CubbyholeTest, StorageErrorsArePassedOn) {
  ASSERT_TRUE(Write(kAlice, "x", {{"v", 1}}).ok());
  faulty_.SetFailReads(true);
  EXPECT_EQ(Read(kAlice, "x").status().code(), StatusCode::kIOError);
  EXPECT_EQ(List(kAlice, "").status().code(), StatusCode::kIOError);
  faulty_.ClearFaults();
  faulty_.SetFailWrites(true);
  EXPECT_EQ(Write(kAlice, "x", {{"v", 2}}).status().code(), StatusCode::kIOError);
  EXPECT_EQ(Delete(kAlice, "x").status().code(), StatusCode::kIOError);
  faulty_.ClearFaults();
  auto read = Read(kAlice, "x");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data, json({{"v", 1}}));
}

}  // namespace
}  // namespace tresor::engines::cubbyhole

#include "core/core.h"

#include <gtest/gtest.h>

#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

class CoreTest : public ::testing::Test {
 protected:
  StatusOr<Response> Call(Operation op, std::string path, nlohmann::json data = nullptr,
                          std::string token = "",
                          std::map<std::string, std::string> query = {}) {
    Request r;
    r.operation = op;
    r.path = std::move(path);
    r.data = std::move(data);
    r.client_token = std::move(token);
    r.query = std::move(query);
    return core_.Handle(r);
  }
  std::string InitAndUnseal() {
    auto init = Call(Operation::kUpdate, "sys/init", {{"secret_shares", 1}, {"secret_threshold", 1}});
    EXPECT_TRUE(init.ok()) << init.status().ToString();
    auto unseal = Call(Operation::kUpdate, "sys/unseal", {{"key", init->data["keys_base64"][0]}});
    EXPECT_TRUE(unseal.ok()) << unseal.status().ToString();
    EXPECT_FALSE(unseal->data["sealed"].get<bool>());
    return init->data["root_token"];
  }

  storage::InmemBackend physical_;
  FakeClock clock_;
  Core core_{physical_, clock_, CoreOptions{.storage_type = "inmem", .cluster_name = ""}};
};

TEST_F(CoreTest, SealedServerAnswersOnlyUnauthenticatedSysPaths) {
  EXPECT_EQ(Call(Operation::kRead, "sys/key-status").status().code(), StatusCode::kSealed);
  EXPECT_EQ(Call(Operation::kRead, "secret/data/x").status().code(), StatusCode::kSealed);
  EXPECT_TRUE(Call(Operation::kRead, "sys/seal-status").ok());
  EXPECT_TRUE(Call(Operation::kRead, "sys/init").ok());
  EXPECT_TRUE(Call(Operation::kRead, "sys/leader").ok());
}

TEST_F(CoreTest, HealthCodesFollowStateAndQueryParameters) {
  EXPECT_EQ(Call(Operation::kRead, "sys/health")->http_status, 501);
  EXPECT_EQ(Call(Operation::kRead, "sys/health", nullptr, "", {{"uninitcode", "299"}})->http_status,
            299);
  auto init = Call(Operation::kUpdate, "sys/init", {{"secret_shares", 1}, {"secret_threshold", 1}});
  EXPECT_EQ(Call(Operation::kRead, "sys/health")->http_status, 503);
  EXPECT_EQ(Call(Operation::kRead, "sys/health", nullptr, "", {{"sealedcode", "200"}})->http_status,
            200);
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/unseal", {{"key", init->data["keys"][0]}}).ok());
  auto active = Call(Operation::kRead, "sys/health");
  EXPECT_EQ(active->http_status, 200);
  EXPECT_FALSE(active->data["sealed"].get<bool>());
  EXPECT_EQ(active->data["server_time_utc"].get<long long>(),
            std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch())
                .count());
  EXPECT_EQ(Call(Operation::kRead, "sys/health", nullptr, "", {{"activecode", "204"}})->http_status,
            204);
  for (auto bad : std::vector<std::map<std::string, std::string>>{
           {{"activecode", "abc"}}, {{"sealedcode", "99"}}, {{"standbyok", "maybe"}}}) {
    EXPECT_EQ(Call(Operation::kRead, "sys/health", nullptr, "", bad).status().code(),
              StatusCode::kInvalidArgument);
  }
}

TEST_F(CoreTest, AuthenticatedPathsNeedAValidRootToken) {
  std::string root = InitAndUnseal();
  EXPECT_EQ(Call(Operation::kRead, "sys/key-status").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Call(Operation::kRead, "sys/key-status", nullptr, "hvs.wrong").status().code(),
            StatusCode::kPermissionDenied);
  auto status = Call(Operation::kRead, "sys/key-status", nullptr, root);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->data["term"], 1);
  EXPECT_EQ(status->shape, Response::Shape::kEnvelopeWithTopLevelData);
}

TEST_F(CoreTest, RotateThenKeyStatusShowsNewTerm) {
  std::string root = InitAndUnseal();
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/rotate", nullptr, root).ok());
  EXPECT_EQ(Call(Operation::kRead, "sys/key-status", nullptr, root)->data["term"], 2);
}

TEST_F(CoreTest, UnknownPathAndWrongOperation) {
  std::string root = InitAndUnseal();
  EXPECT_EQ(Call(Operation::kRead, "nope/x", nullptr, root).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Call(Operation::kRead, "sys/seal", nullptr, root).status().code(),
            StatusCode::kUnsupportedOperation);
  EXPECT_EQ(Call(Operation::kDelete, "sys/unseal").status().code(),
            StatusCode::kUnsupportedOperation);
}

TEST_F(CoreTest, InitBadInputIsRefusedAndChangesNothing) {
  std::vector<nlohmann::json> bad = {
      nullptr,
      nlohmann::json::object(),
      {{"secret_shares", "5"}, {"secret_threshold", 3}},
      {{"secret_shares", 5}, {"secret_threshold", 3.5}},
      {{"secret_shares", 5}},
      {{"secret_shares", 3}, {"secret_threshold", 4}},
      {{"secret_shares", 300}, {"secret_threshold", 3}},
      {{"secret_shares", -1}, {"secret_threshold", -1}},
      {{"secret_shares", 5}, {"secret_threshold", 3}, {"pgp_keys", {"abc"}}},
      {{"secret_shares", 5}, {"secret_threshold", 3}, {"stored_shares", 1}},
  };
  for (const auto& body : bad) {
    auto r = Call(Operation::kUpdate, "sys/init", body);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body.dump();
    EXPECT_FALSE(r.status().message().empty());
  }
  EXPECT_FALSE(Call(Operation::kRead, "sys/init")->data["initialized"].get<bool>());
}

TEST_F(CoreTest, UnsealBadInput) {
  auto init = Call(Operation::kUpdate, "sys/init", {{"secret_shares", 3}, {"secret_threshold", 2}});
  ASSERT_TRUE(Call(Operation::kUpdate, "sys/unseal", {{"key", init->data["keys"][0]}}).ok());
  std::vector<nlohmann::json> bad = {
      nullptr, nlohmann::json::object(), {{"key", 42}}, {{"key", "not hex or base64!"}},
      {{"key", "abcd"}}, {{"reset", "yes"}}, {{"key", ""}},
  };
  for (const auto& body : bad) {
    EXPECT_EQ(Call(Operation::kUpdate, "sys/unseal", body).status().code(),
              StatusCode::kInvalidArgument)
        << body.dump();
  }
  // Bad input did not disturb the progress made so far.
  EXPECT_EQ(Call(Operation::kRead, "sys/seal-status")->data["progress"], 1);
  auto reset = Call(Operation::kUpdate, "sys/unseal", {{"reset", true}});
  EXPECT_EQ(reset->data["progress"], 0);
}

}  // namespace
}  // namespace tresor::core

// Secret IDs: issuing (generated and custom), limits against the role,
// listing, lookup and destroy by value and by accessor, storage that never
// holds a secret ID, and tidy.
#include "engines/auth/approle/approle_engine_for_test.h"

namespace tresor::engines::approle {
namespace {

using logical::Operation;
using nlohmann::json;
using std::chrono::seconds;

class AppRoleSecretIdTest : public AppRoleTestBase {};

TEST_F(AppRoleSecretIdTest, IssueLookupAndDestroy) {
  MustCreateRole("app", {{"secret_id_ttl", "1h"}, {"secret_id_num_uses", 5}});
  json issued = MustIssueSecretId(
      "app", {{"metadata", R"({"env": "prod", "team": "a"})"}, {"cidr_list", "127.0.0.0/8"}});
  const std::string secret_id = issued["secret_id"];
  const std::string accessor = issued["secret_id_accessor"];
  EXPECT_EQ(secret_id.size(), 36u);  // a UUID
  EXPECT_EQ(accessor.size(), 36u);
  EXPECT_EQ(issued["secret_id_ttl"], 3600);
  EXPECT_EQ(issued["secret_id_num_uses"], 5);

  auto lookup = Post("role/app/secret-id/lookup", {{"secret_id", secret_id}});
  ASSERT_TRUE(lookup.ok()) << lookup.status().ToString();
  EXPECT_EQ(lookup->data["secret_id_accessor"], accessor);
  EXPECT_EQ(lookup->data["metadata"], json({{"env", "prod"}, {"team", "a"}}));
  EXPECT_EQ(lookup->data["cidr_list"], json({"127.0.0.0/8"}));
  EXPECT_EQ(lookup->data["token_bound_cidrs"], json::array());
  EXPECT_EQ(lookup->data["creation_time"], "2026-01-01T00:00:00.000000000Z");
  EXPECT_EQ(lookup->data["expiration_time"], "2026-01-01T01:00:00.000000000Z");
  EXPECT_FALSE(lookup->data.contains("secret_id"));
  auto by_accessor = Post("role/app/secret-id-accessor/lookup", {{"secret_id_accessor", accessor}});
  ASSERT_TRUE(by_accessor.ok());
  EXPECT_EQ(by_accessor->data, lookup->data);

  auto list = Call(Operation::kList, "role/app/secret-id");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], json({accessor}));

  ASSERT_TRUE(Post("role/app/secret-id/destroy", {{"secret_id", secret_id}}).ok());
  auto gone = Post("role/app/secret-id/lookup", {{"secret_id", secret_id}});
  ASSERT_TRUE(gone.ok());  // as Vault: an unknown secret ID looks up to nothing (204)
  EXPECT_TRUE(gone->data.is_null());
  EXPECT_EQ(Call(Operation::kList, "role/app/secret-id").status().code(), StatusCode::kNotFound);
  auto no_accessor = Post("role/app/secret-id-accessor/lookup", {{"secret_id_accessor", accessor}});
  ASSERT_FALSE(no_accessor.ok());
  EXPECT_EQ(no_accessor.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_accessor.status().message(),
            "failed to find accessor entry for secret_id_accessor: \"" + accessor + "\"");
}

TEST_F(AppRoleSecretIdTest, DestroyByAccessorAndWithDelete) {
  MustCreateRole("app");
  json one = MustIssueSecretId("app");
  json two = MustIssueSecretId("app");
  ASSERT_TRUE(Call(Operation::kDelete, "role/app/secret-id-accessor/destroy",
                   {{"secret_id_accessor", one["secret_id_accessor"]}})
                  .ok());
  ASSERT_TRUE(
      Call(Operation::kDelete, "role/app/secret-id/destroy", {{"secret_id", two["secret_id"]}})
          .ok());
  EXPECT_EQ(Call(Operation::kList, "role/app/secret-id").status().code(), StatusCode::kNotFound);
  // Only the role's own accessors are found through it.
  MustCreateRole("other");
  json theirs = MustIssueSecretId("other");
  EXPECT_EQ(Post("role/app/secret-id-accessor/destroy",
                 {{"secret_id_accessor", theirs["secret_id_accessor"]}})
                .status()
                .code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(
      Post("role/app/secret-id/lookup", {{"secret_id", theirs["secret_id"]}})->data.is_null());
}

TEST_F(AppRoleSecretIdTest, CustomSecretIdsAndTheirLimits) {
  MustCreateRole("c", {{"secret_id_num_uses", 3}, {"secret_id_ttl", 600}});
  auto custom = Post("role/c/custom-secret-id",
                     {{"secret_id", "my-own-secret"}, {"num_uses", 2}, {"ttl", "5m"}});
  ASSERT_TRUE(custom.ok()) << custom.status().ToString();
  EXPECT_EQ(custom->data["secret_id"], "my-own-secret");
  EXPECT_EQ(custom->data["secret_id_num_uses"], 2);
  EXPECT_EQ(custom->data["secret_id_ttl"], 300);
  auto again = Post("role/c/custom-secret-id", {{"secret_id", "my-own-secret"}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "secret_id is already registered");

  struct Case {
    json body;
    const char* message;
  };
  const Case cases[] = {
      {{{"num_uses", 4}}, "num_uses cannot be higher than the role's secret_id_num_uses"},
      {{{"num_uses", 0}}, "num_uses cannot be higher than the role's secret_id_num_uses"},
      {{{"num_uses", -1}}, "num_uses cannot be negative"},
      {{{"ttl", "11m"}}, "ttl cannot be longer than the role's secret_id_ttl"},
      {{{"ttl", 0}}, "ttl cannot be longer than the role's secret_id_ttl"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.dump());
    auto refused = Post("role/c/secret-id", c.body);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.status().message(), c.message);
  }
  auto missing = Post("role/c/custom-secret-id", json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "missing secret_id");
}

TEST_F(AppRoleSecretIdTest, CidrsMustLieWithinTheRolesAndTtlIsCappedByTheMount) {
  MustCreateRole("n",
                 {{"secret_id_bound_cidrs", "10.0.0.0/8"}, {"token_bound_cidrs", "10.0.0.0/8"}});
  EXPECT_TRUE(
      Post("role/n/secret-id", {{"cidr_list", "10.1.0.0/16"}, {"token_bound_cidrs", {"10.2.3.4"}}})
          .ok());
  auto outside = Post("role/n/secret-id", {{"cidr_list", "192.168.0.0/16"}});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().message(),
            "cidr_list: every CIDR block must lie within the role's secret_id_bound_cidrs");
  auto token_outside = Post("role/n/secret-id", {{"token_bound_cidrs", "10.0.0.0/7"}});
  ASSERT_FALSE(token_outside.ok());
  EXPECT_NE(token_outside.status().message().find("token_bound_cidrs: every CIDR block"),
            std::string::npos);

  mount_max_ttl_ = seconds(120);
  json capped = MustIssueSecretId("n", {{"ttl", "1h"}});
  EXPECT_EQ(capped["secret_id_ttl"], 120);
}

TEST_F(AppRoleSecretIdTest, MetadataForms) {
  MustCreateRole("m");
  for (auto [given, expected] : {std::pair{json("a=1,b=two"), json({{"a", "1"}, {"b", "two"}})},
                                 {json({{"k", "v"}}), json({{"k", "v"}})},
                                 {json(""), json::object()},
                                 {json(nullptr), json::object()}}) {
    SCOPED_TRACE(given.dump());
    json issued = MustIssueSecretId("m", {{"metadata", given}});
    auto lookup = Post("role/m/secret-id/lookup", {{"secret_id", issued["secret_id"]}});
    ASSERT_TRUE(lookup.ok());
    EXPECT_EQ(lookup->data["metadata"], expected);
  }
  for (const json& bad : {json(R"({"n": 1})"), json("novalue"), json(5), json(R"({broken)")}) {
    SCOPED_TRACE(bad.dump());
    auto refused = Post("role/m/secret-id", {{"metadata", bad}});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("metadata: expected a JSON object"),
              std::string::npos);
  }
}

TEST_F(AppRoleSecretIdTest, RoleWithoutBindSecretIdIssuesNone) {
  MustCreateRole("open", {{"bind_secret_id", false}, {"secret_id_bound_cidrs", "127.0.0.1"}});
  auto refused = Post("role/open/secret-id");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "bind_secret_id is not set on the role");
  auto no_role = Post("role/ghost/secret-id");
  EXPECT_EQ(no_role.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_role.status().message(), "role \"ghost\" does not exist");
}

TEST_F(AppRoleSecretIdTest, StorageHoldsNoSecretIdNorRoleIdAsAKey) {
  std::string role_id = MustCreateRole("s");
  auto custom = Post("role/s/custom-secret-id", {{"secret_id", "Zq7-very-distinct-secret"}});
  ASSERT_TRUE(custom.ok());
  json generated = MustIssueSecretId("s");
  const std::string dump = Dump();
  EXPECT_EQ(dump.find("Zq7-very-distinct-secret"), std::string::npos);
  EXPECT_EQ(dump.find(generated["secret_id"].get<std::string>()), std::string::npos);
  for (const std::string& key : AllKeys()) {
    EXPECT_EQ(key.find(role_id), std::string::npos) << key;
    EXPECT_EQ(key.find(generated["secret_id_accessor"].get<std::string>()), std::string::npos);
  }
  auto salt = base_.Get("salt");
  ASSERT_TRUE(salt.ok() && salt->has_value());
  EXPECT_EQ((*salt)->size(), 32u);
}

TEST_F(AppRoleSecretIdTest, DeletingARoleDeletesItsSecretIds) {
  MustCreateRole("d");
  json issued = MustIssueSecretId("d");
  for (int i = 0; i < 3; ++i) MustIssueSecretId("d");
  ASSERT_TRUE(Call(Operation::kDelete, "role/d").ok());
  for (const std::string& key : AllKeys()) EXPECT_EQ(key, "salt");
  // A new role of the same name does not inherit them.
  MustCreateRole("d");
  EXPECT_TRUE(
      Post("role/d/secret-id/lookup", {{"secret_id", issued["secret_id"]}})->data.is_null());
}

TEST_F(AppRoleSecretIdTest, TidyRemovesExpiredAndDanglingEntries) {
  MustCreateRole("t");
  json short_lived = MustIssueSecretId("t", {{"ttl", 60}});
  json lasting = MustIssueSecretId("t");
  json orphan = MustIssueSecretId("t");
  // A crash between writes could leave an entry without its accessor, and
  // an accessor without its entry: make one of each by hand.
  for (const std::string& key : AllKeys()) {
    if (!key.starts_with("accessor/")) continue;
    json target = json::parse(**base_.Get(key));
    auto entry = base_.Get("secret_id/t/" + target["secret_id_hmac"].get<std::string>());
    ASSERT_TRUE(entry.ok() && entry->has_value());
    if (json::parse(**entry)["secret_id_accessor"] == orphan["secret_id_accessor"]) {
      ASSERT_TRUE(base_.Delete(key).ok());
    }
  }
  ASSERT_TRUE(base_.Put("accessor/dangling", R"({"role_name": "t", "secret_id_hmac": "ff"})").ok());
  clock_.Advance(seconds(61));

  auto tidy = Post("tidy/secret-id");
  ASSERT_TRUE(tidy.ok()) << tidy.status().ToString();
  EXPECT_EQ(tidy->http_status, 202);
  auto keys = Call(Operation::kList, "role/t/secret-id");
  ASSERT_TRUE(keys.ok());
  // The expired one and the one without an accessor are gone.
  EXPECT_EQ(keys->data["keys"], json({lasting["secret_id_accessor"]}));
  for (const std::string& key : AllKeys()) EXPECT_NE(key, "accessor/dangling");
  EXPECT_TRUE(
      Post("role/t/secret-id/lookup", {{"secret_id", short_lived["secret_id"]}})->data.is_null());
  EXPECT_FALSE(
      Post("role/t/secret-id/lookup", {{"secret_id", lasting["secret_id"]}})->data.is_null());
}

}  // namespace
}  // namespace tresor::engines::approle

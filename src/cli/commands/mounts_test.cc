// secrets enable / disable / list / tune / move, auth enable / disable / list.
#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using MountsTest = CommandTest;

const char kMounts[] =
    R"({"request_id":"r","data":{)"
    R"("secret/":{"type":"kv","accessor":"kv_1","description":"key/value secret storage",)"
    R"("config":{"default_lease_ttl":0,"max_lease_ttl":0},"local":false,"seal_wrap":false,)"
    R"("options":{"version":"2"},"uuid":"u1"},)"
    R"("cubbyhole/":{"type":"cubbyhole","accessor":"cubbyhole_2","description":"per-token private secret storage",)"
    R"("config":{"default_lease_ttl":3600,"max_lease_ttl":0},"local":true,"seal_wrap":false,)"
    R"("options":null,"uuid":"u2"}}})";

TEST_F(MountsTest, SecretsEnableBody) {
  FakeServerForTest server(
      2, Routes({{"POST /v1/sys/mounts/kv1/", {204, ""}}, {"POST /v1/sys/mounts/kv/", {204, ""}}}));
  EXPECT_EQ(RunAt(server,
                  {"secrets", "enable", "-path=kv1", "-description=old style", "-version=1",
                   "-default-lease-ttl=1h", "-max-lease-ttl=2h", "-options=x=y", "kv"},
                  2),
            0)
      << err();
  EXPECT_EQ(out(), "Success! Enabled the kv secrets engine at: kv1/\n");
  EXPECT_EQ(RunAt(server, {"secrets", "enable", "kv"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Enabled the kv secrets engine at: kv/\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body),
            Json::parse(R"({"type":"kv","description":"old style",)"
                        R"("config":{"default_lease_ttl":"1h","max_lease_ttl":"2h"},)"
                        R"("options":{"x":"y","version":"1"}})"));
  EXPECT_EQ(Json::parse(requests[1].body), Json::parse(R"({"type":"kv"})"));
}

TEST_F(MountsTest, SecretsEnableErrors) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["path is already in use at secret/"]})"};
  });
  EXPECT_EQ(RunAt(server, {"secrets", "enable", "-path=secret", "kv"}, 2), 2);
  EXPECT_NE(err().find("Error enabling: Error making API request."), std::string::npos);
  EXPECT_EQ(Run({"secrets", "enable", kNoServer}), 2);
  EXPECT_EQ(Run({"secrets", "enable", "-options=bad", kNoServer, "kv"}), 2);
  EXPECT_EQ(err(), "-options: format must be key=value\n");
}

TEST_F(MountsTest, SecretsListTableDetailedAndJson) {
  FakeServerForTest server(3, Routes({{"GET /v1/sys/mounts", {200, kMounts}}}));
  EXPECT_EQ(RunAt(server, {"secrets", "list"}, 2), 0) << err();
  EXPECT_EQ(out(),
            "Path          Type         Accessor       Description\n"
            "----          ----         --------       -----------\n"
            "cubbyhole/    cubbyhole    cubbyhole_2    per-token private secret storage\n"
            "secret/       kv           kv_1           key/value secret storage\n");
  EXPECT_EQ(RunAt(server, {"secrets", "list", "-detailed"}, 2), 0) << err();
  EXPECT_NE(out().find("cubbyhole/    cubbyhole    cubbyhole_2    1h             system     local"),
            std::string::npos)
      << out();
  EXPECT_NE(out().find("map[version:2]"), std::string::npos);
  EXPECT_EQ(RunAt(server, {"secrets", "list", "-format=json"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kMounts)["data"]);
}

TEST_F(MountsTest, SecretsDisableTuneMove) {
  FakeServerForTest server(
      4, Routes({{"DELETE /v1/sys/mounts/kv1/", {204, ""}},
                 {"POST /v1/sys/mounts/kv1/tune", {204, ""}},
                 {"POST /v1/sys/remount", {200, R"({"data":{"migration_id":"m-1"}})"}}}));
  EXPECT_EQ(RunAt(server, {"secrets", "disable", "kv1"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Disabled the secrets engine (if it existed) at: kv1/\n");
  EXPECT_EQ(RunAt(server,
                  {"secrets", "tune", "-default-lease-ttl=72h", "-description=d",
                   "-options=version=2", "kv1/"},
                  2),
            0)
      << err();
  EXPECT_EQ(out(), "Success! Tuned the secrets engine at: kv1/\n");
  EXPECT_EQ(RunAt(server, {"secrets", "move", "kv1", "kv2/"}, 2), 0) << err();
  EXPECT_EQ(out(), "Started moving secrets engine kv1/ to kv2/, with migration ID m-1\n");
  EXPECT_EQ(RunAt(server, {"secrets", "disable", "nope"}, 2), 2);
  EXPECT_NE(err().find("Error disabling secrets engine at nope/: "), std::string::npos);
  const auto& requests = server.requests();
  EXPECT_EQ(
      Json::parse(requests[1].body),
      Json::parse(R"({"description":"d","default_lease_ttl":"72h","options":{"version":"2"}})"));
  EXPECT_EQ(Json::parse(requests[2].body), Json::parse(R"({"from":"kv1/","to":"kv2/"})"));
}

TEST_F(MountsTest, SecretsMoveWithoutMigrationId) {
  FakeServerForTest server(1, Routes({{"POST /v1/sys/remount", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"secrets", "move", "a", "b"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Moved secrets engine a/ to: b/\n");
  EXPECT_EQ(Run({"secrets", "move", kNoServer, "a"}), 2);
}

TEST_F(MountsTest, AuthEnableDisableList) {
  const char auths[] =
      R"({"data":{"token/":{"type":"token","accessor":"auth_token_1",)"
      R"("description":"token based credentials","config":{"default_lease_ttl":0,)"
      R"("max_lease_ttl":0,"token_type":"default-service"},"local":false,"uuid":"u"}}})";
  FakeServerForTest server(4, Routes({{"POST /v1/sys/auth/users/", {204, ""}},
                                      {"DELETE /v1/sys/auth/users/", {204, ""}},
                                      {"GET /v1/sys/auth", {200, auths}}}));
  EXPECT_EQ(RunAt(server, {"auth", "enable", "-path=users", "-description=people", "userpass"}, 2),
            0)
      << err();
  EXPECT_EQ(out(), "Success! Enabled userpass auth method at: users/\n");
  EXPECT_EQ(RunAt(server, {"auth", "disable", "users"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Disabled the auth method (if it existed) at: users/\n");
  EXPECT_EQ(RunAt(server, {"auth", "list"}, 2), 0) << err();
  EXPECT_EQ(out(),
            "Path      Type     Accessor        Description                Version\n"
            "----      ----     --------        -----------                -------\n"
            "token/    token    auth_token_1    token based credentials    n/a\n");
  EXPECT_EQ(RunAt(server, {"auth", "list", "-detailed"}, 2), 0) << err();
  EXPECT_NE(out().find("default-service"), std::string::npos) << out();
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body),
            Json::parse(R"({"type":"userpass","description":"people"})"));
}

TEST_F(MountsTest, AuthEnableApiError) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["unknown auth method type"]})"};
  });
  EXPECT_EQ(RunAt(server, {"auth", "enable", "nope"}, 2), 2);
  EXPECT_NE(err().find("Error enabling nope auth: Error making API request."), std::string::npos);
}

}  // namespace
}  // namespace tresor::cli

// token create / lookup / renew / revoke / capabilities.
#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using TokenTest = CommandTest;

const char kCreated[] =
    R"({"request_id":"r","lease_id":"","renewable":false,"lease_duration":0,"data":null,)"
    R"("auth":{"client_token":"hvs.new","accessor":"acc1","policies":["default","p1"],)"
    R"("token_policies":["default","p1"],"metadata":{"team":"ops"},"lease_duration":3600,)"
    R"("renewable":true}})";

TEST_F(TokenTest, CreateBodyAndTable) {
  FakeServerForTest server(1, Routes({{"POST /v1/auth/token/create", {200, kCreated}}}));
  EXPECT_EQ(RunAt(server,
                  {"token", "create", "-policy=p1", "-policy", "p2,p3", "-ttl=1h",
                   "-explicit-max-ttl=2h", "-period=30m", "-renewable=false", "-use-limit=3",
                   "-display-name=ci", "-metadata=team=ops", "-id=custom"},
                  2),
            0)
      << err();
  EXPECT_EQ(out(),
            "Key                  Value\n"
            "---                  -----\n"
            "token                hvs.new\n"
            "token_accessor       acc1\n"
            "token_duration       1h\n"
            "token_renewable      true\n"
            "token_policies       [\"default\" \"p1\"]\n"
            "identity_policies    []\n"
            "policies             [\"default\" \"p1\"]\n"
            "token_meta_team      ops\n");
  EXPECT_EQ(Json::parse(server.requests()[0].body),
            Json::parse(R"({"id":"custom","policies":["p1","p2","p3"],"meta":{"team":"ops"},)"
                        R"("ttl":"1h","explicit_max_ttl":"2h","period":"30m",)"
                        R"("display_name":"ci","num_uses":3,"renewable":false})"));
}

TEST_F(TokenTest, CreateOrphanFieldAndJson) {
  FakeServerForTest server(2, Routes({{"POST /v1/auth/token/create-orphan", {200, kCreated}}}));
  EXPECT_EQ(RunAt(server, {"token", "create", "-orphan", "-field=token"}, 2), 0) << err();
  EXPECT_EQ(out(), "hvs.new\n");
  EXPECT_EQ(RunAt(server, {"token", "create", "-orphan", "-format=json"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kCreated));
  EXPECT_EQ(Json::parse(server.requests()[0].body),
            Json::parse(R"({"display_name":"","num_uses":0,"renewable":true})"));
}

TEST_F(TokenTest, CreateErrorsAndUsage) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["child policies must be subset of parent"]})"};
  });
  EXPECT_EQ(RunAt(server, {"token", "create", "-policy=admin"}, 2), 2);
  EXPECT_NE(err().find("Error creating token: Error making API request."), std::string::npos);
  EXPECT_NE(err().find("* child policies must be subset of parent"), std::string::npos);
  EXPECT_EQ(Run({"token", "create", kNoServer, "extra"}), 2);
  EXPECT_EQ(Run({"token", "create", "-ttl=soon", kNoServer}), 2);
  EXPECT_EQ(Run({"token", "create", "-metadata=novalue", kNoServer}), 1);
  EXPECT_EQ(err(), "Failed to parse -metadata: format must be key=value\n");
}

TEST_F(TokenTest, LookupSelfTokenAndAccessor) {
  const char lookup[] = R"({"data":{"accessor":"acc1","creation_ttl":3600,"display_name":"token",)"
                        R"("expire_time":null,"policies":["default"],"ttl":3599,"period":0}})";
  FakeServerForTest server(3, Routes({{"GET /v1/auth/token/lookup-self", {200, lookup}},
                                      {"POST /v1/auth/token/lookup", {200, lookup}},
                                      {"POST /v1/auth/token/lookup-accessor", {200, lookup}}}));
  EXPECT_EQ(RunAt(server, {"token", "lookup"}, 2), 0) << err();
  EXPECT_EQ(out(),
            "Key             Value\n"
            "---             -----\n"
            "accessor        acc1\n"
            "creation_ttl    1h\n"
            "display_name    token\n"
            "expire_time     <nil>\n"
            "period          0s\n"
            "policies        [default]\n"
            "ttl             59m59s\n");
  EXPECT_EQ(RunAt(server, {"token", "lookup", "-field=ttl", "hvs.other"}, 2), 0) << err();
  EXPECT_EQ(out(), "3599\n");
  EXPECT_EQ(RunAt(server, {"token", "lookup", "-accessor", "acc1"}, 2), 0) << err();
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[1].body), Json::parse(R"({"token":"hvs.other"})"));
  EXPECT_EQ(Json::parse(requests[2].body), Json::parse(R"({"accessor":"acc1"})"));
  EXPECT_EQ(Run({"token", "lookup", "-accessor", kNoServer}), 2);
  EXPECT_EQ(err(), "Not enough arguments with -accessor (expected 1, got 0)\n");
}

TEST_F(TokenTest, Renew) {
  FakeServerForTest server(2, Routes({{"POST /v1/auth/token/renew-self", {200, kCreated}},
                                      {"POST /v1/auth/token/renew", {200, kCreated}}}));
  EXPECT_EQ(RunAt(server, {"token", "renew", "-increment=30m"}, 2), 0) << err();
  EXPECT_NE(out().find("token_duration       1h\n"), std::string::npos);
  EXPECT_EQ(RunAt(server, {"token", "renew", "-field=token_renewable", "hvs.x"}, 2), 0);
  EXPECT_EQ(out(), "true\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"increment":1800})"));
  EXPECT_EQ(Json::parse(requests[1].body), Json::parse(R"({"increment":0,"token":"hvs.x"})"));
}

TEST_F(TokenTest, RevokeModes) {
  FakeServerForTest server(4, Routes({{"POST /v1/auth/token/revoke", {204, ""}},
                                      {"POST /v1/auth/token/revoke-self", {204, ""}},
                                      {"POST /v1/auth/token/revoke-orphan", {204, ""}},
                                      {"POST /v1/auth/token/revoke-accessor", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"token", "revoke", "hvs.a"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Revoked token (if it existed)\n");
  EXPECT_EQ(RunAt(server, {"token", "revoke", "-self"}, 2), 0) << err();
  EXPECT_EQ(RunAt(server, {"token", "revoke", "-mode=orphan", "hvs.b"}, 2), 0) << err();
  EXPECT_EQ(RunAt(server, {"token", "revoke", "-accessor", "acc"}, 2), 0) << err();
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"token":"hvs.a"})"));
  EXPECT_EQ(requests[1].target, "/v1/auth/token/revoke-self");
  EXPECT_EQ(Json::parse(requests[2].body), Json::parse(R"({"token":"hvs.b"})"));
  EXPECT_EQ(Json::parse(requests[3].body), Json::parse(R"({"accessor":"acc"})"));
}

TEST_F(TokenTest, RevokeUsageErrors) {
  EXPECT_EQ(Run({"token", "revoke", kNoServer}), 2);
  EXPECT_EQ(err(), "Not enough arguments (expected 1 or -self, got 0)\n");
  EXPECT_EQ(Run({"token", "revoke", "-self", kNoServer, "t"}), 2);
  EXPECT_EQ(err(), "Too many arguments with -self (expected 0, got 1)\n");
  EXPECT_EQ(Run({"token", "revoke", "-self", "-accessor", kNoServer}), 2);
  EXPECT_EQ(err(), "Cannot use -self with -accessor!\n");
  EXPECT_EQ(Run({"token", "revoke", "-accessor", "-mode=orphan", kNoServer, "a"}), 2);
  EXPECT_EQ(err(), "Cannot use -accessor with -mode=orphan!\n");
  EXPECT_EQ(Run({"token", "revoke", "-mode=path", kNoServer, "a"}), 2);
  EXPECT_EQ(err(), "Invalid mode: path (Tresor supports only -mode=orphan)\n");
}

TEST_F(TokenTest, Capabilities) {
  FakeServerForTest server(
      3,
      Routes(
          {{"POST /v1/sys/capabilities-self",
            {200, R"({"data":{"capabilities":["update","read"],"secret/foo":["update","read"]}})"}},
           {"POST /v1/sys/capabilities", {200, R"({"capabilities":["deny"]})"}}}));
  EXPECT_EQ(RunAt(server, {"token", "capabilities", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "read, update\n");
  EXPECT_EQ(RunAt(server, {"token", "capabilities", "-format=json", "secret/foo"}, 2), 0);
  EXPECT_EQ(Json::parse(out()), Json::parse(R"(["update","read"])"));
  EXPECT_EQ(RunAt(server, {"token", "capabilities", "hvs.t", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "deny\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"paths":["secret/foo"]})"));
  EXPECT_EQ(Json::parse(requests[2].body),
            Json::parse(R"({"paths":["secret/foo"],"token":"hvs.t"})"));
  EXPECT_EQ(Run({"token", "capabilities", kNoServer}), 2);
}

}  // namespace
}  // namespace tresor::cli

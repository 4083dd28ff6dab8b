// login -method=userpass: the request it sends (POST, no token, the
// password from the arguments or stdin), the token it stores and prints,
// and its errors.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using LoginUserpassTest = CommandTest;

const char kLoginResponse[] =
    R"({"request_id":"r1","lease_id":"","renewable":false,"lease_duration":0,"data":null,)"
    R"("wrap_info":null,"warnings":null,"auth":{"client_token":"hvs.user","accessor":"acc1",)"
    R"("policies":["default","reader"],"token_policies":["default","reader"],)"
    R"("metadata":{"username":"alice"},"lease_duration":3600,"renewable":true,)"
    R"("entity_id":"","token_type":"service","orphan":true}})";

const char kAliceLogin[] = "POST /v1/auth/userpass/login/alice";

std::string ReadSavedFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(LoginUserpassTest, PostsPasswordWithoutTokenStoresAndPrintsToken) {
  unsetenv("TRESOR_TOKEN");
  std::ofstream(home_ + "/.tresor-token") << "hvs.stale";
  FakeHttpServerForTest server(1, Routes({{kAliceLogin, {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=alice", "password=pw1"}, 1), 0)
      << err();
  const auto& requests = server.Wait();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/auth/userpass/login/alice");
  EXPECT_FALSE(requests[0].has_token);  // the stale stored token stays home
  EXPECT_EQ(Json::parse(requests[0].body), Json({{"password", "pw1"}}));
  EXPECT_EQ(out(),
            "Success! You are now authenticated. The token information displayed below is\n"
            "already stored in the token helper. You do NOT need to run \"tresor login\"\n"
            "again. Future Tresor requests will automatically use this token.\n"
            "\n"
            "Key                    Value\n"
            "---                    -----\n"
            "token                  hvs.user\n"
            "token_accessor         acc1\n"
            "token_duration         1h\n"
            "token_renewable        true\n"
            "token_policies         [\"default\" \"reader\"]\n"
            "identity_policies      []\n"
            "policies               [\"default\" \"reader\"]\n"
            "token_meta_username    alice\n");
  EXPECT_EQ(err(), "");
  EXPECT_EQ(ReadSavedFile(home_ + "/.tresor-token"), "hvs.user");
}

TEST_F(LoginUserpassTest, LaterCommandsUseTheStoredToken) {
  unsetenv("TRESOR_TOKEN");
  FakeHttpServerForTest server(2, Routes({{kAliceLogin, {200, kLoginResponse}},
                                          {"GET /v1/kv1/x", {200, R"({"data":{"a":"b"}})"}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=alice", "password=pw1"}, 1), 0)
      << err();
  EXPECT_EQ(RunAt(server, {"read", "kv1/x"}, 1), 0) << err();
  EXPECT_EQ(server.Wait()[1].token, "hvs.user");
}

TEST_F(LoginUserpassTest, ReadsPasswordFromStdinWhenNotGiven) {
  SetStdin("from stdin\n");
  FakeHttpServerForTest server(1, Routes({{kAliceLogin, {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "-field=token", "username=alice"}, 1), 0)
      << err();
  EXPECT_EQ(out(), "hvs.user\n");
  // stdin is a pipe, so no prompt; TRESOR_TOKEN is set, so the warning.
  EXPECT_EQ(err().find("Password (will be hidden)"), std::string::npos) << err();
  EXPECT_NE(err().find("WARNING! The TRESOR_TOKEN or VAULT_TOKEN environment variable is set!"),
            std::string::npos);
  EXPECT_EQ(Json::parse(server.Wait()[0].body), Json({{"password", "from stdin"}}));
  EXPECT_EQ(ReadSavedFile(home_ + "/.tresor-token"), "hvs.user");
}

TEST_F(LoginUserpassTest, FieldSelectsMetadataAndPolicies) {
  FakeHttpServerForTest server(2, Routes({{kAliceLogin, {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server,
                  {"login", "-method=userpass", "-field=token_meta_username", "username=alice",
                   "password=pw1"},
                  1),
            0)
      << err();
  EXPECT_EQ(out(), "alice\n");
  EXPECT_EQ(RunAt(server,
                  {"login", "-method=userpass", "-field=policies", "-format=json",
                   "username=alice", "password=pw1"},
                  1),
            0)
      << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(R"(["default","reader"])"));
}

TEST_F(LoginUserpassTest, PathFlagJsonAndNoStore) {
  unsetenv("TRESOR_TOKEN");
  FakeHttpServerForTest server(
      1, Routes({{"POST /v1/auth/people/login/alice", {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server,
                  {"login", "-method=userpass", "-path=/people/", "-format=json", "-no-store",
                   "username=alice", "password=pw1"},
                  1),
            0)
      << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kLoginResponse));
  EXPECT_NE(err().find("The token was not stored"), std::string::npos) << err();
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.tresor-token"));
  EXPECT_EQ(server.Wait()[0].target, "/v1/auth/people/login/alice");
}

TEST_F(LoginUserpassTest, UsernameIsPercentEncoded) {
  FakeHttpServerForTest server(
      1, Routes({{"POST /v1/auth/userpass/login/a%20b", {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=a b", "password=pw1"}, 1), 0)
      << err();
  EXPECT_EQ(server.Wait()[0].target, "/v1/auth/userpass/login/a%20b");
}

TEST_F(LoginUserpassTest, WrongPasswordIsAnApiErrorAndStoresNothing) {
  FakeHttpServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["invalid username or password"]})"};
  });
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=alice", "password=wrong-pw"}, 1),
            2);
  EXPECT_NE(err().find("Error authenticating: Error making API request."), std::string::npos)
      << err();
  EXPECT_NE(err().find("URL: POST " + server.address() + "/v1/auth/userpass/login/alice"),
            std::string::npos)
      << err();
  EXPECT_NE(err().find("Code: 400. Errors:\n\n* invalid username or password"), std::string::npos)
      << err();
  EXPECT_EQ(err().find("wrong-pw"), std::string::npos);
  EXPECT_EQ(out(), "");
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.tresor-token"));
}

TEST_F(LoginUserpassTest, AnAnswerWithoutATokenIsAnError) {
  FakeHttpServerForTest server(1, Routes({{kAliceLogin, {200, R"({"data":{"a":"b"}})"}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=alice", "password=pw1"}, 1), 2);
  EXPECT_EQ(err(), "Error authenticating: the server returned no token\n");
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.tresor-token"));
}

TEST_F(LoginUserpassTest, StoreFailureStillShowsTheMintedToken) {
  unsetenv("HOME");
  FakeHttpServerForTest server(1, Routes({{kAliceLogin, {200, kLoginResponse}}}));
  EXPECT_EQ(RunAt(server, {"login", "-method=userpass", "username=alice", "password=pw1"}, 1), 2);
  EXPECT_NE(err().find("Error storing token: HOME is not set"), std::string::npos) << err();
  EXPECT_NE(err().find("Authentication was successful, but the token was not persisted."),
            std::string::npos)
      << err();
  EXPECT_NE(out().find("token                  hvs.user\n"), std::string::npos) << out();
}

TEST_F(LoginUserpassTest, UsageErrorsSendNothing) {
  SetStdin("pw\n");
  EXPECT_EQ(Run({"login", "-method=userpass", kNoServer}), 2);
  EXPECT_EQ(err(), "Error authenticating: 'username' must be specified\n");
  EXPECT_EQ(Run({"login", "-method=userpass", kNoServer, "password=pw1"}), 2);
  EXPECT_EQ(err(), "Error authenticating: 'username' must be specified\n");
  // A bare word is not key=value; it is not echoed (it may be a password).
  EXPECT_EQ(Run({"login", "-method=userpass", kNoServer, "s3cret"}), 1);
  EXPECT_EQ(err(), "Error parsing configuration: format must be key=value\n");
  EXPECT_EQ(Run({"login", "-method=userpass", kNoServer, "username=a", "username=b"}), 1);
  EXPECT_NE(err().find("Error parsing configuration:"), std::string::npos) << err();
  EXPECT_EQ(Run({"login", "-method=ldap", kNoServer, "username=a"}), 2);
  EXPECT_EQ(err(), "Unknown auth method: ldap. Tresor's CLI supports \"token\" and \"userpass\".\n");
  EXPECT_EQ(Run({"login", "-method=userpass", "-format=yaml", kNoServer, "username=a"}), 2);
  EXPECT_EQ(out(), "");
}

}  // namespace
}  // namespace tresor::cli

// login: checks the token, stores it 0600 in $HOME/.tresor-token, and later
// commands use it.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using LoginTest = CommandTest;

const char kLookupSelf[] =
    R"({"data":{"accessor":"acc9","policies":["root"],"ttl":0,"renewable":false,)"
    R"("identity_policies":null,"meta":null}})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(LoginTest, StoresTokenAndLaterCommandsUseIt) {
  unsetenv("TRESOR_TOKEN");
  FakeServerForTest server(2, Routes({{"GET /v1/auth/token/lookup-self", {200, kLookupSelf}},
                                      {"GET /v1/kv1/x", {200, R"({"data":{"a":"b"}})"}}}));
  EXPECT_EQ(RunAt(server, {"login", "hvs.root"}, 1), 0) << err();
  EXPECT_EQ(out(),
            "Success! You are now authenticated. The token information displayed below is\n"
            "already stored in the token helper. You do NOT need to run \"tresor login\"\n"
            "again. Future Tresor requests will automatically use this token.\n"
            "\n"
            "Key                  Value\n"
            "---                  -----\n"
            "token                hvs.root\n"
            "token_accessor       acc9\n"
            "token_duration       \xE2\x88\x9E\n"
            "token_renewable      false\n"
            "token_policies       [\"root\"]\n"
            "identity_policies    []\n"
            "policies             [\"root\"]\n");
  EXPECT_EQ(err(), "");
  std::string file = home_ + "/.tresor-token";
  EXPECT_EQ(ReadFile(file), "hvs.root");
  struct stat info;
  ASSERT_EQ(stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_EQ(RunAt(server, {"read", "kv1/x"}, 1), 0) << err();
  const auto& requests = server.requests();
  EXPECT_EQ(requests[0].token, "hvs.root");  // the lookup uses the new token
  EXPECT_EQ(requests[1].token, "hvs.root");  // and so does the next command
}

TEST_F(LoginTest, ReadsStdinOverwritesAndWarnsAboutEnvToken) {
  std::ofstream(home_ + "/.tresor-token") << "old";
  SetStdin("hvs.piped\n");
  FakeServerForTest server(1, Routes({{"GET /v1/auth/token/lookup-self", {200, kLookupSelf}}}));
  EXPECT_EQ(RunAt(server, {"login", "-field=token_accessor", "-"}, 1), 0) << err();
  EXPECT_EQ(out(), "acc9\n");
  EXPECT_NE(err().find("WARNING! The TRESOR_TOKEN or VAULT_TOKEN environment variable is set!"),
            std::string::npos);
  EXPECT_EQ(ReadFile(home_ + "/.tresor-token"), "hvs.piped");
  EXPECT_EQ(server.requests()[0].token, "hvs.piped");
}

TEST_F(LoginTest, NoStoreAndJson) {
  unsetenv("TRESOR_TOKEN");
  FakeServerForTest server(1, Routes({{"GET /v1/auth/token/lookup-self", {200, kLookupSelf}}}));
  EXPECT_EQ(RunAt(server, {"login", "-no-store", "-format=json", "hvs.x"}, 1), 0) << err();
  Json printed = Json::parse(out());
  EXPECT_EQ(printed["auth"]["client_token"], "hvs.x");
  EXPECT_EQ(printed["auth"]["accessor"], "acc9");
  EXPECT_NE(err().find("The token was not stored"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.tresor-token"));
}

TEST_F(LoginTest, BadTokenIsNotStored) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{403, R"({"errors":["permission denied"]})"};
  });
  EXPECT_EQ(RunAt(server, {"login", "hvs.bad"}, 1), 2);
  EXPECT_NE(err().find("Error authenticating: Error making API request."), std::string::npos);
  EXPECT_NE(err().find("* permission denied"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(home_ + "/.tresor-token"));
  EXPECT_EQ(out(), "");
}

TEST_F(LoginTest, HomeUnsetIsAClearError) {
  unsetenv("HOME");
  FakeServerForTest server(1, Routes({{"GET /v1/auth/token/lookup-self", {200, kLookupSelf}}}));
  EXPECT_EQ(RunAt(server, {"login", "hvs.x"}, 1), 2);
  EXPECT_NE(err().find("Error storing token: HOME is not set"), std::string::npos) << err();
}

TEST_F(LoginTest, UsageErrors) {
  SetStdin("\n");
  EXPECT_EQ(Run({"login", kNoServer}), 2);
  EXPECT_EQ(err(), "A token must be passed to auth, please view the help for more information.\n");
  EXPECT_EQ(Run({"login", "-method=ldap", kNoServer}), 2);
  EXPECT_EQ(Run({"login", kNoServer, "a", "b"}), 2);
}

}  // namespace
}  // namespace tresor::cli

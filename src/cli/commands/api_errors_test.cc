// Every command for secrets, tokens, policies and mounts (read/write, kv,
// token, policy, secrets, auth) against a server that refuses everything
// (403), and with a wrong number of arguments: Vault's error text and exit
// code 2.
#include <filesystem>
#include <fstream>

#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using ApiErrorsTest = CommandTest;

struct Case {
  std::vector<std::string> words;  // command words, then arguments
  size_t command_words;
  std::string error_prefix;  // how stderr starts
};

TEST_F(ApiErrorsTest, EveryCommandRendersForbidden) {
  std::string policy_file = home_ + "/p.hcl";
  std::ofstream(policy_file) << "path \"a\" {}\n";
  const std::vector<Case> cases = {
      {{"read", "a/b"}, 1, "Error reading a/b: "},
      {{"write", "a/b", "k=v"}, 1, "Error writing data to a/b: "},
      {{"list", "a"}, 1, "Error listing a/: "},
      {{"delete", "a/b"}, 1, "Error deleting a/b: "},
      {{"login", "hvs.t"}, 1, "Error authenticating: "},
      {{"kv", "get", "secret/a"}, 2, "Error making API request."},
      {{"kv", "put", "secret/a", "k=v"}, 2, "Error making API request."},
      {{"kv", "patch", "secret/a", "k=v"}, 2, "Error making API request."},
      {{"kv", "delete", "secret/a"}, 2, "Error making API request."},
      {{"kv", "undelete", "-versions=1", "secret/a"}, 2, "Error making API request."},
      {{"kv", "destroy", "-versions=1", "secret/a"}, 2, "Error making API request."},
      {{"kv", "list", "secret/"}, 2, "Error making API request."},
      {{"kv", "metadata", "get", "secret/a"}, 3, "Error making API request."},
      {{"kv", "metadata", "put", "-max-versions=2", "secret/a"}, 3, "Error making API request."},
      {{"kv", "metadata", "delete", "secret/a"}, 3, "Error making API request."},
      {{"token", "create"}, 2, "Error creating token: "},
      {{"token", "lookup"}, 2, "Error looking up token: "},
      {{"token", "renew"}, 2, "Error renewing token: "},
      {{"token", "revoke", "-self"}, 2, "Error revoking token: "},
      {{"token", "capabilities", "a/b"}, 2, "Error listing capabilities: "},
      {{"policy", "write", "p", policy_file}, 2, "Error uploading policy: "},
      {{"policy", "read", "p"}, 2, "Error reading policy named p: "},
      {{"policy", "list"}, 2, "Error listing policies: "},
      {{"policy", "delete", "p"}, 2, "Error deleting p: "},
      {{"secrets", "enable", "kv"}, 2, "Error enabling: "},
      {{"secrets", "disable", "kv"}, 2, "Error disabling secrets engine at kv/: "},
      {{"secrets", "list"}, 2, "Error listing secrets engines: "},
      {{"secrets", "tune", "-max-lease-ttl=1h", "kv"}, 2, "Error tuning secrets engine kv/: "},
      {{"secrets", "move", "a", "b"}, 2, "Error moving secrets engine a/ to b/: "},
      {{"auth", "enable", "userpass"}, 2, "Error enabling userpass auth: "},
      {{"auth", "disable", "userpass"}, 2, "Error disabling auth method at userpass/: "},
      {{"auth", "list"}, 2, "Error listing enabled authentications: "},
  };
  FakeServerForTest server(static_cast<int>(cases.size()), [](const RecordedRequest&) {
    return CannedResponse{403, R"({"errors":["permission denied"]})"};
  });
  for (const Case& c : cases) {
    SCOPED_TRACE(c.words[0] + " " + c.words[1]);
    EXPECT_EQ(RunAt(server, c.words, c.command_words), 2) << err();
    EXPECT_EQ(err().substr(0, c.error_prefix.size()), c.error_prefix) << err();
    EXPECT_NE(err().find("Code: 403. Errors:\n\n* permission denied\n"), std::string::npos)
        << err();
    EXPECT_EQ(out(), "");
  }
}

TEST_F(ApiErrorsTest, WrongArgumentCountsExitTwoWithoutARequest) {
  // {command words and arguments, how many of them name the command}
  const std::vector<std::pair<std::vector<std::string>, size_t>> cases = {
      {{"read"}, 1},
      {{"list", "a", "b"}, 1},
      {{"delete"}, 1},
      {{"kv", "get"}, 2},
      {{"kv", "put"}, 2},
      {{"kv", "patch"}, 2},
      {{"kv", "delete", "a", "b"}, 2},
      {{"kv", "undelete"}, 2},
      {{"kv", "destroy"}, 2},
      {{"kv", "list"}, 2},
      {{"kv", "metadata", "get"}, 3},
      {{"kv", "metadata", "put", "a", "b"}, 3},
      {{"kv", "metadata", "delete"}, 3},
      {{"token", "create", "a"}, 2},
      {{"token", "lookup", "a", "b"}, 2},
      {{"token", "renew", "a", "b"}, 2},
      {{"token", "revoke"}, 2},
      {{"token", "capabilities", "a", "b", "c"}, 2},
      {{"policy", "write", "a"}, 2},
      {{"policy", "read"}, 2},
      {{"policy", "list", "a"}, 2},
      {{"policy", "delete"}, 2},
      {{"secrets", "enable"}, 2},
      {{"secrets", "disable"}, 2},
      {{"secrets", "list", "a"}, 2},
      {{"secrets", "tune"}, 2},
      {{"secrets", "move", "a"}, 2},
      {{"auth", "enable"}, 2},
      {{"auth", "disable"}, 2},
      {{"auth", "list", "a"}, 2},
      {{"login", "a", "b"}, 1},
  };
  for (auto [words, command_words] : cases) {
    SCOPED_TRACE(words[0] + (words.size() > 1 ? " " + words[1] : ""));
    words.insert(words.begin() + static_cast<std::ptrdiff_t>(command_words), kNoServer);
    EXPECT_EQ(Run(words), 2) << err();
    EXPECT_NE(err().find("arguments"), std::string::npos) << err();
  }
  EXPECT_EQ(Run({"policy", "fmt"}), 2);  // local: no -address
  EXPECT_EQ(err(), "Not enough arguments (expected 1, got 0)\n");
}

}  // namespace
}  // namespace tresor::cli

// The commands end to end against FakeServerForTest: flags in, HTTP
// requests out, Vault's output and exit codes back.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

const char kSealedStatus[] =
    R"({"type":"shamir","initialized":true,"sealed":true,"t":3,"n":5,"progress":0,)"
    R"("nonce":"","version":"0.1.0","build_date":"2026-01-01T00:00:00Z","migration":false,)"
    R"("cluster_name":"","cluster_id":"","recovery_seal":false,"storage_type":"file"})";
const char kUnsealedStatus[] =
    R"({"type":"shamir","initialized":true,"sealed":false,"t":3,"n":5,"progress":0,)"
    R"("nonce":"","version":"0.1.0","build_date":"2026-01-01T00:00:00Z","migration":false,)"
    R"("cluster_name":"c","cluster_id":"id","recovery_seal":false,"storage_type":"file"})";
const char kLeader[] =
    R"({"ha_enabled":false,"is_self":false,"leader_address":"","leader_cluster_address":""})";

using CommandsTest = CommandTest;

TEST_F(CommandsTest, StatusSealedExitsTwo) {
  FakeServerForTest server(2, [](const RecordedRequest& request) {
    return CannedResponse{200, request.target == "/v1/sys/seal-status" ? kSealedStatus : kLeader};
  });
  EXPECT_EQ(Run({"status", "-address=" + server.address()}), 2);
  EXPECT_EQ(out_.str(),
            "Key                Value\n"
            "---                -----\n"
            "Seal Type          shamir\n"
            "Initialized        true\n"
            "Sealed             true\n"
            "Total Shares       5\n"
            "Threshold          3\n"
            "Unseal Progress    0/3\n"
            "Unseal Nonce       n/a\n"
            "Version            0.1.0\n"
            "Build Date         2026-01-01T00:00:00Z\n"
            "Storage Type       file\n"
            "HA Enabled         false\n");
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[1].target, "/v1/sys/leader");
}

TEST_F(CommandsTest, StatusUnsealedJsonExitsZero) {
  FakeServerForTest server(2, [](const RecordedRequest& request) {
    return CannedResponse{200, request.target == "/v1/sys/seal-status" ? kUnsealedStatus : kLeader};
  });
  setenv("VAULT_FORMAT", "json", 1);
  EXPECT_EQ(Run({"status", "--address", server.address()}), 0) << err_.str();
  unsetenv("VAULT_FORMAT");
  Json printed = Json::parse(out_.str());
  EXPECT_EQ(printed["sealed"], false);
  EXPECT_EQ(printed["ha_enabled"], false);
  EXPECT_EQ(printed["cluster_name"], "c");
}

// A port on 127.0.0.1 where nothing listens: bound, learnt and closed.
uint16_t ClosedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  close(fd);
  return ntohs(address.sin_port);
}

// The one command test on the real (Beast) client: the error text of a
// refused connection is the real client's.
TEST_F(CommandsTest, StatusConnectionErrorExitsOne) {
  SetHttpClientFactoryForTest(nullptr);
  uint16_t port = ClosedLoopbackPort();
  std::string address = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(Run({"status", "-address=" + address}), 1);
  EXPECT_EQ(err_.str(), "Error checking seal status: Get \"" + address +
                            "/v1/sys/seal-status\": dial tcp 127.0.0.1:" + std::to_string(port) +
                            ": connect: connection refused\n");
  EXPECT_EQ(out_.str(), "");
}

// `operator init` asks sys/seal-status first (an auto seal takes recovery
// shares): answers it as a Shamir server would, and the rest with `init`.
CannedResponse ShamirServer(const RecordedRequest& request, CannedResponse init) {
  if (request.target == "/v1/sys/seal-status") {
    return CannedResponse{200, R"({"type":"shamir","recovery_seal":false})"};
  }
  return init;
}

TEST_F(CommandsTest, InitSendsSharesAndPrintsKeys) {
  FakeServerForTest server(2, [](const RecordedRequest& r) {
    return ShamirServer(r, CannedResponse{
        200, R"({"keys":["aa","bb"],"keys_base64":["qg==","uw=="],"root_token":"hvs.root"})"});
  });
  EXPECT_EQ(Run({"operator", "init", "-address=" + server.address(), "-key-shares=2",
                 "-key-threshold", "2"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str().substr(0, 69),
            "Unseal Key 1: qg==\nUnseal Key 2: uw==\n\nInitial Root Token: hvs.root\n\n");
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "PUT");
  EXPECT_EQ(Json::parse(requests[1].body),
            Json::parse(R"({"secret_shares":2,"secret_threshold":2})"));
}

TEST_F(CommandsTest, InitWithAnAutoSealSendsRecoveryShares) {
  FakeServerForTest server(2, [](const RecordedRequest& r) {
    if (r.target == "/v1/sys/seal-status") {
      return CannedResponse{200, R"({"type":"transit","recovery_seal":true})"};
    }
    return CannedResponse{200, R"({"keys":[],"keys_base64":[],"recovery_keys":["aa"],)"
                               R"("recovery_keys_base64":["qg=="],"root_token":"hvs.root"})"};
  });
  EXPECT_EQ(Run({"operator", "init", "-address=" + server.address(), "-recovery-shares=1",
                 "-recovery-threshold=1"}),
            0)
      << err_.str();
  EXPECT_EQ(out_.str().substr(0, 19), "Recovery Key 1: qg=");
  EXPECT_EQ(Json::parse(server.requests()[1].body),
            Json::parse(R"({"recovery_shares":1,"recovery_threshold":1})"));
}

TEST_F(CommandsTest, InitJsonFormat) {
  FakeServerForTest server(2, [](const RecordedRequest& r) {
    return ShamirServer(
        r, CannedResponse{200, R"({"keys":["aa"],"keys_base64":["qg=="],"root_token":"r"})"});
  });
  EXPECT_EQ(Run({"operator", "init", "-address=" + server.address(), "-format=json"}), 0);
  Json printed = Json::parse(out_.str());
  EXPECT_EQ(printed["unseal_keys_b64"], Json::array({"qg=="}));
  EXPECT_EQ(printed["unseal_shares"], 5);
  EXPECT_EQ(printed["unseal_threshold"], 3);
  EXPECT_EQ(printed["root_token"], "r");
}

TEST_F(CommandsTest, InitApiErrorExitsOne) {
  FakeServerForTest server(2, [](const RecordedRequest& r) {
    return ShamirServer(r,
                        CannedResponse{400, R"({"errors":["Vault is already initialized"]})"});
  });
  EXPECT_EQ(Run({"operator", "init", "-address=" + server.address()}), 1);
  EXPECT_EQ(err_.str(), "Error initializing: Error making API request.\n\nURL: PUT " +
                            server.address() +
                            "/v1/sys/init\nCode: 400. Errors:\n\n* Vault is already initialized\n");
}

TEST_F(CommandsTest, InitStatusExitCodes) {
  {
    FakeServerForTest server(1, [](const RecordedRequest&) {
      return CannedResponse{200, R"({"initialized":false})"};
    });
    EXPECT_EQ(Run({"operator", "init", "-status", "-address=" + server.address()}), 2);
    EXPECT_EQ(out_.str(), "Tresor is not initialized\n");
    EXPECT_EQ(server.requests()[0].target, "/v1/sys/init");
  }
  {
    FakeServerForTest server(1, [](const RecordedRequest&) {
      return CannedResponse{200, R"({"initialized":true})"};
    });
    EXPECT_EQ(Run({"operator", "init", "-status", "-address=" + server.address()}), 0);
    EXPECT_EQ(out_.str(), "Tresor is initialized\n");
  }
}

TEST_F(CommandsTest, UnsealReadsKeyFromPipedStdin) {
  SetStdin("  abcd1234\n");
  FakeServerForTest server(2, [](const RecordedRequest& request) {
    return CannedResponse{200, request.target == "/v1/sys/unseal" ? kSealedStatus : kLeader};
  });
  EXPECT_EQ(Run({"operator", "unseal", "-address=" + server.address()}), 0) << err_.str();
  EXPECT_NE(out_.str().find("Unseal Progress    0/3\n"), std::string::npos);
  EXPECT_EQ(err_.str(), "");  // no prompt when stdin is not a terminal
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"key":"abcd1234"})"));
}

TEST_F(CommandsTest, UnsealKeyArgumentAndReset) {
  {
    FakeServerForTest server(2, [](const RecordedRequest& request) {
      return CannedResponse{200, request.target == "/v1/sys/unseal" ? kUnsealedStatus : kLeader};
    });
    EXPECT_EQ(Run({"operator", "unseal", "-address=" + server.address(), "KEYARG"}), 0);
    EXPECT_EQ(Json::parse(server.requests()[0].body), Json::parse(R"({"key":"KEYARG"})"));
  }
  {
    FakeServerForTest server(2, [](const RecordedRequest& request) {
      return CannedResponse{200, request.target == "/v1/sys/unseal" ? kSealedStatus : kLeader};
    });
    EXPECT_EQ(Run({"operator", "unseal", "-reset", "-address=" + server.address()}), 0);
    EXPECT_EQ(Json::parse(server.requests()[0].body), Json::parse(R"({"reset":true})"));
  }
}

TEST_F(CommandsTest, UnsealEmptyStdinIsAnError) {
  SetStdin("\n");
  EXPECT_EQ(Run({"operator", "unseal", "-address=http://127.0.0.1:1"}), 1);
  EXPECT_EQ(err_.str(), "Error unsealing: no unseal key was given\n");
}

TEST_F(CommandsTest, SealSuccessAndPermissionDenied) {
  {
    FakeServerForTest server(1, [](const RecordedRequest&) { return CannedResponse{204, ""}; });
    EXPECT_EQ(Run({"operator", "seal", "-address=" + server.address()}), 0);
    EXPECT_EQ(out_.str(), "Success! Vault is sealed.\n");
    EXPECT_EQ(server.requests()[0].token, "test-token");
  }
  {
    FakeServerForTest server(1, [](const RecordedRequest&) {
      return CannedResponse{403, R"({"errors":["permission denied"]})"};
    });
    EXPECT_EQ(Run({"operator", "seal", "-address=" + server.address()}), 1);
    EXPECT_EQ(err_.str().substr(0, 40), "Error sealing: Error making API request.");
    EXPECT_NE(err_.str().find("Code: 403"), std::string::npos);
  }
}

TEST_F(CommandsTest, RotateThenKeyStatus) {
  FakeServerForTest server(2, [](const RecordedRequest& request) {
    if (request.target == "/v1/sys/rotate") return CannedResponse{204, ""};
    return CannedResponse{
        200, R"({"data":{"term":2,"install_time":"2026-01-02T03:04:05Z","encryptions":0}})"};
  });
  EXPECT_EQ(Run({"operator", "rotate", "-address=" + server.address()}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "Success! Rotated key\n\n"
            "Key Term            2\n"
            "Install Time        02 Jan 26 03:04 UTC\n"
            "Encryption Count    0\n");
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[1].target, "/v1/sys/key-status");
}

TEST_F(CommandsTest, KeyStatusJson) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{200,
                          R"({"term":1,"install_time":"2026-01-02T03:04:05Z","encryptions":7})"};
  });
  EXPECT_EQ(Run({"operator", "key-status", "-format=json", "-address=" + server.address()}), 0);
  EXPECT_EQ(Json::parse(out_.str()),
            Json::parse(R"({"term":1,"install_time":"2026-01-02T03:04:05Z","encryptions":7})"));
}

TEST_F(CommandsTest, TopLevelDispatch) {
  EXPECT_EQ(Run({}), 127);
  EXPECT_NE(err_.str().find("Usage: tresor <command> [args]"), std::string::npos);
  EXPECT_EQ(Run({"frobnicate"}), 127);
  EXPECT_NE(err_.str().find("    status"), std::string::npos);
  EXPECT_EQ(Run({"-h"}), 0);
  EXPECT_NE(out_.str().find("    operator    Perform operator-specific tasks"), std::string::npos)
      << out_.str();
  EXPECT_EQ(Run({"version"}), 0);
  EXPECT_EQ(out_.str(), "Tresor v0.1.0\n");
  EXPECT_EQ(Run({"-version"}), 0);
  EXPECT_EQ(out_.str(), "Tresor v0.1.0\n");
}

TEST_F(CommandsTest, GroupsListSubcommands) {
  EXPECT_EQ(Run({"operator"}), 1);
  EXPECT_NE(err_.str().find("    init"), std::string::npos);
  EXPECT_NE(err_.str().find("    key-status"), std::string::npos);
  EXPECT_EQ(Run({"operator", "bogus"}), 1);
  EXPECT_EQ(Run({"operator", "-h"}), 0);
  EXPECT_NE(out_.str().find("    unseal"), std::string::npos);
}

TEST_F(CommandsTest, UsageErrors) {
  EXPECT_EQ(Run({"operator", "init", "-bogus"}), 2);
  EXPECT_NE(err_.str().find("flag provided but not defined: -bogus"), std::string::npos);
  EXPECT_EQ(Run({"operator", "init", "-key-shares=many"}), 2);
  EXPECT_EQ(Run({"operator", "init", "extra"}), 2);
  EXPECT_EQ(err_.str(), "Too many arguments (expected 0, got 1)\n");
  EXPECT_EQ(Run({"operator", "unseal", "a", "b"}), 2);
  EXPECT_EQ(Run({"operator", "init", "-format=yaml", "-address=http://127.0.0.1:1"}), 2);
  // status reserves 2 for "sealed": its usage errors exit 1.
  EXPECT_EQ(Run({"status", "extra"}), 1);
}

TEST_F(CommandsTest, CommandHelp) {
  EXPECT_EQ(Run({"operator", "init", "-h"}), 0);
  EXPECT_NE(out_.str().find("Usage: tresor operator init [options]"), std::string::npos);
  EXPECT_NE(out_.str().find("  -key-shares=<int>"), std::string::npos);
  EXPECT_NE(out_.str().find("  -address=<string>"), std::string::npos);
  EXPECT_EQ(Run({"status", "--help"}), 0);
  EXPECT_NE(out_.str().find("- 2 - sealed"), std::string::npos);
}

}  // namespace
}  // namespace tresor::cli

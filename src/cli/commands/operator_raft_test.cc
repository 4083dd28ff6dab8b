// operator raft join / list-peers / remove-peer / autopilot state, operator
// members and operator step-down against FakeServerForTest: the exact
// request sent, table and json output, API errors, usage errors; and the
// formatters of operator_raft_output.h on canned JSON.
#include "cli/commands/command_fixture_for_test.h"
#include "cli/commands/operator_raft_output.h"

namespace tresor::cli {
namespace {

using OperatorRaftTest = CommandTest;

// Tresor's answers (src/core/sys_raft_handlers.cc): payloads under "data".
const char kConfiguration[] = R"({"request_id":"r1","data":{"config":{"index":42,"servers":[
  {"node_id":"node1","address":"127.0.0.1:8201","leader":true,"voter":true,"protocol_version":"3"},
  {"node_id":"node2","address":"127.0.0.1:8203","leader":false,"voter":true,"protocol_version":"3"},
  {"node_id":"node3","address":"127.0.0.1:8205","leader":false,"voter":false,"protocol_version":"3"}
]}}})";

const char kAutopilot[] = R"({"data":{"healthy":true,"failure_tolerance":1,"leader":"node1",
  "voters":["node1","node2","node3"],"servers":{
  "node2":{"id":"node2","name":"node2","address":"127.0.0.1:8203","node_status":"alive",
           "status":"voter","healthy":true},
  "node1":{"id":"node1","name":"node1","address":"127.0.0.1:8201","node_status":"alive",
           "status":"leader","healthy":true,"last_index":57},
  "node3":{"id":"node3","name":"node3","address":"127.0.0.1:8205","node_status":"alive",
           "status":"voter","healthy":true}}}})";

const char kHaStatus[] = R"({"data":{"nodes":[
  {"hostname":"node1","api_address":"http://127.0.0.1:8200","cluster_address":"https://127.0.0.1:8201",
   "active_node":true,"version":"0.4.0"},
  {"hostname":"node2","api_address":"","cluster_address":"https://127.0.0.1:8203",
   "active_node":false,"version":"0.4.0"}]}})";

const char kForbidden[] = R"({"errors":["permission denied"]})";

// --- join ------------------------------------------------------------------

TEST_F(OperatorRaftTest, JoinPostsTheLeaderAddressAndPrintsJoined) {
  FakeServerForTest server(
      2, Routes({{"POST /v1/sys/storage/raft/join", {200, R"({"data":{"joined":true}})"}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "join", "http://10.0.0.1:8200"}, 3), 0) << err();
  EXPECT_EQ(out(),
            "Key       Value\n"
            "---       -----\n"
            "Joined    true\n");
  EXPECT_EQ(RunAt(server, {"operator", "raft", "join", "-format=json", "http://10.0.0.1:8200"}, 3),
            0)
      << err();
  EXPECT_EQ(Json::parse(out()), (Json{{"joined", true}}));
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(Json::parse(requests[0].body), (Json{{"leader_api_addr", "http://10.0.0.1:8200"}}));
}

TEST_F(OperatorRaftTest, JoinReadsVaultsTopLevelAnswerToo) {
  FakeServerForTest server(
      1, Routes({{"POST /v1/sys/storage/raft/join", {200, R"({"joined":true})"}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "join", "https://leader:8200"}, 3), 0) << err();
  EXPECT_NE(out().find("Joined    true"), std::string::npos) << out();
}

TEST_F(OperatorRaftTest, JoinShowsTheServersErrorAndExitsTwo) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["could not join the cluster at http://127.0.0.1:1: )"
                               R"(connection refused"]})"};
  });
  EXPECT_EQ(RunAt(server, {"operator", "raft", "join", "http://127.0.0.1:1"}, 3), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "Error joining the node to the Raft cluster: Error making API request.\n\n"
            "URL: POST " +
                server.address() +
                "/v1/sys/storage/raft/join\n"
                "Code: 400. Errors:\n\n"
                "* could not join the cluster at http://127.0.0.1:1: connection refused\n");
}

TEST_F(OperatorRaftTest, JoinNeedsExactlyOneAddress) {
  EXPECT_EQ(Run({"operator", "raft", "join", kNoServer}), 2);
  EXPECT_EQ(err(), "Not enough arguments (expected 1, got 0)\n");
  EXPECT_EQ(Run({"operator", "raft", "join", kNoServer, "http://a:8200", "http://b:8200"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 1, got 2)\n");
  EXPECT_EQ(Run({"operator", "raft", "join", "-retry", "http://a:8200"}), 2);
  EXPECT_NE(err().find("flag provided but not defined: -retry"), std::string::npos) << err();
}

// --- list-peers ------------------------------------------------------------

TEST_F(OperatorRaftTest, ListPeersTableAndRawJson) {
  FakeServerForTest server(
      2, Routes({{"GET /v1/sys/storage/raft/configuration", {200, kConfiguration}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "list-peers"}, 3), 0) << err();
  EXPECT_EQ(out(),
            "Node     Address           State       Voter\n"
            "----     -------           -----       -----\n"
            "node1    127.0.0.1:8201    leader      true\n"
            "node2    127.0.0.1:8203    follower    true\n"
            "node3    127.0.0.1:8205    follower    false\n");
  EXPECT_EQ(RunAt(server, {"operator", "raft", "list-peers", "-format=json"}, 3), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kConfiguration));
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].token, "test-token");
}

TEST_F(OperatorRaftTest, ListPeersErrors) {
  FakeServerForTest server(1,
                           Routes({{"GET /v1/sys/storage/raft/configuration", {403, kForbidden}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "list-peers"}, 3), 2);
  EXPECT_EQ(
      err().rfind("Error reading the raft cluster configuration: Error making API request.", 0), 0u)
      << err();
  EXPECT_NE(err().find("Code: 403. Errors:\n\n* permission denied\n"), std::string::npos);
  EXPECT_EQ(Run({"operator", "raft", "list-peers", kNoServer, "extra"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 0, got 1)\n");
  // A body without a configuration is reported, not printed as an empty table.
  FakeServerForTest empty(
      1, Routes({{"GET /v1/sys/storage/raft/configuration", {200, R"({"data":{}})"}}}));
  EXPECT_EQ(RunAt(empty, {"operator", "raft", "list-peers"}, 3), 2);
  EXPECT_EQ(err(), "No raft cluster configuration found\n");
}

// --- remove-peer -----------------------------------------------------------

TEST_F(OperatorRaftTest, RemovePeerPostsTheServerId) {
  FakeServerForTest server(1, Routes({{"POST /v1/sys/storage/raft/remove-peer", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "remove-peer", "node3"}, 3), 0) << err();
  EXPECT_EQ(out(), "Peer removed successfully!\n");
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(Json::parse(requests[0].body), (Json{{"server_id", "node3"}}));
}

TEST_F(OperatorRaftTest, RemovePeerOfAnUnknownIdShowsTheErrorAndExitsTwo) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["no raft peer with server_id \"ghost\""]})"};
  });
  EXPECT_EQ(RunAt(server, {"operator", "raft", "remove-peer", "ghost"}, 3), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err().rfind("Error removing the peer from raft cluster: Error making API request.", 0),
            0u)
      << err();
  EXPECT_NE(err().find("* no raft peer with server_id \"ghost\"\n"), std::string::npos) << err();
}

TEST_F(OperatorRaftTest, RemovePeerNeedsExactlyOneId) {
  EXPECT_EQ(Run({"operator", "raft", "remove-peer", kNoServer}), 2);
  EXPECT_EQ(err(), "Not enough arguments (expected 1, got 0)\n");
  EXPECT_EQ(Run({"operator", "raft", "remove-peer", kNoServer, "a", "b"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 1, got 2)\n");
}

// --- autopilot state -------------------------------------------------------

TEST_F(OperatorRaftTest, AutopilotStatePrettyAndJson) {
  FakeServerForTest server(
      2, Routes({{"GET /v1/sys/storage/raft/autopilot/state", {200, kAutopilot}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "autopilot", "state"}, 4), 0) << err();
  EXPECT_EQ(out(),
            "Healthy:                         true\n"
            "Failure Tolerance:               1\n"
            "Leader:                          node1\n"
            "Voters:\n"
            "   node1\n"
            "   node2\n"
            "   node3\n"
            "Servers:\n"
            "   node1\n"
            "      Name:              node1\n"
            "      Address:           127.0.0.1:8201\n"
            "      Status:            leader\n"
            "      Node Status:       alive\n"
            "      Healthy:           true\n"
            "      Last Index:        57\n"
            "   node2\n"
            "      Name:              node2\n"
            "      Address:           127.0.0.1:8203\n"
            "      Status:            voter\n"
            "      Node Status:       alive\n"
            "      Healthy:           true\n"
            "   node3\n"
            "      Name:              node3\n"
            "      Address:           127.0.0.1:8205\n"
            "      Status:            voter\n"
            "      Node Status:       alive\n"
            "      Healthy:           true\n");
  EXPECT_EQ(RunAt(server, {"operator", "raft", "autopilot", "state", "-format=json"}, 4), 0)
      << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kAutopilot)["data"]);
}

TEST_F(OperatorRaftTest, AutopilotStateErrors) {
  FakeServerForTest server(
      1, Routes({{"GET /v1/sys/storage/raft/autopilot/state",
                  {400, R"({"errors":["raft storage is not in use on this node"]})"}}}));
  EXPECT_EQ(RunAt(server, {"operator", "raft", "autopilot", "state"}, 4), 2);
  EXPECT_EQ(err().rfind("Error checking autopilot state: Error making API request.", 0), 0u)
      << err();
  EXPECT_NE(err().find("* raft storage is not in use on this node\n"), std::string::npos);
  EXPECT_EQ(Run({"operator", "raft", "autopilot", "state", kNoServer, "x"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 0, got 1)\n");
  EXPECT_EQ(Run({"operator", "raft", "autopilot", "state", "-format=yaml", kNoServer}), 2);
}

TEST(AutopilotStateOutputTest, PrintsVaultsOptionalFieldsOnlyWhenSent) {
  Json state = Json::parse(R"({"healthy":false,"failure_tolerance":0,"leader":"a",
    "voters":["a"],"non_voters":["b"],"optimistic_failure_tolerance":1,"servers":{
    "b":{"id":"b","name":"b","address":"10.0.0.2:8201","status":"non-voter",
         "node_status":"alive","healthy":false,"last_contact":"1.5s","last_term":3,
         "last_index":40,"version":"1.17.3","node_type":"voter","meta":null}}})");
  EXPECT_EQ(FormatAutopilotState(state),
            "Healthy:                         false\n"
            "Failure Tolerance:               0\n"
            "Leader:                          a\n"
            "Voters:\n"
            "   a\n"
            "Non Voters:\n"
            "   b\n"
            "Optimistic Failure Tolerance:    1\n"
            "Servers:\n"
            "   b\n"
            "      Name:              b\n"
            "      Address:           10.0.0.2:8201\n"
            "      Status:            non-voter\n"
            "      Node Status:       alive\n"
            "      Healthy:           false\n"
            "      Last Contact:      1.5s\n"
            "      Last Term:         3\n"
            "      Last Index:        40\n"
            "      Version:           1.17.3\n"
            "      Node Type:         voter\n");
  EXPECT_EQ(FormatAutopilotState(Json("not an object")), "");
}

// --- members ---------------------------------------------------------------

TEST_F(OperatorRaftTest, MembersTableKeepsTheColumnsTheServerSent) {
  FakeServerForTest server(2, Routes({{"GET /v1/sys/ha-status", {200, kHaStatus}}}));
  EXPECT_EQ(RunAt(server, {"operator", "members"}, 2), 0) << err();
  EXPECT_EQ(out(),
            "Host Name    API Address              Cluster Address           Active Node    "
            "Version\n"
            "---------    -----------              ---------------           -----------    "
            "-------\n"
            "node1        http://127.0.0.1:8200    https://127.0.0.1:8201    true           "
            "0.4.0\n"
            "node2        n/a                      https://127.0.0.1:8203    false          "
            "0.4.0\n");
  EXPECT_EQ(RunAt(server, {"operator", "members", "-format=json"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), (Json{{"Nodes", Json::parse(kHaStatus)["data"]["nodes"]}}));
}

TEST_F(OperatorRaftTest, MembersReadsVaultsTopLevelNodesWithLastEcho) {
  FakeServerForTest server(1, Routes({{"GET /v1/sys/ha-status", {200, R"({"nodes":[
    {"hostname":"a","api_address":"http://a:8200","cluster_address":"https://a:8201",
     "active_node":true,"last_echo":null},
    {"hostname":"b","api_address":"http://b:8200","cluster_address":"https://b:8201",
     "active_node":false,"last_echo":"2026-01-02T03:04:05Z"}]})"}}}));
  EXPECT_EQ(RunAt(server, {"operator", "members"}, 2), 0) << err();
  EXPECT_EQ(out(),
            "Host Name    API Address      Cluster Address    Active Node    Last Echo\n"
            "---------    -----------      ---------------    -----------    ---------\n"
            "a            http://a:8200    https://a:8201     true           n/a\n"
            "b            http://b:8200    https://b:8201     false          "
            "2026-01-02T03:04:05Z\n");
}

TEST_F(OperatorRaftTest, MembersErrors) {
  FakeServerForTest server(1, Routes({{"GET /v1/sys/ha-status", {403, kForbidden}}}));
  EXPECT_EQ(RunAt(server, {"operator", "members"}, 2), 2);
  EXPECT_EQ(err().rfind("Error retrieving HA status: Error making API request.", 0), 0u) << err();
  EXPECT_EQ(Run({"operator", "members", kNoServer, "x"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 0, got 1)\n");
}

// --- step-down -------------------------------------------------------------

TEST_F(OperatorRaftTest, StepDownPutsAndNamesTheAddress) {
  FakeServerForTest server(1, Routes({{"PUT /v1/sys/step-down", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"operator", "step-down"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Stepped down: " + server.address() + "\n");
  const auto& requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "");
  EXPECT_EQ(requests[0].token, "test-token");
}

TEST_F(OperatorRaftTest, StepDownErrors) {
  FakeServerForTest server(1, Routes({{"PUT /v1/sys/step-down", {403, kForbidden}}}));
  EXPECT_EQ(RunAt(server, {"operator", "step-down"}, 2), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "Error stepping down: Error making API request.\n\n"
            "URL: PUT " +
                server.address() +
                "/v1/sys/step-down\n"
                "Code: 403. Errors:\n\n"
                "* permission denied\n");
  EXPECT_EQ(Run({"operator", "step-down", kNoServer, "now"}), 2);
  EXPECT_EQ(err(), "Too many arguments (expected 0, got 1)\n");
}

// --- registration ----------------------------------------------------------

TEST_F(OperatorRaftTest, RaftGroupListsItsSubcommands) {
  EXPECT_EQ(Run({"operator", "raft"}), 1);
  std::string listing = out() + err();
  for (const char* name : {"join", "list-peers", "remove-peer", "autopilot"}) {
    EXPECT_NE(listing.find(name), std::string::npos) << name << " in " << listing;
  }
  EXPECT_EQ(Run({"operator"}), 1);
  listing = out() + err();
  for (const char* name : {"members", "step-down", "raft"}) {
    EXPECT_NE(listing.find(name), std::string::npos) << name << " in " << listing;
  }
}

TEST(RaftPeersOutputTest, NoServersGivesEmpty) {
  EXPECT_EQ(FormatRaftPeersTable(Json()), "");
  EXPECT_EQ(FormatRaftPeersTable(Json::parse(R"({"data":{"config":{"servers":null}}})")), "");
  EXPECT_EQ(FormatHaMembersTable(Json::array()), "");
}

}  // namespace
}  // namespace tresor::cli

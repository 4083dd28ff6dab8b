// read / write / list / delete against the fake server.
#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using LogicalTest = CommandTest;

const char kSecret[] =
    R"({"request_id":"r","lease_id":"","lease_duration":2764800,"renewable":false,)"
    R"("data":{"foo":"bar","zip":"zap"},"warnings":null})";

TEST_F(LogicalTest, ReadTableJsonAndField) {
  FakeServerForTest server(3, Routes({{"GET /v1/kv1/foo", {200, kSecret}}}));
  EXPECT_EQ(RunAt(server, {"read", "kv1/foo"}, 1), 0) << err();
  EXPECT_EQ(out(),
            "Key                 Value\n"
            "---                 -----\n"
            "refresh_interval    768h\n"
            "foo                 bar\n"
            "zip                 zap\n");
  EXPECT_EQ(RunAt(server, {"read", "-format=json", "/kv1/foo"}, 1), 0);
  EXPECT_EQ(Json::parse(out()), Json::parse(kSecret));  // the raw response
  EXPECT_EQ(RunAt(server, {"read", "-field=zip", "kv1/foo"}, 1), 0);
  EXPECT_EQ(out(), "zap\n");
  const auto& requests = server.requests();
  EXPECT_EQ(requests[0].token, "test-token");
}

TEST_F(LogicalTest, ReadMissingFieldAndNotFound) {
  FakeServerForTest server(2, Routes({{"GET /v1/kv1/foo", {200, kSecret}},
                                      {"GET /v1/kv1/none", {404, R"({"errors":[]})"}}}));
  EXPECT_EQ(RunAt(server, {"read", "-field=nope", "kv1/foo"}, 1), 1);
  EXPECT_EQ(err(), "Field \"nope\" not present in secret\n");
  EXPECT_EQ(RunAt(server, {"read", "kv1/none"}, 1), 2);
  EXPECT_EQ(err(), "No value found at kv1/none\n");
  EXPECT_EQ(out(), "");
}

TEST_F(LogicalTest, ReadPermissionDeniedExitsTwo) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{403, R"({"errors":["permission denied"]})"};
  });
  EXPECT_EQ(RunAt(server, {"read", "secret/x"}, 1), 2);
  EXPECT_EQ(err(), "Error reading secret/x: Error making API request.\n\nURL: GET " +
                       server.address() +
                       "/v1/secret/x\nCode: 403. Errors:\n\n* permission denied\n");
}

TEST_F(LogicalTest, ReadPathIsEscaped) {
  FakeServerForTest server(1, Routes({{"GET /v1/kv1/a%20b%3Fc", {200, kSecret}}}));
  EXPECT_EQ(RunAt(server, {"read", "kv1/a b?c"}, 1), 0) << err();
}

TEST_F(LogicalTest, UsageErrors) {
  EXPECT_EQ(Run({"read", kNoServer}), 2);
  EXPECT_EQ(err(), "Not enough arguments (expected 1, got 0)\n");
  EXPECT_EQ(Run({"read", kNoServer, "a", "b"}), 2);
  EXPECT_EQ(Run({"list", kNoServer}), 2);
  EXPECT_EQ(Run({"delete", kNoServer}), 2);
  EXPECT_EQ(Run({"write", kNoServer, "kv1/x"}), 2);
  EXPECT_EQ(err(), "Must supply data or use -force\n");
  EXPECT_EQ(Run({"read", "-format=yaml", kNoServer, "a"}), 2);
  EXPECT_EQ(err(), "Invalid output format: yaml\n");
  EXPECT_EQ(Run({"read", "-bogus", "a"}), 2);
}

TEST_F(LogicalTest, WriteSendsPairsAndPrintsSuccess) {
  SetStdin("from-stdin");
  FakeServerForTest server(1, Routes({{"PUT /v1/kv1/foo", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"write", "kv1/foo", "a=1", "a=2", "b=-"}, 1), 0) << err();
  EXPECT_EQ(out(), "Success! Data written to: kv1/foo\n");
  const auto& requests = server.requests();
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"a":["1","2"],"b":"from-stdin"})"));
}

TEST_F(LogicalTest, WriteJsonFromStdinForceAndResponseOutput) {
  SetStdin(R"({"n":3})");
  FakeServerForTest server(3, Routes({{"PUT /v1/kv1/foo", {204, ""}},
                                      {"PUT /v1/sys/thing", {200, R"({"data":{"k":"v"}})"}}}));
  EXPECT_EQ(RunAt(server, {"write", "kv1/foo", "-"}, 1), 0) << err();
  EXPECT_EQ(RunAt(server, {"write", "-force", "sys/thing"}, 1), 0) << err();
  EXPECT_EQ(out(), "Key    Value\n---    -----\nk      v\n");
  EXPECT_EQ(RunAt(server, {"write", "-f", "-field=k", "sys/thing"}, 1), 0) << err();
  EXPECT_EQ(out(), "v\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body), Json::parse(R"({"n":3})"));
  EXPECT_EQ(requests[1].body, "{}");
}

TEST_F(LogicalTest, WriteBadPairAndApiError) {
  EXPECT_EQ(Run({"write", kNoServer, "kv1/foo", "novalue"}), 1);
  EXPECT_EQ(err(), "Failed to parse K=V data: format must be key=value\n");
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["bad thing"]})"};
  });
  EXPECT_EQ(RunAt(server, {"write", "kv1/foo", "a=b"}, 1), 2);
  EXPECT_NE(err().find("Error writing data to kv1/foo: Error making API request."),
            std::string::npos);
  EXPECT_NE(err().find("* bad thing"), std::string::npos);
}

TEST_F(LogicalTest, ListTableJsonAndEmpty) {
  const char keys[] = R"({"data":{"keys":["a","b/"]}})";
  FakeServerForTest server(3, Routes({{"GET /v1/kv1/?list=true", {200, keys}},
                                      {"GET /v1/kv1/none/?list=true", {404, ""}}}));
  EXPECT_EQ(RunAt(server, {"list", "kv1"}, 1), 0) << err();
  EXPECT_EQ(out(), "Keys\n----\na\nb/\n");
  EXPECT_EQ(RunAt(server, {"list", "-format=json", "kv1/"}, 1), 0);
  EXPECT_EQ(Json::parse(out()), Json::parse(R"(["a","b/"])"));
  EXPECT_EQ(RunAt(server, {"list", "kv1/none"}, 1), 2);
  EXPECT_EQ(err(), "No value found at kv1/none/\n");
}

TEST_F(LogicalTest, DeleteSendsDelete) {
  FakeServerForTest server(2, Routes({{"DELETE /v1/kv1/foo", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"delete", "kv1/foo"}, 1), 0);
  EXPECT_EQ(out(), "Success! Data deleted (if it existed) at: kv1/foo\n");
  EXPECT_EQ(RunAt(server, {"delete", "kv1/other"}, 1), 2);
  EXPECT_NE(err().find("Error deleting kv1/other: Error making API request."), std::string::npos);
}

}  // namespace
}  // namespace tresor::cli

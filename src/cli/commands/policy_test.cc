// policy write / read / list / delete / fmt.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using PolicyTest = CommandTest;

const char kRules[] = "path \"secret/*\" {\n  capabilities = [\"read\"]\n}\n";

TEST_F(PolicyTest, WriteFromFileAndStdin) {
  std::string file = home_ + "/p.hcl";
  std::ofstream(file) << kRules;
  SetStdin(kRules);
  FakeServerForTest server(2, Routes({{"PUT /v1/sys/policies/acl/reader", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"policy", "write", "Reader", file}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Uploaded policy: reader\n");
  EXPECT_EQ(RunAt(server, {"policy", "write", "reader", "-"}, 2), 0) << err();
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[0].body), (Json{{"policy", kRules}}));
  EXPECT_EQ(Json::parse(requests[1].body), (Json{{"policy", kRules}}));
}

TEST_F(PolicyTest, WriteErrors) {
  EXPECT_EQ(Run({"policy", "write", kNoServer, "reader"}), 2);
  EXPECT_EQ(Run({"policy", "write", kNoServer, "reader", home_ + "/missing.hcl"}), 1);
  EXPECT_NE(err().find("Error opening policy file"), std::string::npos);
  std::string file = home_ + "/p.hcl";
  std::ofstream(file) << "path {";
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{400, R"({"errors":["failed to parse policy: line 1"]})"};
  });
  EXPECT_EQ(RunAt(server, {"policy", "write", "bad", file}, 2), 2);
  EXPECT_NE(err().find("Error uploading policy: Error making API request."), std::string::npos);
}

TEST_F(PolicyTest, ReadTableJsonAndMissing) {
  std::string body = Json{{"data", {{"name", "reader"}, {"policy", kRules}}}}.dump();
  FakeServerForTest server(3, Routes({{"GET /v1/sys/policies/acl/reader", {200, body}}}));
  EXPECT_EQ(RunAt(server, {"policy", "read", "reader"}, 2), 0) << err();
  EXPECT_EQ(out(), kRules);
  EXPECT_EQ(RunAt(server, {"policy", "read", "-format=json", "reader"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), (Json{{"policy", kRules}}));
  EXPECT_EQ(RunAt(server, {"policy", "read", "nope"}, 2), 2);
  EXPECT_EQ(err(), "No policy named: nope\n");
}

TEST_F(PolicyTest, ListAndDelete) {
  FakeServerForTest server(4, Routes({{"GET /v1/sys/policies/acl?list=true",
                                       {200, R"({"data":{"keys":["default","reader","root"]}})"}},
                                      {"DELETE /v1/sys/policies/acl/reader", {204, ""}},
                                      {"DELETE /v1/sys/policies/acl/root",
                                       {400, R"({"errors":["cannot delete \"root\" policy"]})"}}}));
  EXPECT_EQ(RunAt(server, {"policy", "list"}, 2), 0) << err();
  EXPECT_EQ(out(), "default\nreader\nroot\n");
  EXPECT_EQ(RunAt(server, {"policy", "list", "-format=json"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(R"(["default","reader","root"])"));
  EXPECT_EQ(RunAt(server, {"policy", "delete", "reader"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Deleted policy: reader\n");
  EXPECT_EQ(RunAt(server, {"policy", "delete", "root"}, 2), 2);
  EXPECT_NE(err().find("Error deleting root: Error making API request."), std::string::npos);
  EXPECT_NE(err().find("* cannot delete \"root\" policy"), std::string::npos);
}

TEST_F(PolicyTest, FmtRewritesInPlaceKeepingMode) {
  std::string file = home_ + "/p.hcl";
  std::ofstream(file) << "path \"secret/*\" {capabilities=[\"read\"]}";
  std::filesystem::permissions(file, std::filesystem::perms(0640));
  EXPECT_EQ(Run({"policy", "fmt", file}), 0) << err();
  EXPECT_EQ(out(), "Success! Formatted policy: " + file + "\n");
  std::ifstream in(file);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), kRules);
  EXPECT_EQ(std::filesystem::status(file).permissions(), std::filesystem::perms(0640));
}

TEST_F(PolicyTest, FmtErrorsLeaveTheFile) {
  std::string file = home_ + "/p.hcl";
  std::ofstream(file) << "# mine\npath \"a\" {}\n";
  EXPECT_EQ(Run({"policy", "fmt", file}), 1);
  EXPECT_NE(err().find("has comments"), std::string::npos);
  std::ofstream(file) << "path \"a\" {";
  EXPECT_EQ(Run({"policy", "fmt", file}), 1);
  EXPECT_NE(err().find("Failed to parse policy: " + file + ": line"), std::string::npos) << err();
  EXPECT_EQ(Run({"policy", "fmt"}), 2);
  EXPECT_EQ(Run({"policy", "fmt", home_ + "/missing"}), 1);
}

}  // namespace
}  // namespace tresor::cli

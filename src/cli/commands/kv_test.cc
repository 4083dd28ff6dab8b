// The kv commands: path resolution through sys/internal/ui/mounts, the v2
// prefixes, request bodies and Vault's output.
#include "cli/commands/command_fixture_for_test.h"

namespace tresor::cli {
namespace {

using KvTest = CommandTest;

const char kPreflightSecret[] = "GET /v1/sys/internal/ui/mounts/secret/foo";
const char kV2Read[] =
    R"({"request_id":"r","lease_id":"","lease_duration":0,"renewable":false,)"
    R"("data":{"data":{"foo":"bar","hello":"world"},)"
    R"("metadata":{"created_time":"2026-01-01T00:00:00Z","custom_metadata":null,)"
    R"("deletion_time":"","destroyed":false,"version":2}}})";
const char kV2Write[] = R"({"data":{"created_time":"2026-01-01T00:00:00Z","custom_metadata":null,)"
                        R"("deletion_time":"","destroyed":false,"version":3}})";

// What a v2 get and a v2 put both print before the version row.
const std::string kPathAndMetadata =
    "== Secret Path ==\n"
    "secret/data/foo\n"
    "\n"
    "======= Metadata =======\n"
    "Key                Value\n"
    "---                -----\n"
    "created_time       2026-01-01T00:00:00Z\n"
    "custom_metadata    <nil>\n"
    "deletion_time      n/a\n"
    "destroyed          false\n";

TEST_F(KvTest, GetV2Table) {
  FakeServerForTest server(2, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                      {"GET /v1/secret/data/foo", {200, kV2Read}}}));
  EXPECT_EQ(RunAt(server, {"kv", "get", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), kPathAndMetadata +
                       "version            2\n"
                       "\n"
                       "==== Data ====\n"
                       "Key      Value\n"
                       "---      -----\n"
                       "foo      bar\n"
                       "hello    world\n");
}

TEST_F(KvTest, GetV2JsonFieldVersionAndMountFlag) {
  FakeServerForTest server(
      6, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                 {"GET /v1/sys/internal/ui/mounts/secret/", {200, kSecretV2Mount}},
                 {"GET /v1/secret/data/foo", {200, kV2Read}},
                 {"GET /v1/secret/data/foo?version=1", {200, kV2Read}}}));
  EXPECT_EQ(RunAt(server, {"kv", "get", "-format=json", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(kV2Read));
  EXPECT_EQ(RunAt(server, {"kv", "get", "-field=hello", "-version=1", "secret/foo"}, 2), 0)
      << err();
  EXPECT_EQ(out(), "world\n");
  EXPECT_EQ(RunAt(server, {"kv", "get", "-mount=secret", "-field=foo", "foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "bar\n");
}

TEST_F(KvTest, GetV1AndNotFound) {
  FakeServerForTest server(
      4, Routes({{"GET /v1/sys/internal/ui/mounts/kv1/foo", {200, kKv1Mount}},
                 {"GET /v1/kv1/foo", {200, R"({"lease_duration":2764800,"data":{"a":"b"}})"}},
                 {kPreflightSecret, {200, kSecretV2Mount}},
                 {"GET /v1/secret/data/foo", {404, R"({"errors":[]})"}}}));
  EXPECT_EQ(RunAt(server, {"kv", "get", "kv1/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "== Data ==\nKey    Value\n---    -----\na      b\n");
  EXPECT_EQ(RunAt(server, {"kv", "get", "secret/foo"}, 2), 2);
  EXPECT_EQ(err(), "No value found at secret/data/foo\n");
}

TEST_F(KvTest, PreflightForbiddenIsReported) {
  FakeServerForTest server(1, [](const RecordedRequest&) {
    return CannedResponse{403, R"({"errors":["permission denied"]})"};
  });
  EXPECT_EQ(RunAt(server, {"kv", "get", "secret/foo"}, 2), 2);
  EXPECT_NE(err().find("preflight capability check returned 403"), std::string::npos) << err();
}

TEST_F(KvTest, PutV2BodyAndOutput) {
  FakeServerForTest server(4, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                      {"PUT /v1/secret/data/foo", {200, kV2Write}}}));
  EXPECT_EQ(RunAt(server, {"kv", "put", "-cas=2", "secret/foo", "a=b"}, 2), 0) << err();
  EXPECT_EQ(out(), kPathAndMetadata + "version            3\n");
  EXPECT_EQ(RunAt(server, {"kv", "put", "-field=version", "secret/foo", "a=c"}, 2), 0) << err();
  EXPECT_EQ(out(), "3\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[1].body),
            Json::parse(R"({"data":{"a":"b"},"options":{"cas":2}})"));
  EXPECT_EQ(Json::parse(requests[3].body), Json::parse(R"({"data":{"a":"c"},"options":{}})"));
}

TEST_F(KvTest, PutV1AndUsage) {
  FakeServerForTest server(2, Routes({{"GET /v1/sys/internal/ui/mounts/kv1/foo", {200, kKv1Mount}},
                                      {"PUT /v1/kv1/foo", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"kv", "put", "kv1/foo", "a=b"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Data written to: kv1/foo\n");
  EXPECT_EQ(Json::parse(server.requests()[1].body), Json::parse(R"({"a":"b"})"));
  EXPECT_EQ(Run({"kv", "put", kNoServer, "kv1/foo"}), 2);
  EXPECT_EQ(err(), "Must supply data\n");
  EXPECT_EQ(Run({"kv", "put", kNoServer}), 2);
}

TEST_F(KvTest, PatchUsesMergePatchAndNeedsV2) {
  FakeServerForTest server(3,
                           Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                   {"PATCH /v1/secret/data/foo", {200, kV2Write}},
                                   {"GET /v1/sys/internal/ui/mounts/kv1/foo", {200, kKv1Mount}}}));
  EXPECT_EQ(RunAt(server, {"kv", "patch", "-cas=3", "secret/foo", "a=z"}, 2), 0) << err();
  EXPECT_NE(out().find("version            3\n"), std::string::npos);
  EXPECT_EQ(RunAt(server, {"kv", "patch", "kv1/foo", "a=z"}, 2), 1);
  EXPECT_EQ(err(), "K/V engine mount must be version 2 for patch support\n");
  const auto& requests = server.requests();
  EXPECT_EQ(requests[1].content_type, "application/merge-patch+json");
  EXPECT_EQ(Json::parse(requests[1].body),
            Json::parse(R"({"data":{"a":"z"},"options":{"cas":3}})"));
}

TEST_F(KvTest, DeleteUndeleteDestroy) {
  FakeServerForTest server(8, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                      {"DELETE /v1/secret/data/foo", {204, ""}},
                                      {"PUT /v1/secret/delete/foo", {204, ""}},
                                      {"PUT /v1/secret/undelete/foo", {204, ""}},
                                      {"PUT /v1/secret/destroy/foo", {204, ""}}}));
  EXPECT_EQ(RunAt(server, {"kv", "delete", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Data deleted (if it existed) at: secret/data/foo\n");
  EXPECT_EQ(RunAt(server, {"kv", "delete", "-versions=1,2", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Data deleted (if it existed) at: secret/data/foo\n");
  EXPECT_EQ(RunAt(server, {"kv", "undelete", "-versions=2", "secret/foo"}, 2), 0) << err();
  EXPECT_EQ(out(), "Success! Data written to: secret/undelete/foo\n");
  EXPECT_EQ(RunAt(server, {"kv", "destroy", "-versions", "1", "-versions=3", "secret/foo"}, 2), 0)
      << err();
  EXPECT_EQ(out(), "Success! Data written to: secret/destroy/foo\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[3].body), Json::parse(R"({"versions":["1","2"]})"));
  EXPECT_EQ(Json::parse(requests[5].body), Json::parse(R"({"versions":["2"]})"));
  EXPECT_EQ(Json::parse(requests[7].body), Json::parse(R"({"versions":["1","3"]})"));
}

TEST_F(KvTest, UndeleteNeedsVersionsAndV2) {
  EXPECT_EQ(Run({"kv", "undelete", kNoServer, "secret/foo"}), 2);
  EXPECT_EQ(err(),
            "No versions provided, use the \"-versions\" flag to specify the version to "
            "undelete.\n");
  FakeServerForTest server(1,
                           Routes({{"GET /v1/sys/internal/ui/mounts/kv1/foo", {200, kKv1Mount}}}));
  EXPECT_EQ(RunAt(server, {"kv", "destroy", "-versions=1", "kv1/foo"}, 2), 1);
  EXPECT_EQ(err(), "Destroy not supported on KV Version 1\n");
}

TEST_F(KvTest, ListV2UsesMetadataAndV1UsesPath) {
  FakeServerForTest server(
      4, Routes({{"GET /v1/sys/internal/ui/mounts/secret", {200, kSecretV2Mount}},
                 {"GET /v1/secret/metadata/?list=true", {200, R"({"data":{"keys":["foo"]}})"}},
                 {"GET /v1/sys/internal/ui/mounts/kv1/dir", {200, kKv1Mount}},
                 {"GET /v1/kv1/dir/?list=true", {200, R"({"data":{"keys":["x"]}})"}}}));
  EXPECT_EQ(RunAt(server, {"kv", "list", "secret"}, 2), 0) << err();
  EXPECT_EQ(out(), "Keys\n----\nfoo\n");
  EXPECT_EQ(RunAt(server, {"kv", "list", "-format=json", "kv1/dir"}, 2), 0) << err();
  EXPECT_EQ(Json::parse(out()), Json::parse(R"(["x"])"));
}

TEST_F(KvTest, MetadataGetTable) {
  const char metadata[] =
      R"({"data":{"cas_required":false,"created_time":"t0","current_version":2,)"
      R"("custom_metadata":{"owner":"al"},"delete_version_after":"0s","max_versions":0,)"
      R"("oldest_version":0,"updated_time":"t1","versions":{)"
      R"("10":{"created_time":"t10","deletion_time":"","destroyed":false},)"
      R"("2":{"created_time":"t2","deletion_time":"","destroyed":true}}}})";
  FakeServerForTest server(2, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                      {"GET /v1/secret/metadata/foo", {200, metadata}}}));
  EXPECT_EQ(RunAt(server, {"kv", "metadata", "get", "secret/foo"}, 3), 0) << err();
  EXPECT_EQ(out(),
            "== Metadata Path ==\n"
            "secret/metadata/foo\n"
            "\n"
            "========= Metadata ==========\n"
            "Key                     Value\n"
            "---                     -----\n"
            "cas_required            false\n"
            "created_time            t0\n"
            "current_version         2\n"
            "custom_metadata         map[owner:al]\n"
            "delete_version_after    0s\n"
            "max_versions            0\n"
            "oldest_version          0\n"
            "updated_time            t1\n"
            "\n"
            "===== Version 2 ======\n"
            "Key              Value\n"
            "---              -----\n"
            "created_time     t2\n"
            "deletion_time    n/a\n"
            "destroyed        true\n"
            "\n"
            "===== Version 10 =====\n"
            "Key              Value\n"
            "---              -----\n"
            "created_time     t10\n"
            "deletion_time    n/a\n"
            "destroyed        false\n");
}

TEST_F(KvTest, MetadataPutAndDelete) {
  FakeServerForTest server(4, Routes({{kPreflightSecret, {200, kSecretV2Mount}},
                                      {"PUT /v1/secret/metadata/foo", {204, ""}},
                                      {"DELETE /v1/secret/metadata/foo", {204, ""}}}));
  EXPECT_EQ(RunAt(server,
                  {"kv", "metadata", "put", "-max-versions=5", "-cas-required",
                   "-delete-version-after=1h", "-custom-metadata=owner=al",
                   "-custom-metadata=team=x,y", "secret/foo"},
                  3),
            0)
      << err();
  EXPECT_EQ(out(), "Success! Data written to: secret/metadata/foo\n");
  EXPECT_EQ(RunAt(server, {"kv", "metadata", "delete", "secret/foo"}, 3), 0) << err();
  EXPECT_EQ(out(), "Success! Data deleted (if it existed) at: secret/metadata/foo\n");
  const auto& requests = server.requests();
  EXPECT_EQ(Json::parse(requests[1].body),
            Json::parse(R"({"max_versions":5,"cas_required":true,"delete_version_after":"1h",)"
                        R"("custom_metadata":{"owner":"al","team":"x,y"}})"));
}

TEST_F(KvTest, MetadataOnV1IsRefused) {
  FakeServerForTest server(1,
                           Routes({{"GET /v1/sys/internal/ui/mounts/kv1/foo", {200, kKv1Mount}}}));
  EXPECT_EQ(RunAt(server, {"kv", "metadata", "get", "kv1/foo"}, 3), 1);
  EXPECT_EQ(err(), "Metadata not supported on KV Version 1\n");
}

}  // namespace
}  // namespace tresor::cli

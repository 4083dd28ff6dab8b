#include "core/audit/audit_broker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "common/temp_dir_for_test.h"
#include "core/audit/unused_port_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core::audit {
namespace {

constexpr char kToken[] = "hvs.the-client-token";
constexpr char kAccessor[] = "the-accessor";
constexpr char kSecret[] = "the-secret-value";

struct Fixture {
  Request request;
  AuditRecord record;
  Fixture() {
    request.operation = Operation::kUpdate;
    request.path = "secret/data/app";
    request.client_token = kToken;
    request.remote_address = "10.0.0.7:5555";
    request.request_id = "req-1";
    request.data = {{"data", {{"password", kSecret}, {"list", {kSecret, 3}}}}};
    engines::token::TokenEntry token;
    token.accessor = kAccessor;
    token.policies = {"default", "app"};
    token.display_name = "userpass-alice";
    record.request = &request;
    record.token = token;
    record.mount_type = "kv";
  }
};

DeviceConfig Config(std::map<std::string, std::string> options = {}) {
  DeviceConfig config;
  config.path = "file/";
  config.type = "file";
  config.options = std::move(options);
  config.salt = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  return config;
}

DeviceConfig Enabling(std::string path, std::string type,
                      std::map<std::string, std::string> options) {
  DeviceConfig config;
  config.path = std::move(path);
  config.type = std::move(type);
  config.options = std::move(options);
  return config;
}

bool IsHash(const nlohmann::json& value) {
  return value.is_string() && value.get<std::string>().starts_with("hmac-sha256:") &&
         value.get<std::string>().size() == 12 + 64;
}

TEST(AuditEntryTest, RequestEntryHasVaultsFieldsAndHashesSecrets) {
  Fixture f;
  nlohmann::json entry =
      Broker::FormatRequest(Config(), f.record, "2026-01-01T00:00:00Z", Status::Ok());
  EXPECT_EQ(entry["type"], "request");
  EXPECT_EQ(entry["time"], "2026-01-01T00:00:00Z");
  EXPECT_TRUE(IsHash(entry["auth"]["client_token"]));
  EXPECT_TRUE(IsHash(entry["auth"]["accessor"]));
  EXPECT_EQ(entry["auth"]["display_name"], "userpass-alice");
  EXPECT_EQ(entry["auth"]["policies"], nlohmann::json({"default", "app"}));
  EXPECT_EQ(entry["auth"]["token_type"], "service");
  EXPECT_EQ(entry["request"]["id"], "req-1");
  EXPECT_EQ(entry["request"]["operation"], "update");
  EXPECT_EQ(entry["request"]["path"], "secret/data/app");
  EXPECT_EQ(entry["request"]["mount_type"], "kv");
  EXPECT_EQ(entry["request"]["remote_address"], "10.0.0.7");
  EXPECT_EQ(entry["request"]["remote_port"], 5555);
  EXPECT_TRUE(IsHash(entry["request"]["client_token"]));
  EXPECT_TRUE(IsHash(entry["request"]["client_token_accessor"]));
  EXPECT_TRUE(IsHash(entry["request"]["data"]["data"]["password"]));
  EXPECT_TRUE(IsHash(entry["request"]["data"]["data"]["list"][0]));
  EXPECT_EQ(entry["request"]["data"]["data"]["list"][1], 3);
  EXPECT_FALSE(entry.contains("error"));
  const std::string line = entry.dump();
  for (const char* plaintext : {kToken, kAccessor, kSecret}) {
    EXPECT_EQ(line.find(plaintext), std::string::npos) << plaintext;
  }
}

TEST(AuditEntryTest, ResponseEntryHashesDataAuthAndWrapInfo) {
  Fixture f;
  Response response;
  response.data = {{"value", kSecret}, {"count", 2}};
  response.auth = {
      {"client_token", "hvs.new-token"}, {"accessor", "new-accessor"}, {"policies", {"default"}}};
  response.wrap_info = {{"token", "hvs.wrapping"},
                        {"accessor", "wrap-accessor"},
                        {"ttl", 60},
                        {"wrapped_accessor", "inner-accessor"}};
  response.warnings = {"a warning"};
  nlohmann::json entry = Broker::FormatResponse(Config(), f.record, "t", response);
  EXPECT_EQ(entry["type"], "response");
  EXPECT_TRUE(IsHash(entry["response"]["data"]["value"]));
  EXPECT_EQ(entry["response"]["data"]["count"], 2);
  EXPECT_TRUE(IsHash(entry["response"]["auth"]["client_token"]));
  EXPECT_TRUE(IsHash(entry["response"]["auth"]["accessor"]));
  EXPECT_EQ(entry["response"]["auth"]["policies"], nlohmann::json({"default"}));
  EXPECT_TRUE(IsHash(entry["response"]["wrap_info"]["token"]));
  EXPECT_TRUE(IsHash(entry["response"]["wrap_info"]["accessor"]));
  EXPECT_TRUE(IsHash(entry["response"]["wrap_info"]["wrapped_accessor"]));
  EXPECT_EQ(entry["response"]["wrap_info"]["ttl"], 60);
  EXPECT_EQ(entry["response"]["warnings"], nlohmann::json({"a warning"}));
  const std::string line = entry.dump();
  for (const char* plaintext : {kToken, kAccessor, kSecret, "hvs.new-token", "new-accessor",
                                "hvs.wrapping", "wrap-accessor", "inner-accessor"}) {
    EXPECT_EQ(line.find(plaintext), std::string::npos) << plaintext;
  }
}

TEST(AuditEntryTest, ErrorResponseCarriesTheMessage) {
  Fixture f;
  StatusOr<Response> denied = PermissionDeniedError();
  nlohmann::json entry = Broker::FormatResponse(Config(), f.record, "t", denied);
  EXPECT_EQ(entry["error"], "permission denied");
}

TEST(AuditEntryTest, OptionsChangeWhatIsHashed) {
  Fixture f;
  auto plain_accessor =
      Broker::FormatRequest(Config({{"hmac_accessor", "false"}}), f.record, "t", Status::Ok());
  EXPECT_EQ(plain_accessor["auth"]["accessor"], kAccessor);
  EXPECT_TRUE(IsHash(plain_accessor["auth"]["client_token"]));

  auto raw = Broker::FormatRequest(Config({{"log_raw", "true"}}), f.record, "t", Status::Ok());
  EXPECT_EQ(raw["request"]["client_token"], kToken);
  EXPECT_EQ(raw["request"]["data"]["data"]["password"], kSecret);

  f.request.operation = Operation::kList;
  Response listed = Response::Data({{"keys", {"a", "b", "c"}}});
  auto elided =
      Broker::FormatResponse(Config({{"elide_list_responses", "true"}}), f.record, "t", listed);
  EXPECT_EQ(elided["response"]["data"]["keys"], 3);
  auto kept = Broker::FormatResponse(Config(), f.record, "t", listed);
  EXPECT_TRUE(kept["response"]["data"]["keys"].is_array());
}

TEST(AuditEntryTest, SaltsDiffer) {
  Fixture f;
  DeviceConfig other = Config();
  other.salt = std::string(64, 'f');
  EXPECT_NE(Broker::FormatRequest(Config(), f.record, "t", Status::Ok())["request"]["client_token"],
            Broker::FormatRequest(other, f.record, "t", Status::Ok())["request"]["client_token"]);
}

class AuditBrokerTest : public ::testing::Test {
 protected:
  storage::InmemBackend barrier_;
  FakeClock clock_;
  TempDirForTest dir_;
  Fixture f_;
};

std::vector<nlohmann::json> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST_F(AuditBrokerTest, NoDeviceLogsNothingAndSucceeds) {
  Broker broker(barrier_, clock_);
  ASSERT_TRUE(broker.Load().ok());
  EXPECT_FALSE(broker.Enabled());
  EXPECT_TRUE(broker.LogRequest(f_.record).ok());
  EXPECT_FALSE(f_.record.request_logged);
}

TEST_F(AuditBrokerTest, FileDeviceWritesOneLinePerEntryAndPersists) {
  Broker broker(barrier_, clock_);
  ASSERT_TRUE(broker.Load().ok());
  DeviceConfig config =
      Enabling("file", "file", {{"file_path", dir_.File("audit.log")}, {"mode", "0640"}});
  ASSERT_TRUE(broker.Enable(config).ok());
  EXPECT_TRUE(broker.Enabled());
  ASSERT_TRUE(broker.LogRequest(f_.record).ok());
  EXPECT_TRUE(f_.record.request_logged);
  ASSERT_TRUE(broker.LogResponse(f_.record, Response::Data({{"k", "v"}})).ok());
  auto lines = ReadLines(dir_.File("audit.log"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["type"], "request");
  EXPECT_EQ(lines[1]["type"], "response");
  struct stat st {};
  ASSERT_EQ(::stat(dir_.File("audit.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);

  auto hash = broker.Hash("file/", kSecret);
  ASSERT_TRUE(hash.ok());
  // Another broker over the same barrier (a restart) has the device and salt.
  Broker reloaded(barrier_, clock_);
  ASSERT_TRUE(reloaded.Load().ok());
  ASSERT_EQ(reloaded.List().size(), 1u);
  EXPECT_EQ(reloaded.List()[0].path, "file/");
  EXPECT_EQ(*reloaded.Hash("file", kSecret), *hash);

  EXPECT_FALSE(broker.Enable(config).ok()) << "the path is taken";
  ASSERT_TRUE(broker.Disable("file/").ok());
  EXPECT_FALSE(broker.Enabled());
  Broker after_disable(barrier_, clock_);
  ASSERT_TRUE(after_disable.Load().ok());
  EXPECT_TRUE(after_disable.List().empty());
}

TEST_F(AuditBrokerTest, RejectsUnknownOptionsAndTypes) {
  Broker broker(barrier_, clock_);
  DeviceConfig config = Enabling("x", "file", {{"file_path", "discard"}, {"colour", "blue"}});
  Status refused = broker.Enable(config);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("colour"), std::string::npos);
  config.type = "tape";
  config.options = {};
  EXPECT_EQ(broker.Enable(config).code(), StatusCode::kInvalidArgument);
  config.type = "file";
  config.options = {{"file_path", "discard"}, {"format", "jsonx"}};
  EXPECT_EQ(broker.Enable(config).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(broker.List().empty());
}

TEST_F(AuditBrokerTest, FailsClosedWhenNoDeviceWrites) {
  Broker broker(barrier_, clock_);
  DeviceConfig config =
      Enabling("sock", "socket", {{"address", "127.0.0.1:" + std::to_string(UnusedPortForTest())}});
  ASSERT_TRUE(broker.Enable(config).ok());
  Status failed = broker.LogRequest(f_.record);
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_TRUE(failed.message().starts_with("audit logging failed")) << failed.message();
  EXPECT_FALSE(f_.record.request_logged);
  EXPECT_TRUE(broker.Failing());
  EXPECT_EQ(broker.LogResponse(f_.record, Response::Empty()).code(), StatusCode::kInternal);

  // One device that writes is enough.
  DeviceConfig file = Enabling("file", "file", {{"file_path", dir_.File("a.log")}});
  ASSERT_TRUE(broker.Enable(file).ok());
  EXPECT_TRUE(broker.LogRequest(f_.record).ok());
  EXPECT_EQ(ReadLines(dir_.File("a.log")).size(), 1u);
}

TEST_F(AuditBrokerTest, SocketPeerThatNeverReadsTimesOut) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 1), 0);  // connections complete; nothing reads
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  Broker broker(barrier_, clock_);
  // log_raw, so that the big value stays big.
  DeviceConfig config = Enabling("sock", "socket",
                                 {{"address", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port))},
                                  {"write_timeout", "1s"},
                                  {"log_raw", "true"}});
  ASSERT_TRUE(broker.Enable(config).ok());
  f_.request.data = {{"big", std::string(1 << 20, 'x')}};
  Status status;
  int writes = 0;
  const auto start = std::chrono::steady_clock::now();
  while (writes < 512 && (status = broker.LogRequest(f_.record)).ok()) ++writes;
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(listener);
  EXPECT_EQ(status.code(), StatusCode::kInternal) << writes << " " << status.message();
  EXPECT_NE(status.message().find("timed out"), std::string::npos) << status.message();
  // The failing write waited for its timeout (and one retry), not forever.
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(AuditBrokerTest, FileDeviceOnAPipeNobodyReadsTimesOut) {
  const std::string fifo = dir_.File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Without a reader the open itself fails, at once.
  Broker broker(barrier_, clock_);
  Status refused =
      broker.Enable(Enabling("fifo", "file", {{"file_path", fifo}, {"log_raw", "true"}}));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused.message();

  // A reader that never reads: writes fill the pipe, then time out.
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(
      broker.Enable(Enabling("fifo", "file", {{"file_path", fifo}, {"log_raw", "true"}})).ok());
  f_.request.data = {{"big", std::string(1 << 16, 'x')}};
  Status status;
  int writes = 0;
  while (writes < 64 && (status = broker.LogRequest(f_.record)).ok()) ++writes;
  ::close(reader);
  EXPECT_EQ(status.code(), StatusCode::kInternal) << writes;
  EXPECT_NE(status.message().find("timed out"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace tresor::core::audit

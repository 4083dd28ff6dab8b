// Socket tests of http::Server over TLS, with a self-signed certificate for
// 127.0.0.1 made by the openssl CLI in a temporary directory.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/temp_dir_for_test.h"
#include "http/server.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::FunctionHandler;
using testing::MakeRequest;
using testing::TlsClient;

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::MakeSelfSignedCert(dir_.path(), "server")); }

  ListenerOptions TlsOptions(std::string min_version = "tls12") {
    ListenerOptions options;
    options.address = "127.0.0.1:0";
    options.tls_cert_file = dir_.File("server.crt");
    options.tls_key_file = dir_.File("server.key");
    options.tls_min_version = std::move(min_version);
    return options;
  }

  // A client context that trusts only our certificate and checks that it
  // was issued for 127.0.0.1. max_version 0 means no upper bound.
  std::unique_ptr<net::ssl::context> ClientContext(int max_version = 0) {
    auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    context->load_verify_file(dir_.File("server.crt"));
    context->set_verify_mode(net::ssl::verify_peer);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(context->native_handle()), "127.0.0.1");
    if (max_version != 0) SSL_CTX_set_max_proto_version(context->native_handle(), max_version);
    return context;
  }

  TempDirForTest dir_;
  FunctionHandler handler_{[](const core::Request& request) -> StatusOr<core::Response> {
    return core::Response::Data({{"path", request.path}});
  }};
};

TEST_F(ServerTlsTest, RoundTripWithKeepAlive) {
  Server server(handler_, 1, 2);
  ASSERT_TRUE(server.AddListener(TlsOptions()).ok());
  server.Start();

  auto context = ClientContext();
  TlsClient client(*context);
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  auto ec = client.Handshake();
  ASSERT_FALSE(ec) << ec.message();
  for (const char* path : {"sys/health", "secret/data/a"}) {
    HttpResponse response =
        client.RoundTrip(MakeRequest(beast_http::verb::get, std::string("/v1/") + path));
    ASSERT_EQ(response.result_int(), 200);
    EXPECT_EQ(json::parse(response.body())["data"]["path"], path);
  }
  server.Shutdown(5s);
}

TEST_F(ServerTlsTest, Tls13MinimumRefusesTls12Client) {
  Server server(handler_, 1, 2);
  ASSERT_TRUE(server.AddListener(TlsOptions("tls13")).ok());
  server.Start();

  {
    auto context = ClientContext(TLS1_2_VERSION);
    TlsClient old_client(*context);
    ASSERT_FALSE(old_client.Connect(server.BoundAddress(0)));
    auto ec = old_client.Handshake();
    EXPECT_TRUE(ec) << "a TLS 1.2-only client completed a handshake";
    EXPECT_NE(ec, beast::error::timeout);
  }
  {
    auto context = ClientContext();
    TlsClient client(*context);
    ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
    ASSERT_FALSE(client.Handshake());
    EXPECT_EQ(SSL_version(client.stream().native_handle()), TLS1_3_VERSION);
    EXPECT_EQ(client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/a")).result_int(), 200);
  }
  server.Shutdown(5s);
}

TEST_F(ServerTlsTest, PlainTextClientOnTlsListenerIsDropped) {
  Server server(handler_, 1, 2);
  ASSERT_TRUE(server.AddListener(TlsOptions()).ok());
  server.Start();
  testing::PlainClient client;
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  ASSERT_FALSE(client.SendRaw("GET /v1/a HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(client.ReadUntilClosed(), beast::error::timeout);
  server.Shutdown(5s);
}

}  // namespace
}  // namespace tresor::http

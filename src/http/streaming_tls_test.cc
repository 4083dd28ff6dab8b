// Streamed responses and raw request bodies over a TLS listener: the same
// code path as plain TCP (streaming_test.cc), through Beast's ssl_stream.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/temp_dir_for_test.h"
#include "http/server.h"
#include "http/streaming_pieces_for_test.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::kMiB;
using testing::MakeRequest;
using testing::StreamingHandler;
using testing::TestPiece;
using testing::TlsClient;

TEST(StreamingTlsTest, StreamedDownloadAndRawUploadOverTls) {
  TempDirForTest dir;
  ASSERT_TRUE(testing::MakeSelfSignedCert(dir.path(), "server"));
  StreamingHandler handler;
  handler.stream = [](const StreamingHandler::Write& write) -> Status {
    for (int i = 0; i < 8; ++i) TRESOR_RETURN_IF_ERROR(write(TestPiece(i, kMiB)));
    return Status::Ok();
  };
  Server server(handler, 1, 2);
  ListenerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = dir.File("server.crt");
  options.tls_key_file = dir.File("server.key");
  options.max_request_size = 64 * 1024;
  ASSERT_TRUE(server.AddListener(options).ok());
  server.Start();

  net::ssl::context context(net::ssl::context::tls_client);
  context.load_verify_file(dir.File("server.crt"));
  context.set_verify_mode(net::ssl::verify_peer);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(context.native_handle()), "127.0.0.1");
  TlsClient client(context);
  ASSERT_FALSE(client.Connect(server.BoundAddress(0)));
  ASSERT_FALSE(client.Handshake());

  std::string expected;
  for (int i = 0; i < 8; ++i) expected += TestPiece(i, kMiB);
  HttpResponse download =
      client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot"));
  ASSERT_EQ(download.result_int(), 200);
  EXPECT_TRUE(download.chunked());
  EXPECT_EQ(Sha256Hex(download.body()), Sha256Hex(expected));

  HttpRequest upload = MakeRequest(beast_http::verb::put, "/v1/sys/storage/raft/snapshot-force");
  upload.body() = expected;
  upload.prepare_payload();
  HttpResponse uploaded = client.RoundTrip(std::move(upload));
  ASSERT_EQ(uploaded.result_int(), 200) << uploaded.body();
  EXPECT_EQ(json::parse(uploaded.body())["data"]["raw_sha256"], Sha256Hex(expected));
  server.Shutdown(5s);
}

}  // namespace
}  // namespace tresor::http

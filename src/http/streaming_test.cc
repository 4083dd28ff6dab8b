// Socket tests of streamed bodies through http::Server: a handler's
// body_stream sent chunked (64 MiB, a producer failing midway or at once,
// a client that stops reading while the server shuts down), raw request
// bodies (RequestHandler::WantsRawBody) larger than max_request_size, by
// Content-Length, chunked and with Expect: 100-continue, the 64 GiB cap,
// and a standby's 307 for raw and redirect-only requests. Plain TCP here;
// streaming_tls_test.cc repeats the essentials over TLS. No sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <string>

#include "http/server.h"
#include "http/streaming_pieces_for_test.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::kMiB;
using testing::MakeRequest;
using testing::PlainClient;
using testing::PlainLoopbackOptions;
using testing::StreamingHandler;
using testing::TestPiece;

class StreamingTest : public ::testing::Test {
 protected:
  void StartServer(ListenerOptions options = PlainLoopbackOptions()) {
    ASSERT_TRUE(server_.AddListener(options).ok());
    server_.Start();
    ASSERT_FALSE(client_.Connect(server_.BoundAddress(0)));
  }
  void TearDown() override { server_.Shutdown(5s); }

  // The head of an upload of `length` bytes to `target` that waits for 100
  // Continue before sending its body.
  static std::string UploadHeadExpectingContinue(const std::string& target, std::uint64_t length) {
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
           std::to_string(length) + "\r\nExpect: 100-continue\r\n";
  }

  // Sends a raw-body request's head alone (no body) and reads the answer.
  HttpResponse AnswerToHeadAlone(const std::string& head_lines) {
    HttpResponse response;
    EXPECT_FALSE(client_.SendRaw(head_lines + "\r\n"));
    EXPECT_FALSE(client_.Read(response));
    return response;
  }

  StreamingHandler handler_;
  Server server_{handler_, 1, 4};
  PlainClient client_;
};

TEST_F(StreamingTest, SixtyFourMebibytesArriveExactlyAndTheConnectionIsKeptAlive) {
  constexpr int kPieces = 64;
  handler_.stream = [](const StreamingHandler::Write& write) -> Status {
    for (int i = 0; i < kPieces; ++i) TRESOR_RETURN_IF_ERROR(write(TestPiece(i, kMiB)));
    return Status::Ok();
  };
  StartServer();
  std::string expected;
  for (int i = 0; i < kPieces; ++i) expected += TestPiece(i, kMiB);

  HttpResponse response =
      client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot"));
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_TRUE(response.chunked());
  EXPECT_EQ(response[beast_http::field::content_type], "application/gzip");
  EXPECT_EQ(response["X-Test"], "yes");
  EXPECT_EQ(response.body().size(), expected.size());
  EXPECT_EQ(Sha256Hex(response.body()), Sha256Hex(expected));
  EXPECT_TRUE(response.keep_alive());

  // The same connection serves the next request.
  HttpResponse next = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/health"));
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(json::parse(next.body())["data"]["path"], "sys/health");
}

TEST_F(StreamingTest, ProducerFailingMidwayTruncatesTheBodyAndTheServerGoesOn) {
  handler_.stream = [](const StreamingHandler::Write& write) -> Status {
    for (int i = 0; i < 3; ++i) TRESOR_RETURN_IF_ERROR(write(TestPiece(i, 64 * 1024)));
    return CorruptionError("the state store broke");
  };
  StartServer();
  auto request = MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot");
  ASSERT_FALSE(client_.Send(request));
  HttpResponse response;
  const auto ec = client_.Read(response);
  // No final chunk: the client must see the body as incomplete.
  EXPECT_TRUE(ec == beast_http::error::partial_message || ec == net::error::eof ||
              ec == net::error::connection_reset)
      << ec.message();

  PlainClient other;
  ASSERT_FALSE(other.Connect(server_.BoundAddress(0)));
  HttpResponse health = other.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/health"));
  EXPECT_EQ(health.result_int(), 200);
}

TEST_F(StreamingTest, ProducerFailingBeforeItsFirstByteGetsAnErrorResponse) {
  handler_.stream = [](const StreamingHandler::Write& write) -> Status {
    TRESOR_RETURN_IF_ERROR(write(""));  // ignored: no header goes out for it
    return FailedPreconditionError("no snapshot while sealed");
  };
  StartServer();
  HttpResponse response =
      client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot"));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(json::parse(response.body()), json({{"errors", {"no snapshot while sealed"}}}));
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(StreamingTest, HeadDoesNotRunTheProducer) {
  std::atomic<bool> produced{false};
  handler_.stream = [&produced](const StreamingHandler::Write& write) -> Status {
    produced = true;
    return write("body");
  };
  StartServer();
  HttpResponse response =
      client_.RoundTrip(MakeRequest(beast_http::verb::head, "/v1/sys/storage/raft/snapshot"));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[beast_http::field::content_type], "application/gzip");
  EXPECT_FALSE(produced);
  // Still in step: the next answer on the connection is the next request's.
  HttpResponse next = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/health"));
  EXPECT_EQ(next.result_int(), 200);
}

TEST_F(StreamingTest, ShutdownReleasesAProducerWhoseClientStoppedReading) {
  std::atomic<bool> write_failed{false};
  handler_.stream = [&write_failed](const StreamingHandler::Write& write) -> Status {
    // Far more than the socket buffers hold: write() blocks until shutdown.
    for (int i = 0; i < 4096; ++i) {
      Status status = write(TestPiece(i, kMiB));
      if (!status.ok()) {
        write_failed = true;
        return status;
      }
    }
    return Status::Ok();
  };
  StartServer();
  auto request = MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot");
  ASSERT_FALSE(client_.Send(request));
  // The header goes out with the first piece: the producer is running.
  beast_http::response_parser<beast_http::buffer_body> parser;
  ASSERT_FALSE(client_.ReadHeader(parser));
  EXPECT_EQ(parser.get().result_int(), 200);
  // The client reads no further. Shutdown must still return (joining the
  // worker that is blocked in write()).
  server_.Shutdown(100ms);
  EXPECT_TRUE(write_failed);
}

TEST_F(StreamingTest, RawBodyFarAboveMaxRequestSizeReachesTheHandlerIntact) {
  ListenerOptions options = PlainLoopbackOptions();
  options.max_request_size = kMiB;
  StartServer(options);
  std::string body;
  for (int i = 0; i < 40; ++i) body += TestPiece(i, kMiB);

  HttpRequest upload = MakeRequest(beast_http::verb::post, "/v1/sys/storage/raft/snapshot");
  upload.set(beast_http::field::content_type, "application/octet-stream");
  upload.body() = body;
  upload.prepare_payload();
  HttpResponse response = client_.RoundTrip(std::move(upload));
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const json data = json::parse(response.body())["data"];
  EXPECT_EQ(data["raw_size"], body.size());
  EXPECT_EQ(data["raw_sha256"], Sha256Hex(body));
  EXPECT_EQ(data["second_read_sha256"], Sha256Hex(""));  // streamed: read once
  EXPECT_TRUE(data["data_is_null"].get<bool>());
  EXPECT_TRUE(response.keep_alive());

  // An ordinary JSON body is still held to max_request_size. Half a MiB
  // over the limit: the server discards up to kMaxLingerBytes (1 MiB) after
  // its 413, so the client's send is not cut short by a reset (with 2 MiB it
  // sometimes was, and the test failed with "Broken pipe").
  std::string big_json = R"({"padding":")" + std::string(kMiB + kMiB / 2, 'x') + R"("})";
  HttpResponse refused =
      client_.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/secret/data/big", big_json));
  EXPECT_EQ(refused.result_int(), 413);
  EXPECT_EQ(json::parse(refused.body())["errors"][0],
            "request body too large: the limit is 1048576 bytes");
}

TEST_F(StreamingTest, ChunkedRawUploadWithExpectContinue) {
  StartServer();
  std::string body;
  for (int i = 0; i < 5; ++i) body += TestPiece(i, 300 * 1000);
  ASSERT_FALSE(
      client_.SendRaw("PUT /v1/sys/storage/raft/snapshot-force HTTP/1.1\r\nHost: x\r\n"
                      "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
  // Nothing of the body is sent before the server asks for it.
  beast_http::response_parser<beast_http::empty_body> interim;
  ASSERT_FALSE(client_.ReadHeader(interim));
  EXPECT_EQ(interim.get().result_int(), 100);

  std::string chunked;
  for (std::size_t offset = 0; offset < body.size(); offset += 300 * 1000) {
    const std::string piece = body.substr(offset, 300 * 1000);
    std::ostringstream size;
    size << std::hex << piece.size();
    chunked += size.str() + "\r\n" + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_FALSE(client_.SendRaw(chunked));
  HttpResponse response;
  ASSERT_FALSE(client_.Read(response));
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const json data = json::parse(response.body())["data"];
  EXPECT_EQ(data["raw_size"], body.size());
  EXPECT_EQ(data["raw_sha256"], Sha256Hex(body));
  EXPECT_EQ(data["operation"], "update");
}

// A handler that refuses before reading: with Expect: 100-continue the
// client is never asked for the body, gets the error, and the connection
// closes (the unread body cannot be taken for a next request).
TEST_F(StreamingTest, ARawBodyRefusedUnreadIsNeverAskedForAndClosesTheConnection) {
  handler_.refuse_raw_body = true;
  StartServer();
  HttpResponse response = AnswerToHeadAlone(
      UploadHeadExpectingContinue("/v1/sys/storage/raft/snapshot", 1000000));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(json::parse(response.body())["errors"][0], "refused before reading the body");
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(StreamingTest, EmptyRawBodyIsAnEmptyFile) {
  StartServer();
  HttpResponse response =
      client_.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/sys/storage/raft/snapshot"));
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json::parse(response.body())["data"]["raw_size"], 0);
}

TEST_F(StreamingTest, RawBodyOverTheCapIs413) {
  StartServer();
  HttpResponse response =
      AnswerToHeadAlone("POST /v1/sys/storage/raft/snapshot HTTP/1.1\r\nHost: x\r\n"
                        "Content-Length: " + std::to_string(kMaxRawBodyBytes + 1) + "\r\n");
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(json::parse(response.body())["errors"][0],
            "request body too large: the limit is " + std::to_string(kMaxRawBodyBytes) + " bytes");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(StreamingTest, StandbyRedirectsRawAndRedirectOnlyRequestsWithoutReadingTheBody) {
  handler_.forward_target = "http://127.0.0.1:1";
  handler_.redirect_only = true;
  StartServer();
  // A large upload announced with Expect: the 307 comes instead of 100.
  HttpResponse redirect = AnswerToHeadAlone(
      UploadHeadExpectingContinue("/v1/sys/storage/raft/snapshot?x=1", 1000000000));
  EXPECT_EQ(redirect.result_int(), 307);
  EXPECT_EQ(redirect[beast_http::field::location],
            "http://127.0.0.1:1/v1/sys/storage/raft/snapshot?x=1");
  EXPECT_FALSE(redirect.keep_alive());

  PlainClient get_client;
  ASSERT_FALSE(get_client.Connect(server_.BoundAddress(0)));
  HttpResponse get =
      get_client.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/sys/storage/raft/snapshot"));
  EXPECT_EQ(get.result_int(), 307);
  EXPECT_EQ(get[beast_http::field::location], "http://127.0.0.1:1/v1/sys/storage/raft/snapshot");
  EXPECT_TRUE(get.keep_alive());
  EXPECT_EQ(handler_.handled(), 0);
}

TEST_F(StreamingTest, StandbyWithoutAnActiveAnswers503ToARawUpload) {
  handler_.forward_target = "";
  StartServer();
  HttpRequest upload = MakeRequest(beast_http::verb::post, "/v1/sys/storage/raft/snapshot");
  upload.body() = "snapshot bytes";
  upload.prepare_payload();
  HttpResponse response = client_.RoundTrip(std::move(upload));
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(json::parse(response.body())["errors"][0],
            "local node not active but active cluster node not found");
}

}  // namespace
}  // namespace tresor::http

// HttpClient::Download and Upload against a scripted raw HTTP server on
// 127.0.0.1 (its own thread, one connection per scripted exchange): large
// chunked bodies, redirects, error bodies, a truncated body, Expect:
// 100-continue and its absence, a short file. No sleeps: the server thread
// is joined before its records are read.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>
#include <vector>

#include "cli/http_client.h"

namespace tresor::cli {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::ostringstream hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex << "0123456789abcdef"[digest[i] >> 4] << "0123456789abcdef"[digest[i] & 0xf];
  }
  return hex.str();
}

std::string TestBytes(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  for (char& c : out) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return out;
}

// `body` as a chunked HTTP/1.1 200 response in pieces of `piece` bytes;
// without the final empty chunk when `complete` is false.
std::string ChunkedResponse(const std::string& body, std::size_t piece, bool complete = true) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t offset = 0; offset < body.size(); offset += piece) {
    const std::string part = body.substr(offset, piece);
    std::ostringstream size;
    size << std::hex << part.size();
    out += size.str() + "\r\n" + part + "\r\n";
  }
  if (complete) out += "0\r\n\r\n";
  return out;
}

std::string JsonResponse(int status, const std::string& reason, const std::string& json,
                         const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json;
}

struct Seen {
  std::string method;
  std::string target;
  std::string content_type;
  std::string expect;
  std::string content_length;
  std::string body_sha256;
  std::size_t body_size = 0;
};

// What the server does with one connection.
struct Script {
  bool send_continue = false;  // answer Expect with 100 Continue first
  bool read_body = false;      // read the body before answering
  std::string response;        // raw bytes sent, then the connection closes
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::function<Script(const Seen&)>> scripts)
      : acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}), scripts_(std::move(scripts)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() { Wait(); }

  std::string address() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  const std::vector<Seen>& Wait() {
    if (thread_.joinable()) thread_.join();
    return seen_;
  }

 private:
  void Serve() {
    for (auto& script_for : scripts_) {
      asio::ip::tcp::socket socket(ioc_);
      bool accepted = false;
      acceptor_.async_accept(socket, [&](boost::system::error_code ec) { accepted = !ec; });
      ioc_.restart();
      ioc_.run_for(std::chrono::seconds(20));
      if (!accepted) return;
      boost::beast::flat_buffer buffer;
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // none: refused by Beast 1.74
      boost::system::error_code ec;
      http::read_header(socket, buffer, parser, ec);
      if (ec) return;
      Seen seen;
      const auto& header = parser.get();
      seen.method = std::string(header.method_string());
      seen.target = std::string(header.target());
      for (auto [field, out] : {std::pair{http::field::content_type, &seen.content_type},
                                {http::field::expect, &seen.expect},
                                {http::field::content_length, &seen.content_length}}) {
        if (auto it = header.find(field); it != header.end()) *out = std::string(it->value());
      }
      Script script = script_for(seen);
      if (script.send_continue) {
        asio::write(socket, asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), ec);
      }
      if (script.read_body) {
        http::read(socket, buffer, parser, ec);
        if (!ec) {
          seen.body_size = parser.get().body().size();
          seen.body_sha256 = Sha256Hex(parser.get().body());
        }
      }
      seen_.push_back(seen);
      asio::write(socket, asio::buffer(script.response), ec);
      socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::function<Script(const Seen&)>> scripts_;
  std::vector<Seen> seen_;
  std::thread thread_;
};

std::unique_ptr<HttpClient> TransferClientFor(const std::string& address) {
  ClientOptions options;
  options.address = address;
  options.token = "s.token";
  auto client = HttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(*client);
}

// A file with `bytes`, unlinked at once; the fd is closed by the destructor.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tresor-up-XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    EXPECT_GE(fd_, 0);
    ::unlink(pattern.c_str());
    EXPECT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  ~TempFile() { ::close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

TEST(HttpClientTransferTest, DownloadStreamsALargeChunkedBodyInPieces) {
  const std::string body = TestBytes(8 * 1024 * 1024 + 17, 1);
  ScriptedServer server({[&](const Seen&) {
    return Script{false, false, ChunkedResponse(body, 100000)};
  }});
  auto client = TransferClientFor(server.address());
  std::string received;
  std::size_t largest_piece = 0;
  HttpResponse error;
  auto status = client->Download(
      "/v1/sys/storage/raft/snapshot",
      [&](std::string_view piece) {
        received.append(piece);
        largest_piece = std::max(largest_piece, piece.size());
        return Status::Ok();
      },
      &error);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(received.size(), body.size());
  EXPECT_EQ(Sha256Hex(received), Sha256Hex(body));
  EXPECT_LE(largest_piece, 256u * 1024);  // never the whole body at once
  const auto& seen = server.Wait();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/v1/sys/storage/raft/snapshot");
}

TEST(HttpClientTransferTest, DownloadFollowsARedirect) {
  ScriptedServer* self = nullptr;
  ScriptedServer server({[&](const Seen&) {
                           return Script{
                               false, false,
                               JsonResponse(307, "Temporary Redirect", "",
                                            "Location: " + self->address() + "/v1/on/active\r\n")};
                         },
                         [&](const Seen&) {
                           return Script{false, false, ChunkedResponse("abc", 2)};
                         }});
  self = &server;
  auto client = TransferClientFor(server.address());
  std::string received;
  auto status = client->Download(
      "/v1/sys/storage/raft/snapshot",
      [&](std::string_view piece) {
        received.append(piece);
        return Status::Ok();
      },
      nullptr);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(received, "abc");
  const auto& seen = server.Wait();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].target, "/v1/on/active");
}

TEST(HttpClientTransferTest, DownloadErrorBodyGoesToTheErrorResponse) {
  ScriptedServer server({[](const Seen&) {
    return Script{false, false,
                  JsonResponse(400, "Bad Request", R"({"errors":["snapshots need raft"]})")};
  }});
  auto client = TransferClientFor(server.address());
  int sink_calls = 0;
  HttpResponse error;
  auto status = client->Download(
      "/v1/sys/storage/raft/snapshot",
      [&](std::string_view) {
        ++sink_calls;
        return Status::Ok();
      },
      &error);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(*status, 400);
  EXPECT_EQ(sink_calls, 0);
  EXPECT_EQ(error.status, 400);
  Status api = ApiErrorStatus("GET", client->url().Format("/v1/sys/storage/raft/snapshot"), error);
  EXPECT_EQ(api.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(api.message().find("* snapshots need raft"), std::string::npos) << api.message();
}

TEST(HttpClientTransferTest, TruncatedChunkedBodyIsAnError) {
  const std::string body = TestBytes(300000, 2);
  ScriptedServer server({[&](const Seen&) {
    return Script{false, false, ChunkedResponse(body, 65536, /*complete=*/false)};
  }});
  auto client = TransferClientFor(server.address());
  std::size_t received = 0;
  auto status = client->Download(
      "/v1/sys/storage/raft/snapshot",
      [&](std::string_view piece) {
        received += piece.size();
        return Status::Ok();
      },
      nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), StatusCode::kIOError);
  EXPECT_NE(status.status().message().find("incomplete"), std::string::npos);
  EXPECT_LE(received, body.size());
}

TEST(HttpClientTransferTest, SinkErrorStopsTheDownload) {
  ScriptedServer server({[](const Seen&) {
    return Script{false, false, ChunkedResponse(TestBytes(5000, 3), 1000)};
  }});
  auto client = TransferClientFor(server.address());
  auto status = client->Download(
      "/v1/x", [](std::string_view) { return IOError("disk full"); }, nullptr);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().message(), "disk full");
}

TEST(HttpClientTransferTest, UploadWaitsFor100ContinueAndSendsTheWholeFile) {
  const std::string body = TestBytes(3 * 1024 * 1024 + 5, 4);
  TempFile file(body);
  ScriptedServer server({[](const Seen&) {
    return Script{true, true, JsonResponse(200, "OK", R"({"data":{"restored":true}})")};
  }});
  auto client = TransferClientFor(server.address());
  auto response = client->Upload("POST", "/v1/sys/storage/raft/snapshot", file.fd(), body.size());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body["data"]["restored"], true);
  const auto& seen = server.Wait();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].content_type, "application/octet-stream");
  EXPECT_EQ(seen[0].expect, "100-continue");
  EXPECT_EQ(seen[0].content_length, std::to_string(body.size()));
  EXPECT_EQ(seen[0].body_size, body.size());
  EXPECT_EQ(seen[0].body_sha256, Sha256Hex(body));
}

TEST(HttpClientTransferTest, UploadRedirectedBeforeTheBodyResendsItToTheNewLocation) {
  const std::string body = TestBytes(2 * 1024 * 1024, 5);
  TempFile file(body);
  ScriptedServer* self = nullptr;
  ScriptedServer server(
      {[&](const Seen&) {
         // A standby: 307 at once, the body never read.
         return Script{false, false,
                       JsonResponse(307, "Temporary Redirect", "",
                                    "Location: " + self->address() + "/v1/active/restore\r\n")};
       },
       [](const Seen&) {
         return Script{true, true, JsonResponse(204, "No Content", "")};
       }});
  self = &server;
  auto client = TransferClientFor(server.address());
  auto response =
      client->Upload("PUT", "/v1/sys/storage/raft/snapshot-force", file.fd(), body.size());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 204);
  const auto& seen = server.Wait();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].target, "/v1/active/restore");
  EXPECT_EQ(seen[1].body_sha256, Sha256Hex(body));
}

TEST(HttpClientTransferTest, UploadToAServerThatIgnoresExpectStillSendsTheBody) {
  const std::string body = TestBytes(100000, 6);
  TempFile file(body);
  ScriptedServer server({[](const Seen&) {
    return Script{false, true, JsonResponse(400, "Bad Request", R"({"errors":["bad snapshot"]})")};
  }});
  auto client = TransferClientFor(server.address());
  auto response = client->Upload("POST", "/v1/sys/storage/raft/snapshot", file.fd(), body.size());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body["errors"][0], "bad snapshot");
  const auto& seen = server.Wait();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body_sha256, Sha256Hex(body));
}

TEST(HttpClientTransferTest, UploadOfAFileShorterThanItsSizeFails) {
  TempFile file("only this");
  ScriptedServer server({[](const Seen&) {
    return Script{true, true, JsonResponse(200, "OK", "{}")};
  }});
  auto client = TransferClientFor(server.address());
  auto response = client->Upload("POST", "/v1/sys/storage/raft/snapshot", file.fd(), 1000);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kIOError);
  EXPECT_NE(response.status().message().find("ended after 9 of 1000 bytes"), std::string::npos)
      << response.status().message();
}

}  // namespace
}  // namespace tresor::cli

// storage::EtcdHttpConnection: one HTTP/1.1 connection (plain or TLS) to an
// etcd member's JSON gateway, for EtcdClient (etcd_client.h) only.
//
// Why not Boost.Beast: the storage layer does not link tresor_beast_asio
// (Asio and Beast are compiled separately, cmake/BeastAsio.cmake), and the
// gateway needs little of HTTP: a POST with a JSON body, and a response
// framed by Content-Length or chunked (the gateway's streaming calls and
// its error answers come chunked, with trailers). OpenSSL does TLS.
//
// Threads: a connection is used by one thread at a time (EtcdClient keeps
// a pool of idle ones).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::storage {

// One member of the `address` list.
struct EtcdEndpoint {
  bool tls = false;
  std::string host;  // a name or an IP address, without brackets
  std::string port;
  std::string url;   // as the operator wrote it, for messages
};

struct EtcdHttpResponse {
  int status = 0;
  std::string body;
};

class EtcdHttpConnection {
 public:
  // Connects within `timeout`. tls_ctx is null for http://; for https://
  // the peer's certificate must match server_name (the endpoint's host when
  // empty). Unavailable when the member cannot be reached or the TLS
  // handshake fails.
  static StatusOr<std::unique_ptr<EtcdHttpConnection>> Connect(const EtcdEndpoint& endpoint,
                                                               SSL_CTX* tls_ctx,
                                                               const std::string& server_name,
                                                               std::chrono::milliseconds timeout);
  ~EtcdHttpConnection();
  EtcdHttpConnection(const EtcdHttpConnection&) = delete;
  EtcdHttpConnection& operator=(const EtcdHttpConnection&) = delete;

  // POSTs body (JSON) to path and reads the whole response. Unavailable
  // when the connection fails; *got_response_bytes says whether any byte of
  // the answer arrived (a request on a stale kept-alive connection that
  // the server had closed fails with none, and may be resent).
  StatusOr<EtcdHttpResponse> Post(std::string_view path, std::string_view authorization,
                                  std::string_view body, bool* got_response_bytes);

  // False once the server asked to close, or an error left the stream in
  // an unknown state.
  bool reusable() const { return reusable_; }

 private:
  EtcdHttpConnection(int fd, SSL* ssl, std::string host_header)
      : fd_(fd), ssl_(ssl), host_header_(std::move(host_header)) {}
  Status WriteAll(std::string_view data);
  // Appends at least one byte to buffer_; Unavailable on EOF or error.
  Status Fill();
  StatusOr<std::string> ReadLine();
  Status ReadExactly(std::size_t n, std::string& out);

  int fd_;
  SSL* ssl_;
  const std::string host_header_;
  std::string buffer_;       // read but not yet consumed
  std::size_t consumed_ = 0;  // bytes of buffer_ already consumed
  bool reusable_ = true;
  bool got_bytes_ = false;
};

}  // namespace tresor::storage

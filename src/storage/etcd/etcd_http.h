// storage::EtcdHttpConnection: one HTTP/1.1 connection (plain or TLS) to an
// etcd member's JSON gateway, for EtcdClient (etcd_client.h) only.
//
// Built on Boost.Beast over Boost.Asio (tresor_beast_asio, compiled
// separately: cmake/BeastAsio.cmake), with Asio's OpenSSL stream for
// https://. Beast's parser frames the answers, by Content-Length or chunked
// (the gateway's streaming calls and its error answers come chunked, with
// trailers). Every step (connect, handshake, the request and its answer)
// runs as an asynchronous Asio operation on the connection's own
// io_context, against a deadline of `timeout` from its start.
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
  // handshake fails. The connection takes its own reference on tls_ctx.
  static StatusOr<std::unique_ptr<EtcdHttpConnection>> Connect(const EtcdEndpoint& endpoint,
                                                               SSL_CTX* tls_ctx,
                                                               const std::string& server_name,
                                                               std::chrono::milliseconds timeout);
  ~EtcdHttpConnection();
  EtcdHttpConnection(const EtcdHttpConnection&) = delete;
  EtcdHttpConnection& operator=(const EtcdHttpConnection&) = delete;

  // POSTs body (JSON) to path and reads the whole response, sending and
  // reading each within the connection's timeout. Unavailable when the
  // connection fails or times out; *got_response_bytes says whether any
  // byte of the answer arrived (a request on a stale kept-alive connection
  // that the server had closed fails with none, and may be resent).
  StatusOr<EtcdHttpResponse> Post(std::string_view path, std::string_view authorization,
                                  std::string_view body, bool* got_response_bytes);

  // False once the server asked to close, or an error left the stream in
  // an unknown state.
  bool reusable() const { return reusable_; }

 private:
  struct Impl;  // the io_context, the socket or TLS stream, the read buffer
  explicit EtcdHttpConnection(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  bool reusable_ = true;
};

}  // namespace tresor::storage

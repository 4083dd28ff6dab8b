// The settings of one HTTP listener: where it binds, whether and how it
// speaks TLS, and the limits and timeouts every connection on it obeys.
//
// Filled in by server/ from a `listener "tcp" {...}` block (or by tests) and
// handed to http::Server::AddListener, which copies it.
//
// Thread safety: a plain value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tresor::http {

// The largest raw request body accepted (64 GiB: a snapshot restore,
// core::RequestHandler::WantsRawBody); a larger one is answered 413. The
// listener's max_request_size does not apply to raw bodies.
inline constexpr std::uint64_t kMaxRawBodyBytes = 64ull * 1024 * 1024 * 1024;


struct ListenerOptions {
  // "host:port" or "[v6-address]:port". Port 0 binds a free port; read the
  // chosen one back with Server::BoundAddress.
  std::string address = "127.0.0.1:8200";

  // When false, tls_cert_file and tls_key_file are required (PEM). The cert
  // file may hold the whole chain, leaf first.
  bool tls_disable = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // "tls10", "tls11", "tls12" or "tls13"; Vault's default is tls12.
  std::string tls_min_version = "tls12";

  // The largest request body accepted; a larger one is answered 413.
  std::size_t max_request_size = 32 * 1024 * 1024;

  // The request header must arrive within read_header_timeout of its first
  // byte (on a new connection: of the connection, TLS handshake included).
  std::chrono::seconds read_header_timeout{10};
  // The whole request (header and body) must arrive within read_timeout of
  // its first byte.
  std::chrono::seconds read_timeout{30};
  // The response must be written within write_timeout; 0 means no limit.
  std::chrono::seconds write_timeout{0};
  // A keep-alive connection with no request in flight is closed after this.
  std::chrono::seconds idle_timeout{300};
};

}  // namespace tresor::http

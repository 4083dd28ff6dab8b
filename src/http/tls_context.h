// Builds the OpenSSL server context for a TLS listener from its
// ListenerOptions: certificate chain and key from PEM files, the minimum
// protocol version, and a modern cipher list (ECDHE with AES-GCM or
// ChaCha20-Poly1305 for TLS 1.2; OpenSSL's TLS 1.3 suites).
//
// Called by http::Server::AddListener once per TLS listener, before any
// connection uses the context.
//
// Thread safety: the function is thread-safe; the returned context is
// shared read-only by all connections of the listener.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "http/listener_options.h"

namespace tresor::http {

// Maps "tls10".."tls13" to OpenSSL's protocol version constant.
// Returns InvalidArgument for anything else.
StatusOr<int> ParseTlsMinVersion(std::string_view name);

// REQUIRES: !options.tls_disable.
// Returns InvalidArgument naming the file when the certificate or key file
// is missing, unreadable, not PEM, or the key does not match the
// certificate; InvalidArgument for a bad tls_min_version. The private key is
// read by OpenSSL into its own memory; this code never holds it.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const ListenerOptions& options);

}  // namespace tresor::http

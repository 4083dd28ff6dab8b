// Internal to the CLI's HTTP client (http_client.cc, http_client_transfer.cc):
// opening one connection to the server, over TCP or TLS with the client's
// verification settings, and running asynchronous Beast operations on it
// against deadlines. Not for commands; they use HttpClient.
//
// Thread safety: everything here works on one io_context owned by the
// calling thread.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "cli/environment.h"
#include "cli/url.h"
#include "common/status.h"

namespace tresor::cli::internal {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Deadline = std::chrono::steady_clock::time_point;

inline Deadline After(std::chrono::nanoseconds duration) {
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
}

// Go prints error strings in lower case ("connection refused").
inline std::string Lower(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// Starts one asynchronous operation through `start(handler)` and runs the
// io_context until it completes or the deadline passes (timed_out). Other
// operations may be outstanding: they run too, and do not hold this up.
// A timed-out operation is abandoned; closing the socket cancels it.
template <typename Start>
error_code RunUntil(asio::io_context& ioc, Deadline deadline, Start start) {
  std::optional<error_code> result;
  start([&result](error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  while (!result && std::chrono::steady_clock::now() < deadline) {
    if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) break;
  }
  return result.value_or(asio::error::timed_out);
}

inline bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Connects to `url` (TLS as `tls` says: null for http://) and calls
// `use(stream)` with the ready stream: an asio::ip::tcp::socket or an
// ssl::stream<tcp::socket>. `prefix` starts every error message, Go-style
// ("Get \"http://...\": "). Resolving and connecting must finish by
// `connect_deadline`, the TLS handshake by `handshake_deadline`. Errors are
// Unavailable in Vault's words (dial tcp ..., tls: x509: ...).
template <typename R, typename Use>
StatusOr<R> WithConnection(asio::io_context& ioc, const Url& url, const ClientOptions& options,
                           ssl::context* tls, const std::string& prefix, Deadline connect_deadline,
                           Deadline handshake_deadline, Use&& use) {
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  error_code ec = RunUntil(ioc, connect_deadline, [&](auto handler) {
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&endpoints, handler](error_code ec, tcp::resolver::results_type r) {
                             endpoints = std::move(r);
                             handler(ec);
                           });
  });
  if (ec) {
    resolver.cancel();
    return UnavailableError(prefix + "dial tcp: lookup " + url.host + ": " +
                            (ec == asio::error::timed_out ? "i/o timeout" : Lower(ec.message())));
  }
  auto connect = [&](tcp::socket& socket) -> Status {
    error_code connect_ec = RunUntil(ioc, connect_deadline, [&](auto handler) {
      asio::async_connect(socket, endpoints, std::move(handler));
    });
    if (connect_ec) {
      return UnavailableError(prefix + "dial tcp " + url.HostPort() + ": " +
                              (connect_ec == asio::error::timed_out
                                   ? "i/o timeout"
                                   : "connect: " + Lower(connect_ec.message())));
    }
    return Status::Ok();
  };
  if (!url.tls) {
    tcp::socket socket(ioc);
    TRESOR_RETURN_IF_ERROR(connect(socket));
    return use(socket);
  }
  ssl::stream<tcp::socket> stream(ioc, *tls);
  const std::string server_name =
      options.tls_server_name.empty() ? url.host : options.tls_server_name;
  const bool name_is_ip = IsIpLiteral(server_name);
  // SNI carries DNS names only (RFC 6066 forbids IP literals).
  if (!name_is_ip && SSL_set_tlsext_host_name(stream.native_handle(), server_name.c_str()) != 1) {
    return InternalError("could not set the TLS server name");
  }
  if (!options.tls_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int set = name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), 0);
    if (set != 1) return InternalError("could not set the TLS name to verify");
  }
  TRESOR_RETURN_IF_ERROR(connect(stream.next_layer()));
  ec = RunUntil(ioc, handshake_deadline, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    long verify = SSL_get_verify_result(stream.native_handle());
    std::string why = verify != X509_V_OK
                          ? std::string("x509: ") + X509_verify_cert_error_string(verify)
                          : (ec == asio::error::timed_out ? std::string("handshake timeout")
                                                          : Lower(ec.message()));
    return UnavailableError(prefix + "tls: " + why);
  }
  return use(stream);
}

}  // namespace tresor::cli::internal

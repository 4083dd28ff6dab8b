#include "storage/etcd/etcd_http.h"

#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <utility>

namespace tresor::storage {
namespace {

// Unique names: the storage layer is compiled in unity batches.
namespace etcd_asio = boost::asio;
namespace etcd_ssl = boost::asio::ssl;
namespace etcd_http = boost::beast::http;
using EtcdTcp = boost::asio::ip::tcp;
using EtcdErrorCode = boost::system::error_code;
using EtcdDeadline = std::chrono::steady_clock::time_point;

// Bounds what one answer may hold in memory: a value is at most etcd's
// request limit (1.5 MiB by default, base64 makes it 2 MiB) and a list page
// is keys only, so anything near this is a broken or hostile peer.
constexpr std::uint64_t kEtcdMaxResponseBytes = 64u << 20;
constexpr std::uint32_t kEtcdMaxHeaderBytes = 64u << 10;

EtcdDeadline EtcdAfter(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

bool EtcdIsIpLiteral(const std::string& host) {
  EtcdErrorCode ec;
  etcd_asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct EtcdHttpConnection::Impl {
  etcd_asio::io_context ioc;  // first: destroyed after the sockets using it
  std::optional<EtcdTcp::socket> plain;                     // http://
  std::optional<etcd_ssl::stream<EtcdTcp::socket>> tls;     // https://
  boost::beast::flat_buffer buffer;  // read but not yet parsed
  std::string host_header;
  std::chrono::milliseconds timeout{0};

  EtcdTcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  // Starts one asynchronous operation through `start(handler)` and runs
  // the io_context until it completes or `deadline` passes (timed_out).
  // On a timeout the socket is closed, which cancels the operation, and
  // its handler is run before returning: nothing is left outstanding.
  template <typename Start>
  EtcdErrorCode RunUntil(EtcdDeadline deadline, Start start) {
    std::optional<EtcdErrorCode> result;
    start([&result](EtcdErrorCode ec, auto&&...) { result = ec; });
    ioc.restart();
    while (!result && std::chrono::steady_clock::now() < deadline) {
      if (ioc.run_one_until(deadline) == 0 && ioc.stopped()) break;
    }
    if (result) return *result;
    EtcdErrorCode ignored;
    socket().cancel(ignored);
    socket().close(ignored);
    ioc.restart();
    while (!result && ioc.run_one() != 0) {
    }
    return etcd_asio::error::timed_out;
  }
};

EtcdHttpConnection::EtcdHttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdHttpConnection::~EtcdHttpConnection() = default;

StatusOr<std::unique_ptr<EtcdHttpConnection>> EtcdHttpConnection::Connect(
    const EtcdEndpoint& endpoint, SSL_CTX* tls_ctx, const std::string& server_name,
    std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = timeout;
  impl->host_header = endpoint.host.find(':') != std::string::npos
                          ? "[" + endpoint.host + "]:" + endpoint.port
                          : endpoint.host + ":" + endpoint.port;
  const std::string prefix = "cannot connect to etcd at " + endpoint.url + ": ";

  EtcdErrorCode ec;
  EtcdTcp::resolver resolver(impl->ioc);
  EtcdTcp::resolver::results_type addresses = resolver.resolve(endpoint.host, endpoint.port, ec);
  if (ec) return UnavailableError(prefix + "cannot resolve " + endpoint.host + ": " + ec.message());

  const std::string& name = server_name.empty() ? endpoint.host : server_name;
  if (tls_ctx == nullptr) {
    impl->plain.emplace(impl->ioc);
  } else {
    // ssl::stream takes an ssl::context; this one wraps the client's
    // SSL_CTX (with a reference of its own, which it drops when it goes).
    // The stream's SSL holds its own reference to the SSL_CTX.
    SSL_CTX_up_ref(tls_ctx);
    etcd_ssl::context context(tls_ctx);
    impl->tls.emplace(impl->ioc, context);
    SSL* ssl = impl->tls->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    bool set;
    if (EtcdIsIpLiteral(name)) {
      // SNI carries DNS names only (RFC 6066 forbids IP literals).
      set = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1;
    } else {
      set = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
            X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0) == 1;
    }
    if (!set) return InternalError("could not set the TLS server name " + name);
    impl->tls->set_verify_mode(etcd_ssl::verify_peer, ec);
    if (ec) return InternalError("could not require TLS verification: " + ec.message());
  }

  ec = impl->RunUntil(EtcdAfter(timeout), [&](auto handler) {
    etcd_asio::async_connect(impl->socket(), addresses, std::move(handler));
  });
  if (ec == etcd_asio::error::timed_out) return UnavailableError(prefix + "connection timed out");
  if (ec) return UnavailableError(prefix + ec.message());
  EtcdErrorCode ignored;
  impl->socket().set_option(EtcdTcp::no_delay(true), ignored);

  if (impl->tls) {
    ec = impl->RunUntil(EtcdAfter(timeout), [&](auto handler) {
      impl->tls->async_handshake(etcd_ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      long verify = SSL_get_verify_result(impl->tls->native_handle());
      std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                        : ec == etcd_asio::error::timed_out ? std::string("timed out")
                                                            : ec.message();
      return UnavailableError("TLS handshake with etcd at " + endpoint.url + " failed: " + why);
    }
  }
  return std::unique_ptr<EtcdHttpConnection>(new EtcdHttpConnection(std::move(impl)));
}

StatusOr<EtcdHttpResponse> EtcdHttpConnection::Post(std::string_view path,
                                                    std::string_view authorization,
                                                    std::string_view body,
                                                    bool* got_response_bytes) {
  *got_response_bytes = false;
  // Whatever fails below leaves the stream in an unknown state.
  reusable_ = false;
  Impl& c = *impl_;

  etcd_http::request<etcd_http::string_body> request(
      etcd_http::verb::post, boost::beast::string_view(path.data(), path.size()), 11);
  request.set(etcd_http::field::host, c.host_header);
  request.set(etcd_http::field::content_type, "application/json");
  if (!authorization.empty()) {
    request.set(etcd_http::field::authorization,
                boost::beast::string_view(authorization.data(), authorization.size()));
  }
  request.body().assign(body);
  request.prepare_payload();

  EtcdErrorCode ec = c.RunUntil(EtcdAfter(c.timeout), [&](auto handler) {
    if (c.tls) {
      etcd_http::async_write(*c.tls, request, std::move(handler));
    } else {
      etcd_http::async_write(*c.plain, request, std::move(handler));
    }
  });
  if (ec == etcd_asio::error::timed_out) {
    return UnavailableError("etcd did not take the request in time (request_timeout)");
  }
  if (ec) return UnavailableError("writing to etcd: " + ec.message());

  etcd_http::response_parser<etcd_http::string_body> parser;
  parser.header_limit(kEtcdMaxHeaderBytes);
  parser.body_limit(kEtcdMaxResponseBytes);
  ec = c.RunUntil(EtcdAfter(c.timeout), [&](auto handler) {
    if (c.tls) {
      etcd_http::async_read(*c.tls, c.buffer, parser, std::move(handler));
    } else {
      etcd_http::async_read(*c.plain, c.buffer, parser, std::move(handler));
    }
  });
  *got_response_bytes = parser.got_some() || c.buffer.size() > 0;
  if (ec == etcd_asio::error::timed_out) {
    return UnavailableError("etcd did not answer in time (request_timeout)");
  }
  if (ec == etcd_http::error::end_of_stream || ec == etcd_http::error::partial_message ||
      ec == etcd_asio::error::eof || ec == etcd_ssl::error::stream_truncated) {
    return UnavailableError("etcd closed the connection");
  }
  if (ec == etcd_http::error::body_limit) {
    return IOError("etcd's answer is larger than " + std::to_string(kEtcdMaxResponseBytes) +
                   " bytes");
  }
  if (ec == etcd_http::error::header_limit) {
    return IOError("etcd's answer has headers larger than " +
                   std::to_string(kEtcdMaxHeaderBytes) + " bytes");
  }
  if (ec && ec.category() == etcd_http::make_error_code(etcd_http::error::bad_version).category()) {
    return IOError("etcd sent a malformed HTTP answer: " + ec.message());
  }
  if (ec) return UnavailableError("reading from etcd: " + ec.message());

  *got_response_bytes = true;
  // False for "Connection: close", HTTP/1.0 and an answer framed by the
  // end of the connection.
  reusable_ = parser.keep_alive();
  EtcdHttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  response.body = std::move(parser.get().body());
  return response;
}

}  // namespace tresor::storage

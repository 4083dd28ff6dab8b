#include "http/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

namespace tresor::http {
namespace {

namespace ssl = boost::asio::ssl;

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// OpenSSL's reason for the last failure, for the message (never key bytes).
std::string Reason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  ERR_clear_error();
  return reason;
}

}  // namespace

StatusOr<int> ParseTlsMinVersion(std::string_view name) {
  if (name == "tls10") return TLS1_VERSION;
  if (name == "tls11") return TLS1_1_VERSION;
  if (name == "tls12") return TLS1_2_VERSION;
  if (name == "tls13") return TLS1_3_VERSION;
  return InvalidArgumentError("invalid tls_min_version \"" + std::string(name) +
                              "\": want tls10, tls11, tls12 or tls13");
}

StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const ListenerOptions& options) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return InvalidArgumentError(
        "TLS is enabled but tls_cert_file or tls_key_file is not set (or set tls_disable)");
  }
  TRESOR_ASSIGN_OR_RETURN(int min_version, ParseTlsMinVersion(options.tls_min_version));

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, min_version) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1) {
    ERR_clear_error();
    return InternalError("failed to configure the TLS context");
  }

  boost::system::error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return InvalidArgumentError("failed to load TLS certificate file \"" + options.tls_cert_file +
                                "\": " + Reason(ec));
  }
  context->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) {
    return InvalidArgumentError("failed to load TLS key file \"" + options.tls_key_file +
                                "\": " + Reason(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("TLS key file \"" + options.tls_key_file +
                                "\" does not match certificate file \"" + options.tls_cert_file +
                                "\"");
  }
  return context;
}

}  // namespace tresor::http

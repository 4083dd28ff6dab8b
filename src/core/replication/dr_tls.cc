#include "core/replication/dr_tls.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/random.h"
#include "storage/replication_log.h"

namespace tresor::core::replication {
namespace {

constexpr int kValidDays = 3650;

std::string SslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return "DR channel: " + std::string(what) + ": " + buf;
}

StatusOr<SSL_CTX*> NewContext(bool server, std::string_view trusted_pem, const KeyPair* identity) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) return InternalError(SslError("creating a TLS context"));
  auto fail = [&](const std::string& what) {
    SSL_CTX_free(ctx);
    return InternalError(SslError(what));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  auto trusted = ParseCertPem(trusted_pem);
  if (!trusted.ok()) {
    SSL_CTX_free(ctx);
    return trusted.status();
  }
  if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), trusted->get()) != 1) {
    return fail("trusting the primary's CA");
  }
  if (identity != nullptr) {
    auto cert = ParseCertPem(identity->cert_pem);
    auto key = ParseKeyPem(identity->key_pem);
    if (!cert.ok() || !key.ok()) {
      SSL_CTX_free(ctx);
      return cert.ok() ? key.status() : cert.status();
    }
    if (SSL_CTX_use_certificate(ctx, cert->get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      return fail("loading this side's certificate");
    }
  }
  // The server asks for a client certificate and verifies one if given;
  // the client always verifies the server.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

void SetSocketTimeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

StatusOr<int> ConnectTcp(std::string address, std::chrono::milliseconds timeout) {
  // Cluster addresses are written as URLs in the config (cluster_addr).
  for (std::string_view scheme : {"https://", "http://", "tcp://"}) {
    if (address.starts_with(scheme)) address = address.substr(scheme.size());
  }
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgumentError("DR channel: \"" + address + "\" is not host:port");
  }
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return UnavailableError("DR channel: cannot resolve " + address + ": " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    SetSocketTimeout(fd, timeout);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return fd;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return UnavailableError("DR channel: cannot connect to " + address + ": " + last_error);
}

}  // namespace

StatusOr<KeyPair> CreateCa(std::string_view cluster_id) {
  return ::tresor::CreateCa("tresor-dr-primary-" + std::string(cluster_id), kValidDays);
}

StatusOr<KeyPair> IssueClientCert(const KeyPair& ca, std::string_view id) {
  return IssueCert(ca, id, CertUse::kClient, kValidDays);
}

TlsChannel::TlsChannel(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}

StatusOr<std::unique_ptr<TlsChannel>> TlsChannel::Wrap(int fd, bool server,
                                                       std::string_view trusted_pem,
                                                       const KeyPair* identity) {
  auto ctx = NewContext(server, trusted_pem, identity);
  if (!ctx.ok()) {
    ::close(fd);
    return ctx.status();
  }
  SSL* ssl = SSL_new(*ctx);
  std::unique_ptr<TlsChannel> channel(new TlsChannel(fd, *ctx, ssl));
  SSL_set_fd(ssl, fd);
  return channel;
}

TlsChannel::~TlsChannel() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

StatusOr<std::unique_ptr<TlsChannel>> TlsChannel::Accept(int fd, const KeyPair& ca,
                                                         std::chrono::milliseconds io_timeout) {
  SetSocketTimeout(fd, io_timeout);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // The go-ahead byte: the client starts TLS only after it, so that not a
  // byte of TLS was read by the cluster port's handshake reader.
  if (::send(fd, "K", 1, MSG_NOSIGNAL) != 1) {
    ::close(fd);
    return UnavailableError("DR channel: the peer went away");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<TlsChannel> channel,
                          Wrap(fd, /*server=*/true, ca.cert_pem, &ca));
  SSL* ssl = channel->ssl_;
  if (SSL_accept(ssl) != 1) return PermissionDeniedError(SslError("TLS handshake"));
  if (X509* peer = SSL_get0_peer_certificate(ssl)) {
    if (SSL_get_verify_result(ssl) != X509_V_OK) {
      return PermissionDeniedError("DR channel: the client certificate is not the primary's");
    }
    channel->peer_id_ = CommonNameOf(peer);
  }
  return channel;
}

StatusOr<std::unique_ptr<TlsChannel>> TlsChannel::Connect(const std::string& address,
                                                          std::string_view ca_cert_pem,
                                                          const KeyPair* client,
                                                          std::chrono::milliseconds io_timeout) {
  TRESOR_ASSIGN_OR_RETURN(int fd, ConnectTcp(address, io_timeout));
  std::string hello = storage::ReplicationChannelHello();
  char go = 0;
  if (::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()) ||
      ::recv(fd, &go, 1, MSG_WAITALL) != 1 || go != 'K') {
    ::close(fd);
    if (go == 'N') {
      return UnavailableError("DR channel: " + address +
                              " is not an unsealed node of a DR primary");
    }
    return UnavailableError("DR channel: " + address +
                            " did not accept the DR channel (not a Tresor cluster port?)");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<TlsChannel> channel,
                          Wrap(fd, /*server=*/false, ca_cert_pem, client));
  SSL* ssl = channel->ssl_;
  if (SSL_connect(ssl) != 1 || SSL_get_verify_result(ssl) != X509_V_OK) {
    return PermissionDeniedError(SslError("TLS handshake with " + address +
                                          " (is it the primary the token names?)"));
  }
  return channel;
}

void TlsChannel::SetTimeout(std::chrono::milliseconds timeout) { SetSocketTimeout(fd_, timeout); }

void TlsChannel::Interrupt() { ::shutdown(fd_, SHUT_RDWR); }

Status TlsChannel::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    int n = SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) return UnavailableError(SslError("writing"));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status TlsChannel::ReadExact(char* out, std::size_t size) {
  while (size > 0) {
    int n = SSL_read(ssl_, out, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
    if (n <= 0) return UnavailableError(SslError("reading (connection closed or timed out)"));
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status TlsChannel::WriteFrame(char type, std::string_view payload) {
  if (payload.size() + 1 > kMaxFrameBytes) return TooLargeError("DR channel: frame too large");
  std::string head(5, '\0');
  const std::uint32_t length = static_cast<std::uint32_t>(payload.size() + 1);
  for (int i = 0; i < 4; ++i) head[i] = static_cast<char>(length >> (24 - 8 * i));
  head[4] = type;
  if (payload.size() < 64 * 1024) {
    head.append(payload);
    return WriteAll(head);
  }
  TRESOR_RETURN_IF_ERROR(WriteAll(head));
  return WriteAll(payload);
}

StatusOr<TlsChannel::Frame> TlsChannel::ReadFrame() {
  char head[5];
  TRESOR_RETURN_IF_ERROR(ReadExact(head, sizeof(head)));
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(head[i]);
  if (length == 0 || length > kMaxFrameBytes) {
    return CorruptionError("DR channel: malformed frame");
  }
  Frame frame;
  frame.type = head[4];
  frame.payload.resize(length - 1);
  TRESOR_RETURN_IF_ERROR(ReadExact(frame.payload.data(), frame.payload.size()));
  return frame;
}

}  // namespace tresor::core::replication

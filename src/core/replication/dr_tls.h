// The DR channel's TLS (docs/replication.md, "The channel"): the primary's
// certificate authority, the client certificates it issues to secondaries,
// and a blocking TLS connection over a socket with length-prefixed frames.
//
// Trust is pinned, never taken from the system: a secondary accepts only a
// server whose certificate is the primary's CA certificate (carried in the
// activation token), and the primary accepts a client certificate only if
// its CA signed it; the certificate's common name is the secondary's id,
// which the primary then checks against its list (revoked, unknown).
// TLS 1.3 only. Keys are P-256.
//
// Threads: a TlsChannel belongs to one thread; the functions are stateless.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"
#include "common/x509_certs.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace tresor::core::replication {

// A certificate and its private key, PEM.
using KeyPair = ::tresor::CertKeyPair;

// A new self-signed CA for a primary cluster (10 years).
StatusOr<KeyPair> CreateCa(std::string_view cluster_id);
// A client certificate for secondary `id`, signed by `ca` (10 years).
StatusOr<KeyPair> IssueClientCert(const KeyPair& ca, std::string_view id);

// One TLS connection. Frames: u32 length (type byte included), u8 type,
// payload; at most kMaxFrameBytes.
// Bounds connecting and every single read or write on the channel.
inline constexpr std::chrono::seconds kChannelIoTimeout{30};

class TlsChannel {
 public:
  static constexpr std::size_t kMaxFrameBytes = std::size_t{64} << 20;
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // The primary's side, on an accepted socket (owned from now on): the
  // server identity is the CA itself; a client certificate is optional
  // (an activation has none) but must be the CA's when present.
  static StatusOr<std::unique_ptr<TlsChannel>> Accept(int fd, const KeyPair& ca,
                                                      std::chrono::milliseconds io_timeout);
  // The secondary's side: connects to host:port on the cluster port, asks
  // for the DR channel, and requires the server to present `ca_cert_pem`.
  // With `client` (after activation) it proves its identity.
  static StatusOr<std::unique_ptr<TlsChannel>> Connect(const std::string& address,
                                                       std::string_view ca_cert_pem,
                                                       const KeyPair* client,
                                                       std::chrono::milliseconds io_timeout);

  // The verified client certificate's common name ("" without one).
  const std::string& peer_id() const { return peer_id_; }

  Status WriteFrame(char type, std::string_view payload);
  struct Frame {
    char type = 0;
    std::string payload;
  };
  StatusOr<Frame> ReadFrame();
  // Changes the timeout of every later read and write.
  void SetTimeout(std::chrono::milliseconds timeout);
  // Cuts the connection: a read or write blocked in another thread fails.
  // Any thread, while the channel lives.
  void Interrupt();

 private:
  TlsChannel(int fd, SSL_CTX* ctx, SSL* ssl);
  // A channel over fd (owned from now on), before its TLS handshake.
  static StatusOr<std::unique_ptr<TlsChannel>> Wrap(int fd, bool server,
                                                    std::string_view trusted_pem,
                                                    const KeyPair* identity);
  Status WriteAll(std::string_view bytes);
  Status ReadExact(char* out, std::size_t size);

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::string peer_id_;
};

}  // namespace tresor::core::replication

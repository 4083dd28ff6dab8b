#include "raft/cluster_tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "common/encoding.h"
#include "common/random.h"
#include "common/x509_certs.h"

namespace tresor::raft {
namespace {

constexpr std::string_view kNodeNamePrefix = "tresor-raft-";

std::string SslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return "cluster TLS: " + std::string(what) + ": " + buf;
}

X509Ptr ReadCert(std::string_view pem) {
  auto cert = ParseCertPem(pem);
  return cert.ok() ? std::move(*cert) : X509Ptr();
}

}  // namespace

StatusOr<std::shared_ptr<const ClusterTls>> ClusterTls::Create(std::string_view record,
                                                               std::uint64_t self,
                                                               SystemTime now) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<ClusterCa> cas, ParseClusterCaRecord(record));
  std::shared_ptr<ClusterTls> tls(new ClusterTls);
  tls->record_ = std::string(record);
  tls->signing_index_ = ClusterCaSigningIndex(cas, now);
  tls->renew_after_ = now + std::chrono::hours(24) * kNodeCertValidDays / 2;
  CertKeyPair signer{cas[tls->signing_index_].cert_pem, cas[tls->signing_index_].key_pem};
  TRESOR_ASSIGN_OR_RETURN(CertKeyPair mine, IssueCert(signer, NodeCommonName(self),
                                                      CertUse::kServerAndClient,
                                                      kNodeCertValidDays));
  tls->ctx_ = SSL_CTX_new(TLS_method());
  if (tls->ctx_ == nullptr) return InternalError(SslError("creating a TLS context"));
  SSL_CTX* ctx = tls->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  // Every connection is a fresh full handshake: nothing to resume, and no
  // ticket key to keep.
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  for (const ClusterCa& ca : cas) {
    X509Ptr cert = ReadCert(ca.cert_pem);
    if (!cert || X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), cert.get()) != 1) {
      return CorruptionError(SslError("trusting a cluster CA"));
    }
  }
  X509Ptr cert = ReadCert(mine.cert_pem);
  auto key = ParseKeyPem(mine.key_pem);
  const bool loaded = cert && key.ok() && SSL_CTX_use_certificate(ctx, cert.get()) == 1 &&
                      SSL_CTX_use_PrivateKey(ctx, key->get()) == 1 &&
                      SSL_CTX_check_private_key(ctx) == 1;
  if (!loaded) return InternalError(SslError("loading this node's certificate"));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return std::shared_ptr<const ClusterTls>(std::move(tls));
}

ClusterTls::~ClusterTls() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

SSL* ClusterTls::NewSsl() const { return SSL_new(ctx_); }

bool ClusterTls::Stale(std::string_view record, SystemTime now) const {
  if (record != record_ || now >= renew_after_) return true;
  auto cas = ParseClusterCaRecord(record);
  return !cas.ok() || ClusterCaSigningIndex(*cas, now) != signing_index_;
}

std::string ClusterTls::NodeCommonName(std::uint64_t raft_id) {
  return std::string(kNodeNamePrefix) + std::to_string(raft_id);
}

Status ClusterTls::CheckPeer(SSL* ssl, std::uint64_t raft_id) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return PermissionDeniedError("the peer has no certificate of this cluster's CA");
  }
  const std::string common_name = CommonNameOf(peer);
  if (raft_id == 0 ? !common_name.starts_with(kNodeNamePrefix)
                   : common_name != NodeCommonName(raft_id)) {
    return PermissionDeniedError("the peer's certificate names \"" + common_name +
                                 "\", not " +
                                 (raft_id == 0 ? "a node" : NodeCommonName(raft_id)));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<BlockingTls>> BlockingTls::Handshake(int fd, const ClusterTls& tls,
                                                               bool server,
                                                               std::uint64_t peer_id) {
  SSL* ssl = tls.NewSsl();
  if (ssl == nullptr) return InternalError(SslError("creating a TLS connection"));
  std::unique_ptr<BlockingTls> channel(new BlockingTls(ssl));
  SSL_set_fd(ssl, fd);
  if ((server ? SSL_accept(ssl) : SSL_connect(ssl)) != 1) {
    return PermissionDeniedError(SslError("TLS handshake"));
  }
  TRESOR_RETURN_IF_ERROR(ClusterTls::CheckPeer(ssl, peer_id));
  return channel;
}

BlockingTls::~BlockingTls() {
  SSL_shutdown(ssl_);
  SSL_free(ssl_);
}

Status BlockingTls::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20));
    const int n = SSL_write(ssl_, bytes.data(), chunk);
    if (n <= 0) return UnavailableError(SslError("writing"));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status BlockingTls::ReadExact(char* out, std::size_t size) {
  while (size > 0) {
    const int chunk = static_cast<int>(std::min<std::size_t>(size, 1 << 20));
    const int n = SSL_read(ssl_, out, chunk);
    if (n <= 0) return UnavailableError(SslError("reading (connection closed or timed out)"));
    out += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace tresor::raft

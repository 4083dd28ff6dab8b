// Mutual TLS on the cluster port (docs/cluster-security.md, "TLS").
//
// The cluster CA lives in the barrier (core/ha.cc keeps it at
// core/raft/cluster-tls, next to the cluster key) as a record:
//   {"cas": [{"cert": PEM, "key": PEM, "created": unix seconds}, ...]}
// newest first, at most two. Every unsealed node reads it, trusts every CA
// in it, and mints a certificate of its own, for a key that never leaves its
// memory, named after its raft id and signed by the CA that signs at the time.
// Both sides of every raft and state-stream connection present their
// certificate and check the other's: chain to a trusted CA, and the common
// name of the raft id the connection claims.
//
// Rotation without downtime: RotateClusterTlsRecord puts a new CA in front.
// Every node trusts it as soon as it re-reads the record (core/ha.cc does so
// every few seconds), but the new CA signs node certificates only
// kCaActivationDelay after its creation, so no node presents a certificate
// that a peer does not trust yet. Open connections are not interrupted.
//
// Threads: a ClusterTls is immutable once made and may be shared
// (std::shared_ptr) across threads; NewSsl is thread-safe. A BlockingTls
// belongs to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/cluster_ca.h"
#include "common/secure_memory.h"
#include "common/status.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace tresor::raft {

// The record's functions and constants live in common/cluster_ca.h (core
// makes and rotates records); these names keep raft's code as it was.
using tresor::ClusterCaInfo;
using tresor::DescribeClusterTlsRecord;
using tresor::kCaActivationDelay;
using tresor::kClusterCaValidDays;
using tresor::kClusterTlsRefreshInterval;
using tresor::kNodeCertValidDays;
using tresor::NewClusterTlsRecord;
using tresor::RotateClusterTlsRecord;
using tresor::SystemTime;

class ClusterTls {
 public:
  // Parses `record`, trusts each CA in it and mints this node's certificate
  // (NodeCommonName(self)) for a fresh P-256 key.
  static StatusOr<std::shared_ptr<const ClusterTls>> Create(std::string_view record,
                                                            std::uint64_t self, SystemTime now);
  ~ClusterTls();
  ClusterTls(const ClusterTls&) = delete;
  ClusterTls& operator=(const ClusterTls&) = delete;

  // A new SSL for one connection, either role (the caller sets it): TLS 1.3
  // only, this node's certificate, the peer's required and verified.
  SSL* NewSsl() const;

  // Whether Create(record, self, now) would make something else: another
  // record, another signing CA, or this node's certificate past half its life.
  bool Stale(std::string_view record, SystemTime now) const;

  static std::string NodeCommonName(std::uint64_t raft_id);
  // After the handshake: the verified peer certificate must name `raft_id`
  // (0: any node of the cluster, for a peer whose id is not known yet).
  static Status CheckPeer(SSL* ssl, std::uint64_t raft_id);

 private:
  ClusterTls() = default;

  SSL_CTX* ctx_ = nullptr;
  std::string record_;
  std::size_t signing_index_ = 0;
  SystemTime renew_after_;
};

// TLS on a connected blocking socket (the state stream). The socket's own
// timeouts (SO_RCVTIMEO/SO_SNDTIMEO) bound every call. Does not own fd.
class BlockingTls {
 public:
  // Runs the handshake as server or client and checks the peer names
  // `peer_id` (0: any node).
  static StatusOr<std::unique_ptr<BlockingTls>> Handshake(int fd, const ClusterTls& tls,
                                                          bool server, std::uint64_t peer_id);
  ~BlockingTls();
  BlockingTls(const BlockingTls&) = delete;
  BlockingTls& operator=(const BlockingTls&) = delete;

  Status WriteAll(std::string_view bytes);
  Status ReadExact(char* out, std::size_t size);

 private:
  explicit BlockingTls(SSL* ssl) : ssl_(ssl) {}
  SSL* ssl_;
};

}  // namespace tresor::raft

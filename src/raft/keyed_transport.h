// KeyedTransport: libraft's `struct raft_uv_transport` over libuv TCP, for
// which every connection must first prove, in both directions, that its
// peer holds the cluster key. The raft cluster port therefore serves only
// members: a process without the key cannot join, vote or inject raft
// messages. docs/cluster-security.md describes the threat model.
//
// The handshake (raft/cluster_handshake.h), at the start of every connection
// (integers big-endian):
//   1. connector -> acceptor: "TRSRAFT1", connector raft id (u64), connector
//      address (u16 length, 1..255 bytes, no NUL), nonce_c (32 random bytes)
//   2. acceptor -> connector: nonce_a (32 random bytes),
//      proof_a = HMAC-SHA256(key, "acceptor" || nonce_c || nonce_a || id || address)
//   3. connector -> acceptor, once proof_a verified:
//      proof_c = HMAC-SHA256(key, "connector" || nonce_a || nonce_c || id || address)
// Proofs are compared in constant time. After step 3 both sides run TLS 1.3
// on the connection with the cluster's certificates (raft/cluster_tls.h),
// each checking that the other's certificate names the raft id it claims;
// only then does libraft get a stream (accept_cb on one side, the connect
// callback on the other). libraft speaks only to uv streams, so the stream
// it gets is one end of a socketpair and a TlsTunnel (raft/tls_tunnel.h)
// carries the bytes between it and the TLS connection.
//
// A hello with the magic "TRSSTAT1" asks for the state stream instead
// (raft/state_transfer.h); its proofs use their own labels. Once proven,
// such a connection goes to the state server set with SetStateServer (or
// is refused when none is), never to libraft. A hello with "TRSDREP1" is
// the DR channel: handed over unproven to the replication server. Only the acceptor side of it
// lives here: the connector is the blocking state transfer client.
//
// Any failure (no key, bad magic or proof, malformed hello, a peer that
// closes or stays silent for the handshake timeout) closes the connection,
// counts it in refused() and never reaches libraft's callbacks; an
// outgoing attempt that fails completes with RAFT_NOCONNECTION.
//
// Who calls it: raft::Node creates one per node, hands get() to
// raft_uv_init and SetKey()s the cluster key (kept in the barrier) on its
// raft thread. Tests drive it directly on a loop of their own.
//
// Threads: everything runs on the thread of the libuv loop given to the
// constructor (the raft thread); has_key(), refused() and port() may be
// read from any thread.
#pragma once

#include <spdlog/common.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/secure_memory.h"
#include "common/status.h"
#include "raft/cluster_tls.h"
#include "raft/libraft.h"

namespace tresor::raft {

class TlsTunnel;

class KeyedTransport {
 public:
  static constexpr std::chrono::milliseconds kDefaultHandshakeTimeout{5000};
  // At most this many connections may be mid-handshake at once; more are
  // refused at once, so that idle sockets cannot pile up.
  static constexpr std::size_t kMaxPendingHandshakes = 64;

  // REQUIRES: loop outlives this object. handshake_timeout bounds every
  // handshake, TCP connect included (tests pass a short one).
  explicit KeyedTransport(uv_loop_t* loop,
                          std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout);
  // REQUIRES: libraft's close (transport->close) has called its callback,
  // or the transport never listened nor connected.
  ~KeyedTransport();

  KeyedTransport(const KeyedTransport&) = delete;
  KeyedTransport& operator=(const KeyedTransport&) = delete;

  // The interface to pass to raft_uv_init; valid as long as this object.
  // Its `data` field belongs to the user (libraft sets it), `impl` to us.
  struct raft_uv_transport* get() {
    return &transport_;
  }

  // Replaces the cluster key (an empty key forgets it: every connection is
  // refused again). The old key and `key` are wiped. Connections already
  // proven stay open; handshakes in progress finish with the new key.
  // Raft thread only.
  void SetKey(std::string key);
  bool has_key() const { return has_key_.load(std::memory_order_relaxed); }

  // Replaces the certificates every new connection uses (null: none, every
  // connection is refused, as without a key). Open connections keep the
  // certificates they were made with. Raft thread only.
  void SetTls(std::shared_ptr<const ClusterTls> tls);
  bool has_tls() const { return has_tls_.load(std::memory_order_relaxed); }
  // How long bytes sent to a peer may go without any acknowledgement
  // (watched through TCP_INFO) and how long a TCP connect may take before
  // the peer counts as unreachable; 0 (the default) watches nothing. A peer
  // found unreachable is quarantined: its connections to us are closed, and
  // new ones go on only once a TCP connect from us to its address succeeds
  // within the timeout, so that a server that can send to us but not hear
  // us (an asymmetric partition) cannot keep us a follower. A connection we
  // make to it also ends the quarantine. Set before the node starts; raft
  // thread.
  void SetPeerTimeout(std::chrono::milliseconds timeout);
  // What a timed-out send to `peer` does (tests). Raft thread.
  void MarkUnreachableForTest(raft_id peer) { PeerUnreachable(peer); }

  // The certificates in use, for the state transfer client. Raft thread.
  std::shared_ptr<const ClusterTls> tls() const { return tls_; }

  // Who serves the state stream: called on the raft thread with a proven
  // connection's socket (blocking mode; the callee owns and closes it and
  // runs TLS on it with `tls`, checking the peer is `peer_id`) and the
  // peer's address, for logs. Set before the node starts. Raft thread.
  using StateServerFn = std::function<void(int fd, std::string peer, std::uint64_t peer_id,
                                           std::shared_ptr<const ClusterTls> tls)>;
  void SetStateServer(StateServerFn serve);
  // The same for the DR channel ("TRSDREP1"), whose connections are handed
  // over right after the hello, unproven (the DR server runs TLS on them).
  void SetReplicationServer(std::function<void(int fd, std::string peer)> serve);

  // A copy of the cluster key, for the state transfer client. Raft thread.
  SecureBytes KeyCopy() const;

  // How many connections were refused, in either direction: no key, bad
  // proof, malformed handshake, timeout, peer gone mid-handshake.
  // Canceled connects (close()) are not counted. Diagnostics and tests.
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

  // Binds and listens on `address` (a.b.c.d:port) now, before libraft
  // starts, so that a taken port fails the server's start with a message
  // naming it instead of the first write. libraft's listen then only
  // installs its accept callback; connections proven before that are
  // closed (the peer retries). Call before the loop runs or on its thread.
  Status Bind(const std::string& address);

  // The TCP port the listener is bound to; 0 before listen. Listening on
  // "host:0" binds an ephemeral port, which tests read here.
  int port() const { return port_.load(std::memory_order_relaxed); }

 private:
  struct Handshake;  // one connection being proven, in either direction

  // The raft_uv_transport entry points (see raft/uv.h for the contract).
  static int Init(struct raft_uv_transport* t, raft_id id, const char* address);
  static int Listen(struct raft_uv_transport* t, raft_uv_accept_cb cb);
  static int Connect(struct raft_uv_transport* t, struct raft_uv_connect* req, raft_id id,
                     const char* address, raft_uv_connect_cb cb);
  static void Close(struct raft_uv_transport* t, raft_uv_transport_close_cb cb);

  static void OnConnection(uv_stream_t* listener, int status);
  static void OnListenerClosed(uv_handle_t* handle);

  void SetError(const std::string& message);
  Handshake* NewHandshake(bool acceptor, std::string peer);
  // Called by a Handshake: it succeeded (proven) or failed (refused).
  void HandOver(Handshake* hs);
  // The proven raft connection gets TLS; libraft gets the tunnel's stream.
  void StartTls(Handshake* hs);
  void StartAckWatch();
  void WatchAcks();
  void PeerUnreachable(raft_id peer);
  void PeerReachable(raft_id peer);
  void HandOverPlain(Handshake* hs, uv_stream_t* plain);
  // The state and DR channels' socket goes, blocking, to their server.
  StatusOr<int> TakeBlockingSocket(uv_tcp_t* stream, const std::string& peer);
  // Closes a handshake that failed, counts and logs it (never a secret).
  void Refuse(Handshake* hs, const std::string& reason,
              spdlog::level::level_enum level = spdlog::level::warn);
  // Called when a Handshake has closed its last handle and is deleted.
  void Forget(Handshake* hs);
  void MaybeFireCloseCb();

  uv_loop_t* loop_;
  std::chrono::milliseconds handshake_timeout_;
  struct raft_uv_transport transport_ {};

  raft_id id_ = 0;
  std::string address_;  // this server's own address, sent in every hello
  raft_uv_accept_cb accept_cb_ = nullptr;
  StateServerFn state_server_;
  std::function<void(int fd, std::string peer)> replication_server_;

  uv_tcp_t listener_{};
  bool listener_open_ = false;  // initialised and its close callback not yet run
  std::atomic<int> port_{0};

  SecureBytes key_;
  std::atomic<bool> has_key_{false};
  std::shared_ptr<const ClusterTls> tls_;
  std::atomic<bool> has_tls_{false};
  std::atomic<std::uint64_t> refused_{0};

  // Every Handshake not yet deleted (some may be closing their handles);
  // `pending_` holds those still mid-handshake, which close() cancels.
  std::unordered_set<Handshake*> live_;
  std::unordered_set<Handshake*> pending_;
  // Every tunnel not yet gone (handed over or still in its TLS handshake);
  // close() waits for them.
  std::unordered_set<TlsTunnel*> tunnels_;
  // Tunnels handed to libraft, with the peer, socket and direction.
  struct OpenTunnel {
    raft_id peer;
    int fd;
    bool inbound;
    std::uint64_t silent_since = 0;  // uv_now of the first tick that saw no ACK
  };
  std::unordered_map<TlsTunnel*, OpenTunnel> open_;
  // Peers found unreachable: their connections need a probe first.
  std::unordered_set<raft_id> quarantine_;
  std::chrono::milliseconds peer_timeout_{0};
  uv_timer_t ack_watch_{};  // runs WatchAcks every fifth of the peer timeout
  bool ack_watch_open_ = false;

  bool closing_ = false;
  raft_uv_transport_close_cb close_cb_ = nullptr;

  friend struct Handshake;
};

}  // namespace tresor::raft

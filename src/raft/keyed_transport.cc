#include "raft/keyed_transport.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/check.h"
#include "common/random.h"
#include "raft/cluster_handshake.h"
#include "raft/tls_tunnel.h"

namespace tresor::raft {
namespace {

using handshake::Channel;
using handshake::kHelloHeadSize;
using handshake::kMaxAddressSize;
using handshake::kNonceSize;
using handshake::kProofSize;
constexpr std::size_t kMaxReadSize = kMaxAddressSize + kNonceSize;  // the hello's tail
constexpr int kListenBacklog = 128;
// Logged at debug only: no key is the normal state of a sealed node, and
// its peers knock every second.
constexpr const char* kNoKey = "no cluster key yet";

// "a.b.c.d:port", as libraft's own TCP transport accepts.
bool ParseIpv4(const std::string& address, bool allow_port_zero, sockaddr_in* out) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  unsigned long port = 0;
  for (std::size_t i = colon + 1; i < address.size(); ++i) {
    char c = address[i];
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned long>(c - '0');
    if (port > 65535) return false;
  }
  if (port == 0 && !allow_port_zero) return false;
  return uv_ip4_addr(address.substr(0, colon).c_str(), static_cast<int>(port), out) == 0;
}

std::string PeerName(const uv_tcp_t* tcp) {
  sockaddr_storage peer{};
  int len = sizeof(peer);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return "unknown peer";
  char host[64] = {};
  int port = 0;
  if (peer.ss_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&peer);
    uv_ip4_name(in4, host, sizeof(host));
    port = ntohs(in4->sin_port);
  } else if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    uv_ip6_name(in6, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

// One connection from TCP accept/connect until it is proven (handed to
// libraft) or refused. Owned by the transport's live_ set; deleted once its
// handles are closed (the TCP handle only when refused: a proven one now
// belongs to libraft).
struct KeyedTransport::Handshake {
  enum class Step {
    kConnecting,          // connector: TCP connect in flight
    kReadHelloHead,       // acceptor: magic, id, address length
    kReadHelloTail,       // acceptor: address, nonce_c
    kReadAcceptorProof,   // connector: nonce_a, proof_a
    kReadConnectorProof,  // acceptor: proof_c
    kProven,              // waiting only for our last write to complete
    kTls,                 // raft channel: the tunnel runs the TLS handshake
    kProbing,             // acceptor: can we reach this quarantined connector again?
  };

  struct Write {
    uv_write_t req{};
    std::string bytes;
    Handshake* hs = nullptr;
  };

  KeyedTransport* owner = nullptr;
  bool acceptor = false;
  std::string peer;         // for logs: the remote ip:port, or the address dialled
  uv_tcp_t* tcp = nullptr;  // raft_malloc'd: libraft raft_free()s the streams it is handed
  // During kTls: the tunnel, which owns the TCP handle now and takes its
  // place in open_handles until it reports ready or failed.
  TlsTunnel* tunnel = nullptr;
  bool tunnel_reported = false;
  // During kProbing: a TCP connect to the connector's own address.
  uv_tcp_t* probe = nullptr;
  uv_timer_t timer{};
  uv_connect_t connect_req{};
  uv_connect_t probe_req{};
  int open_handles = 0;
  int pending_writes = 0;
  bool closing = false;  // refused, canceled or handed over: no further steps
  Step step = Step::kConnecting;
  Channel channel = Channel::kRaft;  // the connector's choice (acceptor: from the hello)

  std::array<char, kMaxReadSize> in{};
  std::size_t received = 0;
  std::size_t wanted = 0;

  raft_id connector_id = 0;
  std::string connector_address;
  raft_id dialled_id = 0;  // connector: the server libraft asked for
  std::size_t address_length = 0;  // acceptor, between the two hello reads
  std::string nonce_c;
  std::string nonce_a;

  // Connector only: libraft's request, answered exactly once (unless the
  // attempt failed inside Connect, which then returns the error instead).
  struct raft_uv_connect* req = nullptr;
  int connect_status = RAFT_NOCONNECTION;

  const SecureBytes& key() const { return owner->key_; }

  void StartTimer() {
    std::chrono::milliseconds limit = owner->handshake_timeout_;
    // A TCP connect that takes longer than the peer timeout meets a black
    // hole (SYNs dropped): give up soon, so that libraft retries soon after
    // the path heals, and so that the peer counts as unreachable.
    if (step == Step::kConnecting && owner->peer_timeout_.count() > 0) {
      limit = std::min(limit, owner->peer_timeout_);
    }
    uv_timer_start(&timer, &Handshake::OnTimeout, static_cast<std::uint64_t>(limit.count()), 0);
  }

  // Reads exactly n bytes into `in`, then runs the step: never more, so
  // the bytes that follow the handshake stay in the socket for libraft.
  void Read(std::size_t n, Step next) {
    received = 0;
    wanted = n;
    step = next;
    int rv =
        uv_read_start(reinterpret_cast<uv_stream_t*>(tcp), &Handshake::OnAlloc, &Handshake::OnRead);
    if (rv != 0) owner->Refuse(this, std::string("cannot read: ") + uv_strerror(rv));
  }

  void Send(std::string bytes) {
    auto* write = new Write;
    write->bytes = std::move(bytes);
    write->hs = this;
    write->req.data = write;
    uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    int rv =
        uv_write(&write->req, reinterpret_cast<uv_stream_t*>(tcp), &buf, 1, &Handshake::OnWritten);
    if (rv != 0) {
      delete write;
      owner->Refuse(this, std::string("cannot write: ") + uv_strerror(rv));
      return;
    }
    ++pending_writes;
  }

  // Closes the handles; the connector's callback (if any) gets `status`
  // once they are closed.
  void Abort(int status) {
    closing = true;
    connect_status = status;
    owner->pending_.erase(this);
    if (tcp != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(tcp), &Handshake::OnClosed);
    if (probe != nullptr && !uv_is_closing(reinterpret_cast<uv_handle_t*>(probe))) {
      uv_close(reinterpret_cast<uv_handle_t*>(probe), &Handshake::OnClosed);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), &Handshake::OnClosed);
    if (TlsTunnel* t = tunnel; t != nullptr) {
      tunnel = nullptr;
      t->Shutdown();  // reports failed, which releases its slot
    }
  }

  // One of open_handles is done; the last one answers libraft (a failed
  // connect) and deletes this.
  void Release() {
    if (--open_handles > 0) return;
    if (req != nullptr) {
      struct raft_uv_connect* r = req;
      req = nullptr;
      r->cb(r, nullptr, connect_status);
    }
    owner->Forget(this);
  }

  void OnStepRead() {
    switch (step) {
      case Step::kReadHelloHead:
        OnHelloHead();
        return;
      case Step::kReadHelloTail:
        OnHelloTail();
        return;
      case Step::kReadAcceptorProof:
        OnAcceptorProof();
        return;
      case Step::kReadConnectorProof:
        OnConnectorProof();
        return;
      case Step::kConnecting:
      case Step::kProven:
      case Step::kTls:
      case Step::kProbing:
        break;
    }
    TRESOR_CHECK(!"a read completed in a step that reads nothing");
  }

  // Connector, TCP connected: step 1.
  void SendHello() {
    nonce_c = RandomBytes(kNonceSize);
    Send(handshake::Hello(channel, connector_id, connector_address, nonce_c));
    if (!closing) Read(2 * kNonceSize, Step::kReadAcceptorProof);
  }

  void OnHelloHead() {
    StatusOr<handshake::HelloHead> head =
        handshake::ParseHelloHead(std::string_view(in.data(), kHelloHeadSize));
    if (!head.ok()) {
      owner->Refuse(this, head.status().message());
      return;
    }
    if (head->channel == Channel::kState && !owner->state_server_) {
      owner->Refuse(this, "this node does not serve its state");
      return;
    }
    channel = head->channel;
    if (channel == Channel::kReplication) {
      // Authenticated by the DR server's TLS, not by the cluster key.
      if (!owner->replication_server_) {
        owner->Refuse(this, "this node does not serve DR replication");
        return;
      }
      owner->HandOver(this);
      return;
    }
    connector_id = head->connector_id;
    address_length = head->address_length;
    Read(address_length + kNonceSize, Step::kReadHelloTail);
  }

  // Acceptor: the hello's address and nonce.
  void OnHelloTail() {
    StatusOr<handshake::HelloTail> tail = handshake::ParseHelloTail(
        {channel, connector_id, address_length},
        std::string_view(in.data(), address_length + kNonceSize));
    if (!tail.ok()) {
      owner->Refuse(this, tail.status().message());
      return;
    }
    connector_address = std::move(tail->connector_address);
    nonce_c = std::move(tail->nonce_c);
    if (channel == Channel::kRaft && owner->quarantine_.count(connector_id) > 0) {
      StartProbe();
      return;
    }
    ProveToConnector();
  }

  // A quarantined peer knocks: it may be reachable again (a healed
  // partition), or still not (it can send but not hear us). A TCP connect
  // to its own address within the peer timeout tells which; the connection
  // goes on only then.
  void StartProbe() {
    sockaddr_in addr{};
    if (!ParseIpv4(connector_address, /*allow_port_zero=*/false, &addr)) {
      owner->Refuse(this, "this node cannot reach that server", spdlog::level::debug);
      return;
    }
    step = Step::kProbing;
    probe = new uv_tcp_t;
    uv_tcp_init(owner->loop_, probe);
    probe->data = this;
    ++open_handles;
    probe_req.data = this;
    if (uv_tcp_connect(&probe_req, probe, reinterpret_cast<const sockaddr*>(&addr),
                       &Handshake::OnProbed) != 0) {
      owner->Refuse(this, "this node cannot reach that server", spdlog::level::debug);
      return;
    }
    uv_timer_stop(&timer);
    uv_timer_start(&timer, &Handshake::OnTimeout,
                   static_cast<std::uint64_t>(owner->peer_timeout_.count()), 0);
  }

  static void OnProbed(uv_connect_t* req, int status) {
    auto* hs = static_cast<Handshake*>(req->data);
    if (hs->closing) return;
    uv_close(reinterpret_cast<uv_handle_t*>(hs->probe), &Handshake::OnClosed);
    if (status != 0) {
      hs->owner->Refuse(hs, "this node still cannot reach that server", spdlog::level::debug);
      return;
    }
    hs->owner->PeerReachable(hs->connector_id);
    uv_timer_stop(&hs->timer);
    hs->StartTimer();
    hs->ProveToConnector();
  }

  // Acceptor: step 2.
  void ProveToConnector() {
    if (key().empty()) {
      owner->Refuse(this, kNoKey, spdlog::level::debug);
      return;
    }
    nonce_a = RandomBytes(kNonceSize);
    std::string reply = nonce_a;
    reply +=
        handshake::AcceptorProof(key(), channel, nonce_c, nonce_a, connector_id, connector_address);
    Send(std::move(reply));
    if (!closing) Read(kProofSize, Step::kReadConnectorProof);
  }

  // Connector: checks step 2, sends step 3.
  void OnAcceptorProof() {
    nonce_a.assign(in.data(), kNonceSize);
    std::string_view proof_a(in.data() + kNonceSize, kProofSize);
    if (key().empty()) {
      owner->Refuse(this, kNoKey, spdlog::level::debug);
      return;
    }
    std::string expected =
        handshake::AcceptorProof(key(), channel, nonce_c, nonce_a, connector_id, connector_address);
    if (!ConstantTimeEquals(expected, proof_a)) {
      owner->Refuse(this, "the peer did not prove it holds the cluster key");
      return;
    }
    Send(handshake::ConnectorProof(key(), channel, nonce_a, nonce_c, connector_id,
                                   connector_address));
    if (closing) return;
    step = Step::kProven;
    MaybeHandOver();
  }

  // Acceptor: checks step 3.
  void OnConnectorProof() {
    std::string_view proof_c(in.data(), kProofSize);
    if (key().empty()) {
      owner->Refuse(this, kNoKey, spdlog::level::debug);
      return;
    }
    std::string expected = handshake::ConnectorProof(key(), channel, nonce_a, nonce_c, connector_id,
                                                     connector_address);
    if (!ConstantTimeEquals(expected, proof_c)) {
      owner->Refuse(this, "the peer did not prove it holds the cluster key");
      return;
    }
    step = Step::kProven;
    MaybeHandOver();
  }

  // libraft gets the stream only once nothing of ours is in flight on it.
  void MaybeHandOver() {
    if (!closing && step == Step::kProven && pending_writes == 0) owner->HandOver(this);
  }

  static void OnAlloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
    auto* hs = static_cast<Handshake*>(handle->data);
    *buf =
        uv_buf_init(hs->in.data() + hs->received, static_cast<unsigned>(hs->wanted - hs->received));
  }

  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
    auto* hs = static_cast<Handshake*>(stream->data);
    if (nread < 0) {
      // A connector whose peer hangs up before proving anything met a
      // sealed or quarantining server: normal, and retried many times a
      // second, so not a warning.
      const bool hung_up = nread == UV_EOF || nread == UV_ECONNRESET;
      hs->owner->Refuse(hs,
                        hung_up ? std::string("the peer closed the connection")
                                : std::string("read: ") + uv_strerror(static_cast<int>(nread)),
                        hung_up && !hs->acceptor ? spdlog::level::debug : spdlog::level::warn);
      return;
    }
    hs->received += static_cast<std::size_t>(nread);
    if (hs->received < hs->wanted) return;
    uv_read_stop(stream);
    hs->OnStepRead();
  }

  static void OnWritten(uv_write_t* req, int status) {
    auto* write = static_cast<Write*>(req->data);
    Handshake* hs = write->hs;
    delete write;
    --hs->pending_writes;
    if (hs->closing) return;  // canceled by our own uv_close: nothing to do
    if (status != 0) {
      hs->owner->Refuse(hs, std::string("write: ") + uv_strerror(status));
      return;
    }
    hs->MaybeHandOver();
  }

  static void OnConnected(uv_connect_t* req, int status) {
    auto* hs = static_cast<Handshake*>(req->data);
    if (hs->closing) return;
    if (status == 0) {
      hs->step = Step::kReadAcceptorProof;  // the connect phase's short limit is over
      uv_timer_stop(&hs->timer);
      hs->StartTimer();
    }
    if (status != 0) {
      // The peer is down or unreachable: not a refusal, and libraft logs
      // its own retries.
      spdlog::debug("raft: cannot connect to {}: {}", hs->peer, uv_strerror(status));
      hs->Abort(RAFT_NOCONNECTION);
      return;
    }
    hs->SendHello();
  }

  static void OnTimeout(uv_timer_t* timer) {
    auto* hs = static_cast<Handshake*>(timer->data);
    if (hs->step == Step::kProbing) {
      hs->owner->Refuse(hs, "this node still cannot reach that server", spdlog::level::debug);
      return;
    }
    if (hs->step == Step::kConnecting) {
      // Not a refusal: nothing answered. libraft retries.
      spdlog::debug("raft: connecting to {} timed out", hs->peer);
      hs->owner->PeerUnreachable(hs->dialled_id);
      hs->Abort(RAFT_NOCONNECTION);
      return;
    }
    hs->owner->Refuse(hs, "the handshake timed out");
  }

  static void OnClosed(uv_handle_t* handle) {
    auto* hs = static_cast<Handshake*>(handle->data);
    if (handle == reinterpret_cast<uv_handle_t*>(hs->tcp)) {
      raft_free(hs->tcp);
      hs->tcp = nullptr;
    } else if (handle == reinterpret_cast<uv_handle_t*>(hs->probe)) {
      delete hs->probe;
      hs->probe = nullptr;
    }
    hs->Release();
  }
};

KeyedTransport::KeyedTransport(uv_loop_t* loop, std::chrono::milliseconds handshake_timeout)
    : loop_(loop), handshake_timeout_(handshake_timeout) {
  transport_.impl = this;
  transport_.init = &KeyedTransport::Init;
  transport_.listen = &KeyedTransport::Listen;
  transport_.connect = &KeyedTransport::Connect;
  transport_.close = &KeyedTransport::Close;
}

KeyedTransport::~KeyedTransport() {
  // Open handles would call back into freed memory.
  TRESOR_CHECK(live_.empty() && !listener_open_);
}

void KeyedTransport::SetKey(std::string key) {
  SecureBytes fresh(key.begin(), key.end());
  SecureWipe(key);
  key_.swap(fresh);  // the old key is wiped when `fresh` is freed
  has_key_.store(!key_.empty(), std::memory_order_relaxed);
}

void KeyedTransport::SetTls(std::shared_ptr<const ClusterTls> tls) {
  tls_ = std::move(tls);
  has_tls_.store(tls_ != nullptr, std::memory_order_relaxed);
}

void KeyedTransport::SetError(const std::string& message) {
  std::snprintf(transport_.errmsg, sizeof(transport_.errmsg), "%s", message.c_str());
}

int KeyedTransport::Init(struct raft_uv_transport* t, raft_id id, const char* address) {
  auto* self = static_cast<KeyedTransport*>(t->impl);
  if (id == 0 || address == nullptr) return RAFT_INVALID;
  std::size_t length = std::strlen(address);
  if (length == 0 || length > kMaxAddressSize) {
    self->SetError("raft address must be 1 to 255 bytes");
    return RAFT_INVALID;
  }
  self->id_ = id;
  self->address_ = address;
  return 0;
}

Status KeyedTransport::Bind(const std::string& address) {
  if (listener_open_) return FailedPreconditionError("raft: the cluster port is already bound");
  sockaddr_in addr{};
  if (!ParseIpv4(address, /*allow_port_zero=*/true, &addr)) {
    return InvalidArgumentError("raft: cannot parse cluster address " + address +
                                " (want a.b.c.d:port)");
  }
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  listener_open_ = true;
  // libuv reports EADDRINUSE from uv_listen, not from uv_tcp_bind.
  int rv = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rv == 0) {
    rv = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), kListenBacklog,
                   &KeyedTransport::OnConnection);
  }
  if (rv != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), &KeyedTransport::OnListenerClosed);
    return IOError("raft: cannot listen on cluster address " + address + ": " + uv_strerror(rv));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  if (uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len) == 0 &&
      bound.ss_family == AF_INET) {
    port_ = ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  }
  return Status::Ok();
}

int KeyedTransport::Listen(struct raft_uv_transport* t, raft_uv_accept_cb cb) {
  auto* self = static_cast<KeyedTransport*>(t->impl);
  self->accept_cb_ = cb;
  if (!self->listener_open_) {  // else bound early by Bind()
    if (Status bound = self->Bind(self->address_); !bound.ok()) {
      self->SetError(std::string(bound.message()));
      return bound.code() == StatusCode::kInvalidArgument ? RAFT_INVALID : RAFT_IOERR;
    }
  }
  // Only now, with raft running: a node that never starts (its port
  // taken) must not leave a timer on the loop it closes.
  self->StartAckWatch();
  return 0;
}

KeyedTransport::Handshake* KeyedTransport::NewHandshake(bool acceptor, std::string peer) {
  auto* hs = new Handshake;
  hs->owner = this;
  hs->acceptor = acceptor;
  hs->peer = std::move(peer);
  hs->tcp = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
  TRESOR_CHECK(hs->tcp != nullptr);
  uv_tcp_init(loop_, hs->tcp);
  // Raft messages are small and pipelined: Nagle's algorithm would hold
  // each behind the peer's delayed ACK (40 ms on Linux). libuv applies the
  // flag when the socket is created (connect) or accepted.
  uv_tcp_nodelay(hs->tcp, 1);
  uv_timer_init(loop_, &hs->timer);
  hs->tcp->data = hs;
  hs->timer.data = hs;
  hs->connect_req.data = hs;
  hs->open_handles = 2;
  live_.insert(hs);
  pending_.insert(hs);
  return hs;
}

void KeyedTransport::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<KeyedTransport*>(listener->data);
  if (status != 0) {
    spdlog::warn("raft: accepting a connection failed: {}", uv_strerror(status));
    return;
  }
  Handshake* hs = self->NewHandshake(/*acceptor=*/true, "");
  if (int rv = uv_accept(listener, reinterpret_cast<uv_stream_t*>(hs->tcp)); rv != 0) {
    self->Refuse(hs, std::string("accept: ") + uv_strerror(rv));
    return;
  }
  hs->peer = PeerName(hs->tcp);
  if (self->key_.empty() || self->tls_ == nullptr) {
    self->Refuse(hs, kNoKey, spdlog::level::debug);
    return;
  }
  if (self->pending_.size() > kMaxPendingHandshakes) {
    self->Refuse(hs, "too many handshakes in progress");
    return;
  }
  hs->StartTimer();
  hs->Read(kHelloHeadSize, Handshake::Step::kReadHelloHead);
}

int KeyedTransport::Connect(struct raft_uv_transport* t, struct raft_uv_connect* req, raft_id id,
                            const char* address, raft_uv_connect_cb cb) {
  auto* self = static_cast<KeyedTransport*>(t->impl);
  if (self->closing_) return RAFT_CANCELED;
  if (self->id_ == 0) {
    self->SetError("transport not initialised");
    return RAFT_INVALID;
  }
  sockaddr_in addr{};
  if (address == nullptr || !ParseIpv4(address, /*allow_port_zero=*/false, &addr)) {
    self->SetError(std::string("cannot parse raft address ") + (address ? address : "(null)"));
    return RAFT_NOCONNECTION;
  }
  if (self->key_.empty() || self->tls_ == nullptr) {
    // Refused before dialling: without the key we could not check the
    // peer's proof. libraft retries after its connect retry delay.
    self->refused_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("raft: not connecting to server {} at {}: no cluster key yet", id, address);
    self->SetError("no cluster key yet");
    return RAFT_NOCONNECTION;
  }
  Handshake* hs = self->NewHandshake(/*acceptor=*/false, address);
  hs->connector_id = self->id_;
  hs->connector_address = self->address_;
  hs->dialled_id = id;
  int rv = uv_tcp_connect(&hs->connect_req, hs->tcp, reinterpret_cast<const sockaddr*>(&addr),
                          &Handshake::OnConnected);
  if (rv != 0) {
    hs->Abort(RAFT_NOCONNECTION);  // req not set yet: libraft hears the error from us
    self->SetError(std::string("cannot connect to ") + address + ": " + uv_strerror(rv));
    return RAFT_NOCONNECTION;
  }
  req->cb = cb;
  hs->req = req;
  hs->StartTimer();
  return 0;
}

void KeyedTransport::Refuse(Handshake* hs, const std::string& reason,
                            spdlog::level::level_enum level) {
  if (hs->closing) return;
  refused_.fetch_add(1, std::memory_order_relaxed);
  std::string who = hs->acceptor ? "from " + hs->peer : "to " + hs->peer;
  if (hs->acceptor && hs->connector_id != 0) {
    who += " (claiming raft id " + std::to_string(hs->connector_id) + ")";
  }
  spdlog::log(level, "raft: refused the {} connection {}: {}",
              hs->acceptor ? "incoming" : "outgoing", who, reason);
  hs->Abort(RAFT_NOCONNECTION);
}

void KeyedTransport::HandOver(Handshake* hs) {
  if (hs->channel == Channel::kRaft) {
    StartTls(hs);
    return;
  }
  // The state and DR channels (acceptor side only) go to their servers.
  if (hs->channel == Channel::kState && tls_ == nullptr) {
    Refuse(hs, kNoKey, spdlog::level::debug);
    return;
  }
  hs->closing = true;
  pending_.erase(hs);
  uv_timer_stop(&hs->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&hs->timer), &Handshake::OnClosed);
  uv_tcp_t* stream = hs->tcp;
  hs->tcp = nullptr;
  --hs->open_handles;
  StatusOr<int> fd = TakeBlockingSocket(stream, hs->peer);
  if (!fd.ok()) return;
  if (hs->channel == Channel::kState) {
    state_server_(*fd, hs->peer, hs->connector_id, tls_);
  } else {
    replication_server_(*fd, hs->peer);
  }
}

void KeyedTransport::StartTls(Handshake* hs) {
  SSL* ssl = tls_ != nullptr ? tls_->NewSsl() : nullptr;
  if (ssl == nullptr) {
    Refuse(hs, kNoKey, spdlog::level::debug);
    return;
  }
  uv_tcp_t* tcp = hs->tcp;
  hs->tcp = nullptr;  // the tunnel's now, and its slot in open_handles
  tcp->data = nullptr;
  hs->step = Handshake::Step::kTls;
  const raft_id peer_id = hs->acceptor ? hs->connector_id : hs->dialled_id;
  TlsTunnel::Callbacks callbacks;
  callbacks.check_peer = [peer_id](SSL* s) { return ClusterTls::CheckPeer(s, peer_id); };
  auto self = std::make_shared<TlsTunnel*>(nullptr);
  const bool inbound = hs->acceptor;
  int fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd);
  callbacks.on_ready = [this, hs, self, inbound, peer_id, fd](uv_stream_t* plain) {
    hs->tunnel = nullptr;
    hs->tunnel_reported = true;
    open_.insert_or_assign(*self, OpenTunnel{peer_id, fd, inbound});
    if (!inbound) PeerReachable(peer_id);
    HandOverPlain(hs, plain);
  };
  callbacks.on_closed = [this, self](int) { open_.erase(*self); };
  callbacks.on_failed = [this, hs](std::string reason) {
    hs->tunnel = nullptr;
    hs->tunnel_reported = true;
    Refuse(hs, reason);  // nothing when canceled already
    hs->Release();
  };
  callbacks.on_gone = [this, self] {
    open_.erase(*self);
    tunnels_.erase(*self);
    MaybeFireCloseCb();
  };
  TlsTunnel* tunnel = TlsTunnel::Start(loop_, tcp, ssl, hs->acceptor, std::move(callbacks));
  *self = tunnel;
  tunnels_.insert(tunnel);
  if (!hs->tunnel_reported) hs->tunnel = tunnel;
}

void KeyedTransport::SetPeerTimeout(std::chrono::milliseconds timeout) { peer_timeout_ = timeout; }

void KeyedTransport::StartAckWatch() {
  const std::chrono::milliseconds timeout = peer_timeout_;
  if (timeout.count() <= 0 || ack_watch_open_) return;
  uv_timer_init(loop_, &ack_watch_);
  ack_watch_.data = this;
  ack_watch_open_ = true;
  const auto every = static_cast<std::uint64_t>(std::max<std::int64_t>(timeout.count() / 5, 10));
  uv_timer_start(
      &ack_watch_, [](uv_timer_t* t) { static_cast<KeyedTransport*>(t->data)->WatchAcks(); },
      every, every);
  // The watch must not keep a loop alive that has nothing else to do.
  uv_unref(reinterpret_cast<uv_handle_t*>(&ack_watch_));
}

void KeyedTransport::WatchAcks() {
  // TCP_INFO, not TCP_USER_TIMEOUT: a peer that is merely slow to read
  // (a zero window, whose probes it acknowledges) is reachable, and
  // TCP_USER_TIMEOUT would abort its connection too.
  // A connection idle for long has an old last ACK: what it sends next is
  // unacknowledged for a round trip without anything being wrong, so the
  // silence must also be seen on ticks half a timeout apart.
  const std::uint64_t now = uv_now(loop_);
  const auto timeout = static_cast<std::uint64_t>(peer_timeout_.count());
  std::vector<std::pair<TlsTunnel*, OpenTunnel>> silent;
  for (auto& [tunnel, open] : open_) {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (::getsockopt(open.fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) continue;
    if (info.tcpi_unacked == 0 || info.tcpi_last_ack_recv <= timeout) {
      open.silent_since = 0;
    } else if (open.silent_since == 0) {
      open.silent_since = now;
    } else if (now - open.silent_since >= timeout / 2) {
      silent.emplace_back(tunnel, open);
    }
  }
  for (const auto& [tunnel, open] : silent) {
    PeerUnreachable(open.peer);
    if (open_.count(tunnel) > 0) tunnel->Shutdown();  // libraft reconnects, or learns it cannot
  }
}

void KeyedTransport::PeerUnreachable(raft_id peer) {
  if (peer == 0 || peer_timeout_.count() <= 0) return;
  if (quarantine_.insert(peer).second) {
    spdlog::info("raft: server {} does not acknowledge what this node sends; its connections to "
                 "this node are closed until it can be reached",
                 peer);
  }
  // A peer that can send to us but cannot hear us (an asymmetric partition)
  // would otherwise keep this node a follower with heartbeats it cannot
  // answer: without them, this node's election timer runs out and the
  // servers that can talk to each other elect a leader.
  std::vector<TlsTunnel*> cut;
  for (const auto& [tunnel, open] : open_) {
    if (open.inbound && open.peer == peer) cut.push_back(tunnel);
  }
  for (TlsTunnel* tunnel : cut) tunnel->Shutdown();
}

void KeyedTransport::PeerReachable(raft_id peer) {
  if (quarantine_.erase(peer) > 0) spdlog::info("raft: server {} can be reached again", peer);
}

void KeyedTransport::HandOverPlain(Handshake* hs, uv_stream_t* plain) {
  auto close_plain = [plain] {
    uv_close(reinterpret_cast<uv_handle_t*>(plain), [](uv_handle_t* h) { raft_free(h); });
  };
  if (hs->closing) {  // canceled while the tunnel finished its handshake
    close_plain();
    hs->Release();
    return;
  }
  hs->closing = true;
  pending_.erase(hs);
  uv_timer_stop(&hs->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&hs->timer), &Handshake::OnClosed);
  hs->Release();  // the tunnel's slot; the timer's close deletes hs
  if (hs->acceptor) {
    if (accept_cb_ == nullptr) {
      close_plain();  // bound early, raft not started yet: the peer will retry
      return;
    }
    accept_cb_(&transport_, hs->connector_id, hs->connector_address.c_str(), plain);
    return;
  }
  struct raft_uv_connect* req = hs->req;
  hs->req = nullptr;
  req->cb(req, plain, 0);
}

StatusOr<int> KeyedTransport::TakeBlockingSocket(uv_tcp_t* stream, const std::string& peer) {
  // The state and DR servers use blocking calls on threads of their own:
  // they get a duplicate of the socket, in blocking mode, and libuv's handle
  // is closed (which closes only libuv's descriptor, not the connection).
  stream->data = nullptr;
  int fd = -1;
  int copy = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd) == 0) copy = ::dup(fd);
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* h) { raft_free(h); });
  if (copy < 0) {
    spdlog::warn("raft: cannot take over a connection from {}", peer);
    return UnavailableError("cannot take over the connection");
  }
  int flags = ::fcntl(copy, F_GETFL);
  if (flags >= 0) ::fcntl(copy, F_SETFL, flags & ~O_NONBLOCK);
  return copy;
}

void KeyedTransport::SetReplicationServer(std::function<void(int fd, std::string peer)> serve) {
  replication_server_ = std::move(serve);
}

void KeyedTransport::SetStateServer(StateServerFn serve) {
  state_server_ = std::move(serve);
}

SecureBytes KeyedTransport::KeyCopy() const { return key_; }

void KeyedTransport::Forget(Handshake* hs) {
  live_.erase(hs);
  pending_.erase(hs);
  delete hs;
  MaybeFireCloseCb();
}

void KeyedTransport::OnListenerClosed(uv_handle_t* handle) {
  auto* self = static_cast<KeyedTransport*>(handle->data);
  self->listener_open_ = false;
  self->port_ = 0;
  self->MaybeFireCloseCb();
}

void KeyedTransport::Close(struct raft_uv_transport* t, raft_uv_transport_close_cb cb) {
  auto* self = static_cast<KeyedTransport*>(t->impl);
  self->closing_ = true;
  self->close_cb_ = cb;
  auto* listener = reinterpret_cast<uv_handle_t*>(&self->listener_);
  if (self->listener_open_ && !uv_is_closing(listener)) {
    uv_close(listener, &KeyedTransport::OnListenerClosed);
  }
  // Aborting erases from pending_, so walk a copy.
  std::vector<Handshake*> in_flight(self->pending_.begin(), self->pending_.end());
  for (Handshake* hs : in_flight) hs->Abort(RAFT_CANCELED);
  // libraft closes its ends of the tunnels it holds; end them all now so
  // that none outlives the transport (Shutdown is idempotent).
  std::vector<TlsTunnel*> tunnels(self->tunnels_.begin(), self->tunnels_.end());
  for (TlsTunnel* tunnel : tunnels) tunnel->Shutdown();
  if (self->ack_watch_open_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&self->ack_watch_), [](uv_handle_t* h) {
      auto* owner = static_cast<KeyedTransport*>(h->data);
      owner->ack_watch_open_ = false;
      owner->MaybeFireCloseCb();
    });
  }
  self->MaybeFireCloseCb();
}

void KeyedTransport::MaybeFireCloseCb() {
  if (!closing_ || listener_open_ || ack_watch_open_ || !live_.empty() || !tunnels_.empty() ||
      close_cb_ == nullptr) {
    return;
  }
  raft_uv_transport_close_cb cb = close_cb_;
  close_cb_ = nullptr;
  cb(&transport_);
}

}  // namespace tresor::raft

#include "raft/keyed_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/hmac.h"
#include "common/random.h"
#include "common/temp_dir_for_test.h"
#include "raft/cluster_tls.h"
#include "raft/tls_tunnel.h"

namespace tresor::raft {
namespace {

using namespace std::chrono_literals;

std::string NewRecord() {
  auto record = NewClusterTlsRecord(std::chrono::system_clock::now());
  EXPECT_TRUE(record.ok()) << record.status().message();
  return record.ok() ? *record : "";
}

// Server `id`'s certificates from `record`, as minted at `now`.
std::shared_ptr<const ClusterTls> TlsFor(const std::string& record, raft_id id,
                                         SystemTime now = std::chrono::system_clock::now()) {
  auto tls = ClusterTls::Create(record, id, now);
  EXPECT_TRUE(tls.ok()) << tls.status().message();
  return tls.ok() ? *tls : nullptr;
}

// ---- The wire format, written out again from the spec in the header, so
// that the tests check the documented protocol and not just the code
// talking to itself.

void PutU64(std::string* out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

std::string Hello(std::uint64_t id, const std::string& address, const std::string& nonce_c) {
  std::string hello = "TRSRAFT1";
  PutU64(&hello, id);
  hello.push_back(static_cast<char>(address.size() >> 8));
  hello.push_back(static_cast<char>(address.size() & 0xff));
  return hello + address + nonce_c;
}

std::string Proof(const std::string& key, const std::string& label, const std::string& first,
                  const std::string& second, std::uint64_t id, const std::string& address) {
  std::string input = label + first + second;
  PutU64(&input, id);
  return HmacSha256(ToSecureBytes(key), input + address);
}

// After the proofs, a hand-made member runs TLS as server `me`, and both
// sides confirm with TlsTunnel's ready byte. True when the peer confirmed.
bool CompleteTls(int fd, const std::string& record, std::uint64_t me, std::uint64_t peer,
                 bool server) {
  std::shared_ptr<const ClusterTls> tls = TlsFor(record, me);
  auto channel = BlockingTls::Handshake(fd, *tls, server, peer);
  if (!channel.ok()) return false;
  char ready = 0;
  return (*channel)->WriteAll(std::string(1, TlsTunnel::kReadyByte)).ok() &&
         (*channel)->ReadExact(&ready, 1).ok() && ready == TlsTunnel::kReadyByte;
}

// ---- Blocking sockets, for outsiders and hand-made peers on other threads.

void SetReceiveTimeout(int fd) {
  timeval timeout{10, 0};  // a hung test fails instead of hanging
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
}

int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  SetReceiveTimeout(fd);
  return fd;
}

bool SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Up to n bytes: fewer when the peer closes first.
std::string Receive(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

// True when the peer closed the connection (EOF or reset), false when it
// kept it open past the receive timeout.
bool PeerCloses(int fd) {
  char byte;
  for (;;) {
    ssize_t r = recv(fd, &byte, 1, 0);
    if (r == 0) return true;
    if (r < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

// A listening socket on 127.0.0.1, ephemeral port.
struct RawListener {
  int fd = -1;
  int port = 0;
  RawListener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~RawListener() { close(fd); }
  // -1 when nobody connects within 10 s.
  int Accept() const {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, 10000) != 1) return -1;
    int conn = accept(fd, nullptr, nullptr);
    if (conn >= 0) SetReceiveTimeout(conn);
    return conn;
  }
};

// Runs body on its own thread and wakes the test's loop when it is done.
class Background {
 public:
  Background(uv_async_t* wake, std::function<void()> body)
      : thread_([this, wake, body = std::move(body)] {
          body();
          done_ = true;
          uv_async_send(wake);
        }) {}
  ~Background() { thread_.join(); }
  bool done() const { return done_; }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// One KeyedTransport driven by hand, recording what libraft would see.
struct Peer {
  struct Accepted {
    raft_id id;
    std::string address;
    uv_stream_t* stream;
  };

  Peer(uv_loop_t* loop, raft_id id, std::chrono::milliseconds timeout,
       const std::string& own_address = "127.0.0.1:0")
      : transport(loop, timeout), id(id) {
    t()->data = this;
    EXPECT_EQ(t()->init(t(), id, own_address.c_str()), 0);
  }

  struct raft_uv_transport* t() {
    return transport.get();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(transport.port()); }

  void Listen() {
    ASSERT_EQ(t()->listen(t(), &Peer::OnAccept), 0);
    ASSERT_NE(transport.port(), 0);
  }

  static void OnAccept(struct raft_uv_transport* t, raft_id id, const char* address,
                       uv_stream_t* stream) {
    static_cast<Peer*>(t->data)->accepted.push_back({id, address, stream});
  }

  KeyedTransport transport;
  raft_id id;
  std::vector<Accepted> accepted;
  bool closed = false;
  bool close_started = false;
};

// An outgoing connection request, as libraft's client would make it.
struct Attempt {
  struct raft_uv_connect req {};
  bool done = false;
  int status = -1;
  uv_stream_t* stream = nullptr;
  bool peer_closed_when_done = false;  // for ordering checks against close()
  Peer* owner = nullptr;

  static void OnConnect(struct raft_uv_connect* req, uv_stream_t* stream, int status) {
    auto* self = static_cast<Attempt*>(req->data);
    self->done = true;
    self->status = status;
    self->stream = stream;
    if (self->owner != nullptr) self->peer_closed_when_done = self->owner->closed;
  }
};

// Collects the bytes arriving on a handed-over stream.
struct Sink {
  std::string bytes;
  bool eof = false;
  char buffer[256];

  void Start(uv_stream_t* stream) {
    stream->data = this;
    ASSERT_EQ(uv_read_start(
                  stream,
                  [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                    auto* self = static_cast<Sink*>(h->data);
                    *buf = uv_buf_init(self->buffer, sizeof(self->buffer));
                  },
                  [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                    auto* self = static_cast<Sink*>(s->data);
                    if (n > 0) self->bytes.append(buf->base, static_cast<std::size_t>(n));
                    if (n < 0) {
                      self->eof = true;
                      uv_read_stop(s);
                    }
                  }),
              0);
  }
};

struct WriteOf {
  uv_write_t req{};
  std::string bytes;
};

void WriteTo(uv_stream_t* stream, std::string bytes) {
  auto* w = new WriteOf;
  w->bytes = std::move(bytes);
  w->req.data = w;
  uv_buf_t buf = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
  int rv = uv_write(&w->req, stream, &buf, 1,
                    [](uv_write_t* req, int) { delete static_cast<WriteOf*>(req->data); });
  EXPECT_EQ(rv, 0);
  if (rv != 0) delete w;
}

// Streams handed over belong to "libraft", which raft_free()s them.
void CloseStream(uv_stream_t* stream) {
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* h) { raft_free(h); });
}

class KeyedTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    uv_async_init(&loop_, &wake_, [](uv_async_t*) {});
    uv_timer_init(&loop_, &guard_);
  }

  void TearDown() override {
    for (auto& peer : peers_) CloseTransport(*peer);
    for (uv_stream_t* s : streams_) CloseStream(s);
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&guard_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    peers_.clear();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  Peer& NewPeer(raft_id id, const std::string& key,
                std::chrono::milliseconds timeout = KeyedTransport::kDefaultHandshakeTimeout,
                const std::string& own_address = "127.0.0.1:0") {
    peers_.push_back(std::make_unique<Peer>(&loop_, id, timeout, own_address));
    if (!key.empty()) {
      peers_.back()->transport.SetKey(key);
      peers_.back()->transport.SetTls(TlsFor(tls_record_, id));
    }
    return *peers_.back();
  }

  // Runs the loop until done() holds, or fails after 10 s.
  bool RunUntil(const std::function<bool()>& done) {
    bool timed_out = false;
    guard_.data = &timed_out;
    uv_timer_start(
        &guard_, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 10000, 0);
    while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&guard_);
    return done();
  }

  // Makes `from` connect to `to`; returns once the attempt completes.
  std::unique_ptr<Attempt> ConnectAndWait(Peer& from, Peer& to) {
    return ConnectAndWait(from, to.id, to.address());
  }
  // The same, dialling server `id` at `address`.
  std::unique_ptr<Attempt> ConnectAndWait(Peer& from, raft_id id, const std::string& address) {
    auto attempt = std::make_unique<Attempt>();
    attempt->req.data = attempt.get();
    int rv = from.t()->connect(from.t(), &attempt->req, id, address.c_str(), &Attempt::OnConnect);
    if (rv != 0) {
      attempt->done = true;
      attempt->status = rv;
      return attempt;
    }
    EXPECT_TRUE(RunUntil([&] { return attempt->done; }));
    if (attempt->stream != nullptr) streams_.push_back(attempt->stream);
    return attempt;
  }

  void CloseTransport(Peer& peer) {
    if (peer.close_started) return;
    peer.close_started = true;
    for (auto& a : peer.accepted) streams_.push_back(a.stream);
    peer.accepted.clear();
    peer.t()->close(
        peer.t(), [](struct raft_uv_transport* t) { static_cast<Peer*>(t->data)->closed = true; });
    EXPECT_TRUE(RunUntil([&] { return peer.closed; }));
  }

  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_timer_t guard_{};
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<uv_stream_t*> streams_;  // handed-over streams, closed in TearDown
  const std::string key_ = RandomBytes(32);
  const std::string tls_record_ = NewRecord();
};

TEST_F(KeyedTransportTest, SameKeyConnectsAndCarriesBytesBothWays) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  a.Listen();
  auto attempt = ConnectAndWait(b, a);
  ASSERT_EQ(attempt->status, 0);
  ASSERT_NE(attempt->stream, nullptr);
  // Written at once, so it may share a segment with the proof: the
  // acceptor must leave it in the socket for libraft.
  WriteTo(attempt->stream, "raft bytes from b");
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));
  EXPECT_EQ(a.accepted[0].id, 2u);
  EXPECT_EQ(a.accepted[0].address, "127.0.0.1:0");  // what b was initialised with

  Sink at_a;
  at_a.Start(a.accepted[0].stream);
  ASSERT_TRUE(RunUntil([&] { return at_a.bytes.size() >= 17; }));
  EXPECT_EQ(at_a.bytes, "raft bytes from b");

  Sink at_b;
  at_b.Start(attempt->stream);
  WriteTo(a.accepted[0].stream, "and back");
  ASSERT_TRUE(RunUntil([&] { return at_b.bytes.size() >= 8; }));
  EXPECT_EQ(at_b.bytes, "and back");
  uv_read_stop(attempt->stream);  // the sinks go out of scope before the streams close
  uv_read_stop(a.accepted[0].stream);
  EXPECT_EQ(a.transport.refused(), 0u);
  EXPECT_EQ(b.transport.refused(), 0u);
}

TEST_F(KeyedTransportTest, DifferentKeysRefuseOnBothSides) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, RandomBytes(32));
  a.Listen();
  auto attempt = ConnectAndWait(b, a);
  EXPECT_EQ(attempt->status, RAFT_NOCONNECTION);
  EXPECT_EQ(attempt->stream, nullptr);
  EXPECT_EQ(b.transport.refused(), 1u);  // a's proof did not verify
  // a sees b hang up before proving itself.
  ASSERT_TRUE(RunUntil([&] { return a.transport.refused() == 1; }));
  EXPECT_TRUE(a.accepted.empty());
}

// ---- TLS after the proof: the certificates must come from the cluster's
// CA and name the raft id each side claims.

TEST_F(KeyedTransportTest, AnotherClustersCaIsRefusedOnBothSides) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  b.transport.SetTls(TlsFor(NewRecord(), 2));  // the key, but another CA
  a.Listen();
  auto attempt = ConnectAndWait(b, a);
  EXPECT_EQ(attempt->status, RAFT_NOCONNECTION);
  EXPECT_EQ(attempt->stream, nullptr);
  EXPECT_EQ(b.transport.refused(), 1u);
  ASSERT_TRUE(RunUntil([&] { return a.transport.refused() == 1; }));
  EXPECT_TRUE(a.accepted.empty());
}

TEST_F(KeyedTransportTest, CertificatesMustNameTheRaftIdEachSideClaims) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  a.Listen();
  // b claims id 2 in its hello but presents server 5's certificate.
  b.transport.SetTls(TlsFor(tls_record_, 5));
  EXPECT_EQ(ConnectAndWait(b, a)->status, RAFT_NOCONNECTION);
  ASSERT_TRUE(RunUntil([&] { return a.transport.refused() == 1; }));
  EXPECT_TRUE(a.accepted.empty());
  // A connector checks the acceptor is the server it dialled: a is 1, not 7.
  b.transport.SetTls(TlsFor(tls_record_, 2));
  EXPECT_EQ(ConnectAndWait(b, 7, a.address())->status, RAFT_NOCONNECTION);
  EXPECT_TRUE(a.accepted.empty());
  // With the right names it connects.
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));
}

TEST_F(KeyedTransportTest, AKeyWithoutCertificatesRefusesLikeNoKey) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  a.Listen();
  b.transport.SetTls(nullptr);
  EXPECT_FALSE(b.transport.has_tls());
  EXPECT_EQ(ConnectAndWait(b, a)->status, RAFT_NOCONNECTION);  // not even dialled
  EXPECT_EQ(b.transport.refused(), 1u);
  EXPECT_EQ(a.transport.refused(), 0u);
}

TEST_F(KeyedTransportTest, ARotatedCaIsTrustedAtOnceButSignsOnlyAfterTheDelay) {
  const SystemTime now = std::chrono::system_clock::now();
  auto rotated = RotateClusterTlsRecord(tls_record_, now);
  ASSERT_TRUE(rotated.ok()) << rotated.status().message();
  Peer& a = NewPeer(1, key_);  // has not read the rotated record yet
  Peer& b = NewPeer(2, key_);
  b.transport.SetTls(TlsFor(*rotated, 2, now));
  a.Listen();
  b.Listen();
  // During the delay b still presents a certificate of the old CA, and
  // trusts both: connections work both ways.
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
  EXPECT_EQ(ConnectAndWait(a, b)->status, 0);
  // After it, b's certificate comes from the new CA: only a peer that read
  // the rotated record accepts it.
  b.transport.SetTls(TlsFor(*rotated, 2, now + kCaActivationDelay + 1s));
  EXPECT_EQ(ConnectAndWait(b, a)->status, RAFT_NOCONNECTION);
  a.transport.SetTls(TlsFor(*rotated, 1, now));
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
  // Rotating again before the new CA signs would drop a CA still in use.
  auto again = RotateClusterTlsRecord(*rotated, now);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  auto later = RotateClusterTlsRecord(*rotated, now + kCaActivationDelay + 1s);
  ASSERT_TRUE(later.ok());
  auto cas = DescribeClusterTlsRecord(*later, now + kCaActivationDelay + 1s);
  ASSERT_TRUE(cas.ok());
  EXPECT_EQ(cas->size(), 2u);  // the oldest CA is gone
}

// An on-path attacker relays two members' connection and alters one bit
// after the handshake (a splice): the receiving side's TLS detects it and
// ends the connection; libraft never reads a byte of the altered record.
TEST_F(KeyedTransportTest, AnAlteredByteEndsTheConnectionUnread) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  a.Listen();
  RawListener relay;
  std::atomic<bool> flip{false};
  std::atomic<bool> flipped{false};
  Background relay_thread(&wake_, [&] {
    int from_b = relay.Accept();
    int to_a = ConnectTo(a.transport.port());
    char buffer[65536];
    for (bool open = from_b >= 0 && to_a >= 0; open;) {
      pollfd fds[2] = {{from_b, POLLIN, 0}, {to_a, POLLIN, 0}};
      if (poll(fds, 2, 10000) <= 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if (fds[i].revents == 0) continue;
        ssize_t n = recv(fds[i].fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          open = false;
          break;
        }
        if (i == 0 && flip.exchange(false)) {
          buffer[n - 1] ^= 0x01;
          flipped = true;
        }
        open = SendAll(i == 0 ? to_a : from_b, std::string(buffer, static_cast<std::size_t>(n)));
      }
    }
    if (from_b >= 0) close(from_b);
    if (to_a >= 0) close(to_a);
  });
  auto attempt = ConnectAndWait(b, a.id, "127.0.0.1:" + std::to_string(relay.port));
  ASSERT_EQ(attempt->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));
  Sink at_a;
  at_a.Start(a.accepted[0].stream);
  flip = true;
  WriteTo(attempt->stream, "raft bytes from b");
  ASSERT_TRUE(RunUntil([&] { return at_a.eof; }));
  EXPECT_TRUE(flipped);
  EXPECT_EQ(at_a.bytes, "");
  ASSERT_TRUE(RunUntil([&] { return relay_thread.done(); }));
}

int ReleasedListenerPort();

// An asymmetric partition: b can send to a, but what a sends b is never
// acknowledged. a then closes b's connections and lets new ones through
// only once a TCP connect to b's own address succeeds.
TEST_F(KeyedTransportTest, AnUnreachablePeerIsCutOffUntilItCanBeReachedAgain) {
  Peer& a = NewPeer(1, key_);
  a.transport.SetPeerTimeout(300ms);
  const std::string b_address = "127.0.0.1:" + std::to_string(ReleasedListenerPort());
  Peer& b = NewPeer(2, key_, KeyedTransport::kDefaultHandshakeTimeout, b_address);
  a.Listen();
  ASSERT_EQ(ConnectAndWait(b, a)->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));
  Sink at_a;
  at_a.Start(a.accepted[0].stream);

  a.transport.MarkUnreachableForTest(2);
  ASSERT_TRUE(RunUntil([&] { return at_a.eof; }));  // b's connection is closed
  // b does not listen yet: a cannot reach it, so b cannot connect.
  EXPECT_EQ(ConnectAndWait(b, a)->status, RAFT_NOCONNECTION);
  EXPECT_EQ(a.accepted.size(), 1u);
  // Once b can be reached (it listens), its connection goes through.
  b.Listen();
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 2; }));
  // And the quarantine is over: no probe needed for the next one.
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 3; }));
}

TEST_F(KeyedTransportTest, NoKeyRefusesUntilOneIsSet) {
  Peer& a = NewPeer(1, "");
  Peer& b = NewPeer(2, key_);
  a.Listen();
  EXPECT_FALSE(a.transport.has_key());

  // Acceptor without a key: hangs up at once.
  auto attempt = ConnectAndWait(b, a);
  EXPECT_EQ(attempt->status, RAFT_NOCONNECTION);
  EXPECT_EQ(a.transport.refused(), 1u);
  EXPECT_EQ(b.transport.refused(), 1u);

  // Connector without a key: does not even dial.
  Peer& c = NewPeer(3, "");
  auto unkeyed = ConnectAndWait(c, a);
  EXPECT_EQ(unkeyed->status, RAFT_NOCONNECTION);
  EXPECT_EQ(c.transport.refused(), 1u);
  EXPECT_EQ(a.transport.refused(), 1u);

  a.transport.SetKey(key_);
  EXPECT_TRUE(a.transport.has_key());
  a.transport.SetTls(TlsFor(tls_record_, a.id));
  auto keyed = ConnectAndWait(b, a);
  EXPECT_EQ(keyed->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));

  // Forgetting the key refuses new connections; the proven one stays.
  a.transport.SetKey("");
  EXPECT_FALSE(a.transport.has_key());
  auto after = ConnectAndWait(b, a);
  EXPECT_EQ(after->status, RAFT_NOCONNECTION);
  EXPECT_EQ(a.accepted.size(), 1u);
  EXPECT_FALSE(uv_is_closing(reinterpret_cast<uv_handle_t*>(a.accepted[0].stream)));
}

TEST_F(KeyedTransportTest, OutsidersAreRefusedAndTheListenerKeepsServing) {
  Peer& a = NewPeer(1, key_, 300ms);
  a.Listen();
  const int port = a.transport.port();
  std::string valid_hello = Hello(9, "10.0.0.9:8201", RandomBytes(32));

  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"truncated hello", valid_hello.substr(0, 20)},
      {"silence", ""},
      {"zero id", Hello(0, "10.0.0.9:8201", RandomBytes(32))},
      {"hello, then a forged proof", valid_hello + std::string(32, 'x')},
  };
  std::uint64_t refused = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    bool connected = false;
    bool closed_on_us = false;
    {
      Background outsider(&wake_, [&] {
        int fd = ConnectTo(port);
        connected = fd >= 0;
        if (!connected) return;
        SendAll(fd, c.bytes);
        closed_on_us = PeerCloses(fd);
        close(fd);
      });
      ASSERT_TRUE(RunUntil([&] { return outsider.done(); }));
    }
    EXPECT_TRUE(connected);
    EXPECT_TRUE(closed_on_us);
    EXPECT_EQ(a.transport.refused(), ++refused);
    EXPECT_TRUE(a.accepted.empty());
  }

  Peer& b = NewPeer(2, key_);
  auto attempt = ConnectAndWait(b, a);
  EXPECT_EQ(attempt->status, 0);
  ASSERT_TRUE(RunUntil([&] { return a.accepted.size() == 1; }));
  EXPECT_EQ(a.accepted[0].id, 2u);
}

TEST_F(KeyedTransportTest, TooManyPendingHandshakesAreRefusedOnArrival) {
  Peer& a = NewPeer(1, key_);
  a.Listen();
  const int port = a.transport.port();
  std::size_t idle_connected = 0;
  bool extra_closed = false;
  std::uint64_t refused_when_extra_closed = 0;
  {
    Background flood(&wake_, [&] {
      // The listener accepts in arrival order, so the extra connection is
      // accepted last, with the idle ones all mid-handshake.
      std::vector<int> idle;
      for (std::size_t i = 0; i < KeyedTransport::kMaxPendingHandshakes; ++i) {
        idle.push_back(ConnectTo(port));
        if (idle.back() >= 0) ++idle_connected;
      }
      int extra = ConnectTo(port);
      extra_closed = PeerCloses(extra);
      refused_when_extra_closed = a.transport.refused();
      close(extra);
      for (int fd : idle) close(fd);
    });
    ASSERT_TRUE(RunUntil([&] { return flood.done(); }));
  }
  EXPECT_EQ(idle_connected, KeyedTransport::kMaxPendingHandshakes);
  EXPECT_TRUE(extra_closed);
  EXPECT_EQ(refused_when_extra_closed, 1u) << "refused on arrival, not after a timeout";
  // The idle ones hung up; each is a refusal too, and the listener serves on.
  ASSERT_TRUE(
      RunUntil([&] { return a.transport.refused() == 1 + KeyedTransport::kMaxPendingHandshakes; }));
  Peer& b = NewPeer(2, key_);
  EXPECT_EQ(ConnectAndWait(b, a)->status, 0);
}

TEST_F(KeyedTransportTest, ReplayedConnectorProofIsRefused) {
  Peer& a = NewPeer(1, key_);
  a.Listen();
  const int port = a.transport.port();
  const std::string address = "10.0.0.5:8201";
  std::string hello = Hello(5, address, RandomBytes(32));
  std::string nonce_c = hello.substr(hello.size() - 32);

  // Session 1: a member, speaking the documented protocol by hand.
  std::string first_reply;
  std::string proof_c;
  {
    Background member(&wake_, [&] {
      int fd = ConnectTo(port);
      SendAll(fd, hello);
      first_reply = Receive(fd, 64);
      std::string nonce_a = first_reply.substr(0, 32);
      if (first_reply.size() == 64 &&
          first_reply.substr(32) == Proof(key_, "acceptor", nonce_c, nonce_a, 5, address)) {
        proof_c = Proof(key_, "connector", nonce_a, nonce_c, 5, address);
        SendAll(fd, proof_c);
        CompleteTls(fd, tls_record_, 5, 1, /*server=*/false);
      }
      close(fd);
    });
    ASSERT_TRUE(RunUntil([&] { return member.done() && a.accepted.size() == 1; }));
  }
  ASSERT_EQ(proof_c.size(), 32u) << "the acceptor's proof did not match the documented formula";
  EXPECT_EQ(a.accepted[0].id, 5u);
  EXPECT_EQ(a.accepted[0].address, address);

  // Session 2: an eavesdropper replays what it recorded.
  std::string second_reply;
  bool refused = false;
  {
    Background replayer(&wake_, [&] {
      int fd = ConnectTo(port);
      SendAll(fd, hello);
      second_reply = Receive(fd, 64);
      SendAll(fd, proof_c);
      refused = PeerCloses(fd);
      close(fd);
    });
    ASSERT_TRUE(RunUntil([&] { return replayer.done(); }));
  }
  ASSERT_EQ(second_reply.size(), 64u);
  EXPECT_NE(second_reply.substr(0, 32), first_reply.substr(0, 32)) << "nonce_a reused";
  EXPECT_TRUE(refused);
  EXPECT_EQ(a.transport.refused(), 1u);
  EXPECT_EQ(a.accepted.size(), 1u);
}

TEST_F(KeyedTransportTest, ReplayedAcceptorProofIsRefused) {
  Peer& b = NewPeer(2, key_);
  RawListener fake;
  // Connects b to the fake acceptor and plays `acceptor` on that connection.
  auto run = [&](const std::function<void(int fd)>& acceptor) {
    auto attempt = std::make_unique<Attempt>();
    attempt->req.data = attempt.get();
    std::string target = "127.0.0.1:" + std::to_string(fake.port);
    EXPECT_EQ(b.t()->connect(b.t(), &attempt->req, 1, target.c_str(), &Attempt::OnConnect), 0);
    Background side(&wake_, [&] {
      int fd = fake.Accept();
      acceptor(fd);
      close(fd);
    });
    EXPECT_TRUE(RunUntil([&] { return side.done() && attempt->done; }));
    if (attempt->stream != nullptr) streams_.push_back(attempt->stream);
    return attempt;
  };

  // Session 1: a member acceptor, by hand; b's proof follows the formula.
  std::string recorded_reply;
  bool proof_ok = false;
  auto first = run([&](int fd) {
    std::string hello = Receive(fd, 8 + 8 + 2 + 11 + 32);  // b's address is "127.0.0.1:0"
    if (hello.size() != 61) return;
    std::string nonce_c = hello.substr(29);
    std::string nonce_a = RandomBytes(32);
    recorded_reply = nonce_a + Proof(key_, "acceptor", nonce_c, nonce_a, 2, "127.0.0.1:0");
    SendAll(fd, recorded_reply);
    proof_ok = Receive(fd, 32) == Proof(key_, "connector", nonce_a, nonce_c, 2, "127.0.0.1:0");
    if (proof_ok) CompleteTls(fd, tls_record_, 1, 2, /*server=*/true);
  });
  EXPECT_EQ(first->status, 0);
  EXPECT_TRUE(proof_ok);

  // Session 2: an impostor at that address replays the recorded reply.
  bool hung_up = false;
  auto second = run([&](int fd) {
    Receive(fd, 61);
    SendAll(fd, recorded_reply);
    hung_up = PeerCloses(fd);
  });
  EXPECT_EQ(second->status, RAFT_NOCONNECTION);
  EXPECT_TRUE(hung_up);
  EXPECT_EQ(b.transport.refused(), 1u);
}

TEST_F(KeyedTransportTest, UnreachablePeerFailsWithoutCountingARefusal) {
  Peer& b = NewPeer(2, key_);
  // Bound but not listening: connecting is refused by the kernel, and the
  // port stays ours for the whole test.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto attempt = std::make_unique<Attempt>();
  attempt->req.data = attempt.get();
  std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ASSERT_EQ(b.t()->connect(b.t(), &attempt->req, 1, target.c_str(), &Attempt::OnConnect), 0);
  ASSERT_TRUE(RunUntil([&] { return attempt->done; }));
  close(fd);
  EXPECT_EQ(attempt->status, RAFT_NOCONNECTION);
  EXPECT_EQ(b.transport.refused(), 0u);

  EXPECT_EQ(b.t()->connect(b.t(), &attempt->req, 1, "not-an-address", &Attempt::OnConnect),
            RAFT_NOCONNECTION);
  EXPECT_EQ(b.t()->connect(b.t(), &attempt->req, 1, "localhost:8201", &Attempt::OnConnect),
            RAFT_NOCONNECTION);
  EXPECT_EQ(b.t()->init(b.t(), 2, std::string(256, 'x').c_str()), RAFT_INVALID);
}

TEST_F(KeyedTransportTest, CloseCancelsPendingConnectsAndDropsHalfDoneHandshakes) {
  Peer& a = NewPeer(1, key_);
  Peer& b = NewPeer(2, key_);
  a.Listen();
  RawListener silent;  // accepts, then never answers b's hello

  auto attempt = std::make_unique<Attempt>();
  attempt->req.data = attempt.get();
  attempt->owner = &b;
  std::string target = "127.0.0.1:" + std::to_string(silent.port);
  ASSERT_EQ(b.t()->connect(b.t(), &attempt->req, 1, target.c_str(), &Attempt::OnConnect), 0);

  bool b_hung_up = false;
  bool a_hung_up = false;
  std::atomic<bool> b_waits{false};
  std::atomic<bool> a_waits{false};
  const int a_port = a.transport.port();
  Background silent_side(&wake_, [&] {
    int fd = silent.Accept();
    b_waits = Receive(fd, 61).size() == 61;  // b's whole hello: b now waits for our proof
    uv_async_send(&wake_);
    b_hung_up = PeerCloses(fd);
    close(fd);
  });
  Background half_client(&wake_, [&] {
    int fd = ConnectTo(a_port);
    a_waits = SendAll(fd, "TRSRAFT1");  // a then waits for the rest of the hello
    uv_async_send(&wake_);
    a_hung_up = PeerCloses(fd);
    close(fd);
  });
  ASSERT_TRUE(RunUntil([&] { return b_waits && a_waits; }));
  CloseTransport(b);
  EXPECT_TRUE(attempt->done);
  EXPECT_EQ(attempt->status, RAFT_CANCELED);
  EXPECT_FALSE(attempt->peer_closed_when_done) << "connect callback must come before close's";
  EXPECT_EQ(b.transport.refused(), 0u);

  CloseTransport(a);
  EXPECT_EQ(a.transport.port(), 0);
  ASSERT_TRUE(RunUntil([&] { return silent_side.done() && half_client.done(); }));
  EXPECT_TRUE(b_hung_up);
  EXPECT_TRUE(a_hung_up);
  EXPECT_TRUE(a.accepted.empty());
}

TEST_F(KeyedTransportTest, CloseWithNothingOpenCallsBackAtOnce) {
  Peer& a = NewPeer(1, key_);
  CloseTransport(a);
  EXPECT_TRUE(a.closed);
}

// ---- End to end: two libraft servers elect a leader and replicate an
// entry over KeyedTransport, which shows libraft accepts the streams as
// handed over (and frees them as its own).

struct RaftServer {
  RaftServer(uv_loop_t* loop, raft_id id, const std::string& address, const std::string& key,
             const std::string& tls_record)
      : transport(loop), id(id), address(address) {
    transport.SetKey(key);
    transport.SetTls(TlsFor(tls_record, id));
    fsm.version = 1;
    fsm.data = this;
    fsm.apply = [](struct raft_fsm* f, const struct raft_buffer* buf, void** result) {
      static_cast<RaftServer*>(f->data)->applied.emplace_back(static_cast<char*>(buf->base),
                                                              buf->len);
      *result = nullptr;
      return 0;
    };
    fsm.snapshot = [](struct raft_fsm*, struct raft_buffer*[], unsigned*) { return RAFT_NOTFOUND; };
    fsm.restore = [](struct raft_fsm*, struct raft_buffer*) { return RAFT_NOTFOUND; };
    EXPECT_EQ(raft_uv_init(&io, loop, dir.path().c_str(), transport.get()), 0);
    EXPECT_EQ(raft_init(&raft, &io, &fsm, id, this->address.c_str()), 0);
    raft.data = this;
    raft_set_election_timeout(&raft, 150);
    raft_set_heartbeat_timeout(&raft, 30);
  }

  TempDirForTest dir;
  KeyedTransport transport;
  raft_id id;
  std::string address;
  struct raft_io io {};
  struct raft_fsm fsm {};
  struct raft raft {};
  std::vector<std::string> applied;
  bool closed = false;
};

int ReleasedListenerPort() {
  RawListener probe;
  return probe.port;
}

TEST_F(KeyedTransportTest, TwoLibraftServersReplicateOverTheKeyedTransport) {
  std::vector<std::unique_ptr<RaftServer>> servers;
  const std::string addresses[] = {"127.0.0.1:" + std::to_string(ReleasedListenerPort()),
                                   "127.0.0.1:" + std::to_string(ReleasedListenerPort())};
  for (raft_id id : {1, 2}) {
    servers.push_back(
        std::make_unique<RaftServer>(&loop_, id, addresses[id - 1], key_, tls_record_));
  }
  for (auto& s : servers) {
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    EXPECT_EQ(raft_configuration_add(&conf, 1, addresses[0].c_str(), RAFT_VOTER), 0);
    EXPECT_EQ(raft_configuration_add(&conf, 2, addresses[1].c_str(), RAFT_VOTER), 0);
    EXPECT_EQ(raft_bootstrap(&s->raft, &conf), 0);
    raft_configuration_close(&conf);
    ASSERT_EQ(raft_start(&s->raft), 0) << raft_errmsg(&s->raft);
  }
  RaftServer* leader = nullptr;
  ASSERT_TRUE(RunUntil([&] {
    for (auto& s : servers) {
      if (raft_state(&s->raft) == RAFT_LEADER) leader = s.get();
    }
    return leader != nullptr;
  }));

  struct raft_buffer buf;
  buf.len = 8;
  buf.base = raft_malloc(buf.len);
  std::memcpy(buf.base, "entry-01", 8);
  struct raft_apply req {};
  bool applied = false;
  req.data = &applied;
  ASSERT_EQ(raft_apply(&leader->raft, &req, &buf, 1,
                       [](struct raft_apply* r, int status, void*) {
                         EXPECT_EQ(status, 0);
                         *static_cast<bool*>(r->data) = true;
                       }),
            0);
  ASSERT_TRUE(RunUntil([&] {
    return applied && servers[0]->applied.size() == 1 && servers[1]->applied.size() == 1;
  }));
  EXPECT_EQ(servers[0]->applied[0], "entry-01");
  EXPECT_EQ(servers[1]->applied[0], "entry-01");
  EXPECT_EQ(servers[0]->transport.refused() + servers[1]->transport.refused(), 0u);

  for (auto& s : servers) {
    raft_close(&s->raft, [](struct raft* r) { static_cast<RaftServer*>(r->data)->closed = true; });
  }
  ASSERT_TRUE(RunUntil([&] { return servers[0]->closed && servers[1]->closed; }));
  for (auto& s : servers) raft_uv_close(&s->io);
}

}  // namespace
}  // namespace tresor::raft

// The KeyedTransport tests' shared parts: the wire format written out from
// the spec, blocking sockets for hand-made peers, and the fixture that
// drives transports on one libuv loop. keyed_transport_test.cc tests the
// handshake, keyed_transport_tls_test.cc the TLS after it and unreachable
// peers. Everything is in an anonymous namespace: each test file has its own.
#pragma once

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
// A port that was free a moment ago (for a server that binds it later).
int ReleasedListenerPort() {
  RawListener probe;
  return probe.port;
}

}  // namespace
}  // namespace tresor::raft

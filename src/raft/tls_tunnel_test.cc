#include "raft/tls_tunnel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/sha256.h"
#include "common/x509_certs.h"
#include "raft/libraft.h"

namespace tresor::raft {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// ---- Certificates and TLS contexts, as the cluster port will build them.

struct Pki {
  CertKeyPair ca;
  CertKeyPair node_a;    // the client in these tests
  CertKeyPair node_b;    // the server
  CertKeyPair intruder;  // issued by another CA
};

const Pki& TestPki() {
  static const Pki* pki = [] {
    auto* made = new Pki;
    made->ca = CreateCa("tresor-test-cluster-ca", 1).value();
    made->node_a = IssueCert(made->ca, "node-a", CertUse::kServerAndClient, 1).value();
    made->node_b = IssueCert(made->ca, "node-b", CertUse::kServerAndClient, 1).value();
    CertKeyPair other_ca = CreateCa("some-other-ca", 1).value();
    made->intruder = IssueCert(other_ca, "node-a", CertUse::kServerAndClient, 1).value();
    return made;
  }();
  return *pki;
}

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

X509* ReadCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// TLS 1.3 only, mutual, trusting `ca_pem` only, no session tickets.
CtxPtr NewContext(bool server, const CertKeyPair& identity, const std::string& ca_pem) {
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  EXPECT_TRUE(ctx != nullptr);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  X509* cert = ReadCert(identity.cert_pem);
  BIO* key_bio =
      BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), cert), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), key), 1);
  X509_free(cert);
  EVP_PKEY_free(key);
  X509* ca = ReadCert(ca_pem);
  EXPECT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca), 1);
  X509_free(ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  return ctx;
}

std::string PeerCommonName(SSL* ssl) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return "";
  char name[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof(name));
  return name;
}

// ---- One end of a tunnel, and the libraft-side pipe it hands over.

struct Side {
  TlsTunnel* tunnel = nullptr;
  std::function<Status(SSL*)> check_peer;
  std::function<void(Side*)> after_ready;  // e.g. Shutdown() from inside on_ready

  int ready = 0;
  std::vector<std::string> failures;
  std::vector<int> closed;
  bool gone = false;

  // The libraft end: what it read, whether it saw EOF.
  uv_stream_t* plain = nullptr;
  std::vector<char> read_buffer = std::vector<char>(64 * 1024);
  std::string received;
  bool eof = false;
  int read_error = 0;
  int writes_pending = 0;
  bool plain_closed = false;

  bool ended() const { return !failures.empty() || !closed.empty(); }
};

struct PlainWrite {
  uv_write_t req{};
  Side* side = nullptr;
  std::string bytes;  // empty when the caller keeps the bytes alive
};

void StartReading(Side* side) {
  ASSERT_NE(side->plain, nullptr);
  int rv = uv_read_start(
      side->plain,
      [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* s = static_cast<Side*>(handle->data);
        *buf = uv_buf_init(s->read_buffer.data(), static_cast<unsigned>(s->read_buffer.size()));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* s = static_cast<Side*>(stream->data);
        if (nread > 0) {
          s->received.append(buf->base, static_cast<std::size_t>(nread));
        } else if (nread == UV_EOF) {
          s->eof = true;
        } else if (nread < 0) {
          s->read_error = static_cast<int>(nread);
        }
      });
  ASSERT_EQ(rv, 0);
}

// Writes [data, data + size), which the caller keeps alive until written.
void WritePlain(Side* side, const char* data, std::size_t size, std::string owned = "") {
  auto* write = new PlainWrite;
  write->side = side;
  write->bytes = std::move(owned);
  write->req.data = write;
  if (!write->bytes.empty()) data = write->bytes.data();
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(size));
  ++side->writes_pending;
  int rv = uv_write(&write->req, side->plain, &buf, 1, [](uv_write_t* req, int) {
    auto* w = static_cast<PlainWrite*>(req->data);
    --w->side->writes_pending;
    delete w;
  });
  ASSERT_EQ(rv, 0);
}

void WritePlain(Side* side, std::string bytes) {
  std::size_t size = bytes.size();
  WritePlain(side, nullptr, size, std::move(bytes));
}

// What libraft does with a stream it no longer wants.
void ClosePlain(Side* side) {
  uv_close(reinterpret_cast<uv_handle_t*>(side->plain), [](uv_handle_t* handle) {
    static_cast<Side*>(handle->data)->plain_closed = true;
    raft_free(handle);
  });
}

class TlsTunnelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as raft::Node does
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    uv_timer_init(&loop_, &deadline_);
    uv_check_init(&loop_, &check_);
    check_.data = this;
    // After every loop iteration: how much the live tunnels hold.
    uv_check_start(&check_, [](uv_check_t* check) {
      auto* self = static_cast<TlsTunnelTest*>(check->data);
      for (Side* side : {&self->client_, &self->server_}) {
        if (side->tunnel != nullptr && !side->gone) {
          self->max_queued_ = std::max(self->max_queued_, side->tunnel->queued_bytes());
        }
      }
    });
  }

  void TearDown() override {
    // Whatever a failed test left behind is ended, so that the loop can close.
    for (Side* side : {&client_, &server_}) {
      if (side->tunnel != nullptr && !side->gone) side->tunnel->Shutdown();
      if (side->plain != nullptr && !side->plain_closed &&
          !uv_is_closing(reinterpret_cast<uv_handle_t*>(side->plain))) {
        ClosePlain(side);
      }
    }
    EXPECT_TRUE(RunUntil([&] { return Gone(client_) && Gone(server_); }));
    if (raw_ != nullptr) CloseRaw(&raw_);
    if (accepted_ != nullptr) CloseRaw(&accepted_);
    if (listening_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    // on_gone fired on both sides and nothing of the tunnels is left.
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    EXPECT_LE(max_queued_, kBound);
  }

  static bool Gone(const Side& side) {
    return (side.tunnel == nullptr || side.gone) && (side.plain == nullptr || side.plain_closed);
  }

  static void CloseRaw(uv_tcp_t** tcp) {
    uv_close(reinterpret_cast<uv_handle_t*>(*tcp), [](uv_handle_t* h) { raft_free(h); });
    *tcp = nullptr;
  }

  // Runs the loop until `done`; false if it did not happen within 60 s (a
  // hung test fails instead of hanging).
  bool RunUntil(const std::function<bool()>& done) {
    bool timed_out = false;
    deadline_.data = &timed_out;
    uv_timer_start(
        &deadline_, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 60000, 0);
    while (!done() && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&deadline_);
    return !timed_out;
  }

  // A TCP connection over 127.0.0.1: raw_ is the connecting end, accepted_
  // the accepted one; both raft_malloc'd, reading stopped.
  void ConnectTcp(int buffer_size = 0) {
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    listening_ = true;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    ASSERT_EQ(uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0), 0);
    ASSERT_EQ(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 4,
                        [](uv_stream_t* listener, int status) {
                          ASSERT_EQ(status, 0);
                          auto* self = static_cast<TlsTunnelTest*>(listener->data);
                          self->accepted_ = NewTcp(listener->loop);
                          ASSERT_EQ(
                              uv_accept(listener, reinterpret_cast<uv_stream_t*>(self->accepted_)),
                              0);
                        }),
              0);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    raw_ = NewTcp(&loop_);
    uv_connect_t connect{};
    bool connected = false;
    connect.data = &connected;
    ASSERT_EQ(uv_tcp_connect(&connect, raw_, reinterpret_cast<const sockaddr*>(&bound),
                             [](uv_connect_t* req, int status) {
                               ASSERT_EQ(status, 0);
                               *static_cast<bool*>(req->data) = true;
                             }),
              0);
    ASSERT_TRUE(RunUntil([&] { return connected && accepted_ != nullptr; }));
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    listening_ = false;
    if (buffer_size > 0) {
      // Fixed socket buffers (no autotuning), so that a reader that stops
      // makes the writer's queue grow within a few MiB.
      for (uv_tcp_t* tcp : {raw_, accepted_}) {
        int value = buffer_size;
        uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(tcp), &value);
        value = buffer_size;
        uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(tcp), &value);
      }
    }
  }

  static uv_tcp_t* NewTcp(uv_loop_t* loop) {
    auto* tcp = static_cast<uv_tcp_t*>(raft_malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop, tcp);
    return tcp;
  }

  TlsTunnel::Callbacks CallbacksFor(Side* side) {
    TlsTunnel::Callbacks callbacks;
    callbacks.on_ready = [side](uv_stream_t* plain) {
      ++side->ready;
      side->plain = plain;
      plain->data = side;
      if (side->after_ready) side->after_ready(side);
    };
    callbacks.check_peer = side->check_peer;
    callbacks.on_failed = [side](std::string reason) { side->failures.push_back(reason); };
    callbacks.on_closed = [side](int status) { side->closed.push_back(status); };
    callbacks.on_gone = [side] {
      EXPECT_FALSE(side->gone);
      EXPECT_TRUE(side->ended());  // on_failed or on_closed came first
      side->gone = true;
    };
    return callbacks;
  }

  // Wraps both ends of a fresh connection: the accepted end as the server
  // (node_b), the connecting end as the client (node_a).
  void StartTunnels(const CertKeyPair& client_identity, const CertKeyPair& server_identity,
                    int buffer_size = 0) {
    ConnectTcp(buffer_size);
    const Pki& pki = TestPki();
    server_ctx_ = NewContext(true, server_identity, pki.ca.cert_pem);
    client_ctx_ = NewContext(false, client_identity, pki.ca.cert_pem);
    uv_tcp_t* accepted = accepted_;
    uv_tcp_t* raw = raw_;
    accepted_ = raw_ = nullptr;  // the tunnels' now
    server_.tunnel = TlsTunnel::Start(&loop_, accepted, SSL_new(server_ctx_.get()),
                                      /*server=*/true, CallbacksFor(&server_));
    client_.tunnel = TlsTunnel::Start(&loop_, raw, SSL_new(client_ctx_.get()),
                                      /*server=*/false, CallbacksFor(&client_));
  }

  void StartReadyTunnels(int buffer_size = 0) {
    StartTunnels(TestPki().node_a, TestPki().node_b, buffer_size);
    ASSERT_TRUE(RunUntil([&] { return (client_.ready && server_.ready) || Failed(); }));
    ASSERT_THAT(client_.failures, IsEmpty());
    ASSERT_THAT(server_.failures, IsEmpty());
    ASSERT_EQ(client_.ready, 1);
    ASSERT_EQ(server_.ready, 1);
  }

  bool Failed() const { return !client_.failures.empty() || !server_.failures.empty(); }

  // The most a tunnel may hold: kMaxQueued per direction plus a read buffer
  // and TLS framing (see the header).
  static constexpr std::size_t kBound = TlsTunnel::kMaxQueued + 4 * TlsTunnel::kBufferSize;

  uv_loop_t loop_{};
  uv_timer_t deadline_{};
  uv_check_t check_{};
  uv_tcp_t listener_{};
  bool listening_ = false;
  uv_tcp_t* raw_ = nullptr;
  uv_tcp_t* accepted_ = nullptr;
  CtxPtr server_ctx_;
  CtxPtr client_ctx_;
  Side client_;
  Side server_;
  std::size_t max_queued_ = 0;
};

TEST_F(TlsTunnelTest, CarriesBytesBothWaysAndChecksThePeer) {
  std::string client_saw;
  std::string server_saw;
  client_.check_peer = [&](SSL* ssl) {
    client_saw = PeerCommonName(ssl);
    return Status::Ok();
  };
  server_.check_peer = [&](SSL* ssl) {
    server_saw = PeerCommonName(ssl);
    return Status::Ok();
  };
  StartReadyTunnels();
  EXPECT_EQ(client_saw, "node-b");
  EXPECT_EQ(server_saw, "node-a");

  StartReading(&client_);
  StartReading(&server_);
  std::string ping = "ping from the client " + RandomBytes(1000);
  std::string pong = "pong from the server " + RandomBytes(3000);
  WritePlain(&client_, ping);
  WritePlain(&server_, pong);
  ASSERT_TRUE(RunUntil([&] {
    return server_.received.size() >= ping.size() && client_.received.size() >= pong.size();
  }));
  EXPECT_EQ(server_.received, ping);
  EXPECT_EQ(client_.received, pong);

  // Every record one side sent has been read by the other.
  EXPECT_GT(client_.tunnel->bytes_out(), ping.size());
  EXPECT_EQ(client_.tunnel->bytes_out(), server_.tunnel->bytes_in());
  EXPECT_EQ(server_.tunnel->bytes_out(), client_.tunnel->bytes_in());
  EXPECT_GT(client_.tunnel->last_received(), 0u);
  EXPECT_GT(server_.tunnel->last_received(), 0u);
  EXPECT_TRUE(client_.closed.empty());
  EXPECT_TRUE(server_.closed.empty());
}

TEST_F(TlsTunnelTest, LargeTransferArrivesIntactWithBoundedQueues) {
  // Small fixed socket buffers: the queues, not the kernel, absorb a stall.
  StartReadyTunnels(/*buffer_size=*/128 * 1024);
  constexpr std::size_t kSize = 32 * 1024 * 1024;
  constexpr std::size_t kChunk = 1024 * 1024;
  const std::string data = RandomBytes(kSize);
  for (std::size_t at = 0; at < kSize; at += kChunk) WritePlain(&client_, data.data() + at, kChunk);

  // libraft on the server does not read yet: the server's tunnel stops
  // reading TCP, then the client's stops reading its pipe.
  ASSERT_TRUE(RunUntil([&] {
    return server_.tunnel->NetworkPausedForTest() && client_.tunnel->PipePausedForTest();
  }));
  EXPECT_GT(max_queued_, TlsTunnel::kMaxQueued);  // the bound was reached, and held
  EXPECT_LE(max_queued_, kBound);

  server_.received.reserve(kSize);
  StartReading(&server_);
  // Both resume once drained.
  ASSERT_TRUE(RunUntil([&] {
    return server_.ended() ||
           (server_.received.size() >= kSize && client_.writes_pending == 0 &&
            !server_.tunnel->NetworkPausedForTest() && !client_.tunnel->PipePausedForTest());
  }));
  ASSERT_EQ(server_.received.size(), kSize);
  EXPECT_EQ(Sha256Hex(server_.received), Sha256Hex(data));
  EXPECT_TRUE(server_.received == data);
  EXPECT_LE(max_queued_, kBound);
}

// A refusal by either side fails both handshakes: the one refusing with its
// reason, the refused one because it never gets the peer's ready byte.
class TlsTunnelSideTest : public TlsTunnelTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool client_refused() const { return GetParam(); }
  Side& refusing() { return client_refused() ? server_ : client_; }
  Side& refused() { return client_refused() ? client_ : server_; }

  void ExpectBothFailed() {
    ASSERT_TRUE(RunUntil([&] { return Gone(client_) && Gone(server_); }));
    for (Side* side : {&client_, &server_}) {
      EXPECT_EQ(side->ready, 0);
      EXPECT_EQ(side->failures.size(), 1u);
      EXPECT_TRUE(side->closed.empty());
      EXPECT_TRUE(side->gone);
    }
  }
};

TEST_P(TlsTunnelSideTest, CertificateFromAnotherCaFailsBothSides) {
  const Pki& pki = TestPki();
  if (client_refused()) {
    StartTunnels(pki.intruder, pki.node_b);
  } else {
    StartTunnels(pki.node_a, pki.intruder);
  }
  ExpectBothFailed();
  EXPECT_THAT(refusing().failures.at(0), HasSubstr("certificate verify failed"));
  EXPECT_THAT(refused().failures.at(0), HasSubstr("alert"));
}

TEST_P(TlsTunnelSideTest, CheckPeerErrorFailsBothSides) {
  refusing().check_peer = [](SSL* ssl) -> Status {
    return PermissionDeniedError("not a member of this cluster: " + PeerCommonName(ssl));
  };
  StartTunnels(TestPki().node_a, TestPki().node_b);
  ExpectBothFailed();
  EXPECT_EQ(refusing().failures.at(0),
            "not a member of this cluster: " + std::string(client_refused() ? "node-a" : "node-b"));
}

INSTANTIATE_TEST_SUITE_P(TlsTunnel, TlsTunnelSideTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("ClientRefused")
                                             : std::string("ServerRefused");
                         });

TEST_F(TlsTunnelTest, NotTlsPeerFails) {
  ConnectTcp();
  server_ctx_ = NewContext(true, TestPki().node_b, TestPki().ca.cert_pem);
  uv_tcp_t* accepted = accepted_;
  accepted_ = nullptr;
  server_.tunnel = TlsTunnel::Start(&loop_, accepted, SSL_new(server_ctx_.get()),
                                    /*server=*/true, CallbacksFor(&server_));
  // A raw client that speaks HTTP; it sees the connection close.
  static const char kRequest[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  uv_write_t write{};
  uv_buf_t buf = uv_buf_init(const_cast<char*>(kRequest), sizeof(kRequest) - 1);
  ASSERT_EQ(uv_write(&write, reinterpret_cast<uv_stream_t*>(raw_), &buf, 1, nullptr), 0);
  bool raw_ended = false;
  raw_->data = &raw_ended;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(raw_),
      [](uv_handle_t*, std::size_t, uv_buf_t* b) {
        static char scratch[4096];
        *b = uv_buf_init(scratch, sizeof(scratch));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        if (nread < 0) *static_cast<bool*>(s->data) = true;
      });
  ASSERT_TRUE(RunUntil([&] { return server_.gone && raw_ended; }));
  EXPECT_EQ(server_.ready, 0);
  ASSERT_EQ(server_.failures.size(), 1u);
  EXPECT_THAT(server_.failures[0], HasSubstr("TLS: "));
}

TEST_F(TlsTunnelTest, ShutdownBeforeReadyFailsBothSides) {
  StartTunnels(TestPki().node_a, TestPki().node_b);
  server_.tunnel->Shutdown();
  server_.tunnel->Shutdown();              // idempotent
  ASSERT_EQ(server_.failures.size(), 1u);  // at once
  EXPECT_EQ(server_.failures[0], "shut down");
  ASSERT_TRUE(RunUntil([&] { return Gone(client_) && Gone(server_); }));
  EXPECT_EQ(client_.ready + server_.ready, 0);
  EXPECT_EQ(client_.failures.size(), 1u);  // EOF or a reset, mid-handshake
}

TEST_F(TlsTunnelTest, ShutdownAfterReadyEndsBothSides) {
  StartReadyTunnels();
  StartReading(&client_);
  StartReading(&server_);
  client_.tunnel->Shutdown();
  ASSERT_EQ(client_.closed, std::vector<int>{0});  // at once
  client_.tunnel->Shutdown();                      // idempotent until on_gone
  // The server's tunnel sees the TCP connection end (no close_notify): an
  // orderly end; both libraft ends read EOF.
  ASSERT_TRUE(RunUntil([&] { return client_.eof && server_.eof && client_.gone && server_.gone; }));
  EXPECT_EQ(server_.closed, std::vector<int>{0});
  EXPECT_EQ(client_.closed, std::vector<int>{0});
  EXPECT_THAT(client_.failures, IsEmpty());
  EXPECT_THAT(server_.failures, IsEmpty());
}

TEST_F(TlsTunnelTest, ShutdownFromOnReady) {
  server_.after_ready = [](Side* side) { side->tunnel->Shutdown(); };
  StartTunnels(TestPki().node_a, TestPki().node_b);
  ASSERT_TRUE(RunUntil([&] { return server_.gone && client_.ended(); }));
  EXPECT_EQ(server_.ready, 1);
  EXPECT_EQ(server_.closed, std::vector<int>{0});
  // The client either got ready before the server went, or not; either way
  // it ended exactly once.
  EXPECT_EQ(client_.failures.size() + client_.closed.size(), 1u);
  StartReading(&server_);
  ASSERT_TRUE(RunUntil([&] { return server_.eof; }));
}

TEST_F(TlsTunnelTest, ClosingThePlainPipeFlushesAndEndsBothSides) {
  StartReadyTunnels();
  StartReading(&server_);
  // libraft on the client writes its last bytes and closes its stream once
  // they are written (into the tunnel's pipe).
  std::string last = RandomBytes(3 * 1024 * 1024 + 17);
  WritePlain(&client_, last.data(), last.size());
  ASSERT_TRUE(RunUntil([&] { return client_.writes_pending == 0; }));
  ClosePlain(&client_);
  // The server's libraft reads all of it, then EOF (close_notify, then FIN).
  ASSERT_TRUE(RunUntil([&] { return server_.eof && client_.gone && server_.gone; }));
  EXPECT_EQ(server_.received.size(), last.size());
  EXPECT_TRUE(server_.received == last);
  EXPECT_EQ(client_.closed, std::vector<int>{0});
  EXPECT_EQ(server_.closed, std::vector<int>{0});
}

TEST_F(TlsTunnelTest, ClosingThePlainPipeWhilePeerIsNotReading) {
  // The server's libraft never reads: its tunnel's queue toward it fills;
  // the client's libraft closes. Both tunnels still end and go.
  StartReadyTunnels(/*buffer_size=*/128 * 1024);
  std::string data = RandomBytes(8 * 1024 * 1024);
  WritePlain(&client_, data.data(), data.size());
  ASSERT_TRUE(RunUntil([&] { return server_.tunnel->NetworkPausedForTest(); }));
  // (The client's tunnel may have stopped reading its pipe too: it then
  // learns of the close only once the connection drains.)
  ClosePlain(&client_);
  // The server's libraft reads at last: the queued bytes, then EOF.
  StartReading(&server_);
  ASSERT_TRUE(RunUntil([&] { return server_.eof && server_.gone && client_.gone; }));
  EXPECT_EQ(client_.closed, std::vector<int>{0});
  EXPECT_EQ(server_.closed, std::vector<int>{0});
  EXPECT_LE(server_.received.size(), data.size());
  EXPECT_TRUE(data.compare(0, server_.received.size(), server_.received) == 0);
}

}  // namespace
}  // namespace tresor::raft

// KeyedTransport after the key proof: TLS with the cluster's certificates
// (docs/cluster-security.md, "TLS") and the quarantine of unreachable peers.
#include "raft/keyed_transport_fixture_for_test.h"

namespace tresor::raft {
namespace {

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

}  // namespace
}  // namespace tresor::raft

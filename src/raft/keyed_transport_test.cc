#include "raft/keyed_transport_fixture_for_test.h"

namespace tresor::raft {
namespace {

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

// The acceptor's parse of a hello (ParseHelloHead, ParseHelloTail), on the
// bytes a peer may send; KeyedTransport's tests drive the same over
// sockets, fuzz/cluster_handshake_fuzzer.cc with arbitrary bytes.
#include "raft/cluster_handshake.h"

#include <gtest/gtest.h>

#include <string>

namespace tresor::raft::handshake {
namespace {

std::string Head(std::string_view magic, std::uint64_t id, std::size_t address_length) {
  std::string head(magic);
  PutU64(&head, id);
  head.push_back(static_cast<char>(address_length >> 8));
  head.push_back(static_cast<char>(address_length & 0xff));
  return head;
}

TEST(ClusterHandshakeTest, AHelloParsesBackIntoWhatMadeIt) {
  const std::string nonce(kNonceSize, 'n');
  for (Channel channel : {Channel::kRaft, Channel::kState}) {
    const std::string hello = Hello(channel, 42, "10.0.0.2:8201", nonce);
    auto head = ParseHelloHead(std::string_view(hello).substr(0, kHelloHeadSize));
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_EQ(head->channel, channel);
    EXPECT_EQ(head->connector_id, 42u);
    ASSERT_EQ(head->address_length, 13u);
    auto tail = ParseHelloTail(*head, std::string_view(hello).substr(kHelloHeadSize));
    ASSERT_TRUE(tail.ok()) << tail.status().ToString();
    EXPECT_EQ(tail->connector_address, "10.0.0.2:8201");
    EXPECT_EQ(tail->nonce_c, nonce);
  }
  auto replication = ParseHelloHead(ReplicationHello());
  ASSERT_TRUE(replication.ok());
  EXPECT_EQ(replication->channel, Channel::kReplication);
}

TEST(ClusterHandshakeTest, MalformedHellosAreRefused) {
  EXPECT_EQ(ParseHelloHead(Head("TRSRAFT2", 1, 5)).status().message(),
            "not a Tresor raft handshake");
  EXPECT_EQ(ParseHelloHead(Head("TRSRAFT1", 0, 5)).status().message(), "malformed hello");
  EXPECT_EQ(ParseHelloHead(Head("TRSRAFT1", 1, 0)).status().message(), "malformed hello");
  EXPECT_EQ(ParseHelloHead(Head("TRSSTAT1", 1, kMaxAddressSize + 1)).status().message(),
            "malformed hello");
  // The largest address is fine; the length's high byte counts.
  auto longest = ParseHelloHead(Head("TRSRAFT1", 1, kMaxAddressSize));
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->address_length, kMaxAddressSize);
  EXPECT_FALSE(ParseHelloHead(Head("TRSRAFT1", 1, 0x0105)).ok());

  HelloHead head{Channel::kRaft, 1, 3};
  auto nul = ParseHelloTail(head, std::string("a\0b", 3) + std::string(kNonceSize, 'n'));
  EXPECT_EQ(nul.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::raft::handshake

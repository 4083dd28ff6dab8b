// The cluster port's handshake messages (docs/cluster-security.md): the
// hello, and the proofs by which each side shows the other that it holds
// the cluster key. KeyedTransport runs the handshake asynchronously on the
// raft thread; the state transfer client (raft/state_transfer.h) runs the
// same steps with blocking sockets.
//
// Two channels share the port, told apart by the hello's magic: libraft's
// own protocol ("TRSRAFT1"), the state stream a follower fetches when it
// is behind the leader's snapshot ("TRSSTAT1"), and DR replication from
// another cluster ("TRSDREP1"). Each channel's proofs carry
// their own labels, so a proof made for one never passes for the other.
//
// Threads: stateless functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor::raft::handshake {

// kReplication is the DR channel (docs/replication.md): its hello is the
// magic and ten zero bytes, and the connection is handed over at once,
// unproven; the DR server authenticates it with TLS instead.
enum class Channel { kRaft, kState, kReplication };

inline constexpr std::size_t kMagicSize = 8;
inline constexpr std::size_t kNonceSize = 32;
inline constexpr std::size_t kProofSize = 32;
inline constexpr std::size_t kHelloHeadSize = kMagicSize + 8 + 2;  // magic, raft id, address length
inline constexpr std::size_t kMaxAddressSize = 255;

// The channel a hello's first kMagicSize bytes ask for; nullopt for
// anything else.
std::optional<Channel> ChannelOfMagic(std::string_view magic);

// The whole hello of the kReplication channel.
std::string ReplicationHello();

// What the acceptor learns from a hello's first kHelloHeadSize bytes.
struct HelloHead {
  Channel channel = Channel::kRaft;
  std::uint64_t connector_id = 0;  // 0 for kReplication
  // How many address bytes follow the head (then kNonceSize of nonce_c):
  // 1..kMaxAddressSize; 0 for kReplication, whose hello ends with its head.
  std::size_t address_length = 0;
};

// Parses a hello's head as the acceptor reads it off the wire. Returns
// InvalidArgument "not a Tresor raft handshake" for an unknown magic and
// "malformed hello" for a zero connector id or an address length of 0 or
// over kMaxAddressSize. The kReplication hello's other bytes are not read.
// REQUIRES: head.size() == kHelloHeadSize.
StatusOr<HelloHead> ParseHelloHead(std::string_view head);

// The rest of a kRaft or kState hello.
struct HelloTail {
  std::string connector_address;
  std::string nonce_c;
};

// Parses the address_length + kNonceSize bytes that follow the head.
// Returns InvalidArgument "malformed hello" when the address holds a NUL.
// REQUIRES: head came from ParseHelloHead, head.channel != kReplication and
// tail.size() == head.address_length + kNonceSize.
StatusOr<HelloTail> ParseHelloTail(const HelloHead& head, std::string_view tail);

// Step 1, connector to acceptor: magic, connector raft id (u64), connector
// address (u16 length, then the bytes), nonce_c.
std::string Hello(Channel channel, std::uint64_t connector_id, std::string_view connector_address,
                  std::string_view nonce_c);

// Step 2's proof (the acceptor's) and step 3's (the connector's):
// HMAC-SHA256 under the cluster key over the channel's label, both nonces
// (the prover's peer's first), the connector's id and address.
std::string AcceptorProof(const SecureBytes& key, Channel channel, std::string_view nonce_c,
                          std::string_view nonce_a, std::uint64_t connector_id,
                          std::string_view connector_address);
std::string ConnectorProof(const SecureBytes& key, Channel channel, std::string_view nonce_a,
                           std::string_view nonce_c, std::uint64_t connector_id,
                           std::string_view connector_address);

void PutU64(std::string* out, std::uint64_t value);
std::uint64_t GetU64(const char* bytes);

}  // namespace tresor::raft::handshake

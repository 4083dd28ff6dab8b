#include "raft/cluster_handshake.h"

#include "common/big_endian.h"
#include "common/check.h"
#include "common/hmac.h"

namespace tresor::raft::handshake {
namespace {

constexpr std::string_view kRaftMagic = "TRSRAFT1";
constexpr std::string_view kStateMagic = "TRSSTAT1";
constexpr std::string_view kReplicationMagic = "TRSDREP1";

// The message each side MACs. Everything before the address has a fixed
// size for a given label, and the labels differ in their first byte, so
// the concatenation is unambiguous; the labels keep a proof of one role or
// one channel from ever being valid for another.
std::string ProofInput(std::string_view label, std::string_view first_nonce,
                       std::string_view second_nonce, std::uint64_t connector_id,
                       std::string_view connector_address) {
  std::string input;
  input.reserve(label.size() + 2 * kNonceSize + 8 + connector_address.size());
  input.append(label).append(first_nonce).append(second_nonce);
  PutU64(&input, connector_id);
  input.append(connector_address);
  return input;
}

}  // namespace

void PutU64(std::string* out, std::uint64_t value) { AppendBigEndian(*out, value, 8); }

std::uint64_t GetU64(const char* bytes) { return ReadBigEndian(std::string_view(bytes, 8)); }

std::optional<Channel> ChannelOfMagic(std::string_view magic) {
  if (magic == kRaftMagic) return Channel::kRaft;
  if (magic == kStateMagic) return Channel::kState;
  if (magic == kReplicationMagic) return Channel::kReplication;
  return std::nullopt;
}

std::string ReplicationHello() {
  std::string hello(kReplicationMagic);
  hello.append(kHelloHeadSize - kMagicSize, '\0');
  return hello;
}

StatusOr<HelloHead> ParseHelloHead(std::string_view head) {
  TRESOR_CHECK(head.size() == kHelloHeadSize);
  std::optional<Channel> channel = ChannelOfMagic(head.substr(0, kMagicSize));
  if (!channel) return InvalidArgumentError("not a Tresor raft handshake");
  HelloHead parsed;
  parsed.channel = *channel;
  if (parsed.channel == Channel::kReplication) return parsed;
  parsed.connector_id = GetU64(head.data() + kMagicSize);
  parsed.address_length = (static_cast<std::size_t>(static_cast<unsigned char>(head[16])) << 8) |
                          static_cast<unsigned char>(head[17]);
  if (parsed.connector_id == 0 || parsed.address_length == 0 ||
      parsed.address_length > kMaxAddressSize) {
    return InvalidArgumentError("malformed hello");
  }
  return parsed;
}

StatusOr<HelloTail> ParseHelloTail(const HelloHead& head, std::string_view tail) {
  TRESOR_CHECK(head.channel != Channel::kReplication &&
               tail.size() == head.address_length + kNonceSize);
  HelloTail parsed;
  parsed.connector_address.assign(tail.substr(0, head.address_length));
  parsed.nonce_c.assign(tail.substr(head.address_length));
  if (parsed.connector_address.find('\0') != std::string::npos) {
    return InvalidArgumentError("malformed hello");
  }
  return parsed;
}

std::string Hello(Channel channel, std::uint64_t connector_id, std::string_view connector_address,
                  std::string_view nonce_c) {
  std::string hello(channel == Channel::kRaft ? kRaftMagic : kStateMagic);
  PutU64(&hello, connector_id);
  hello.push_back(static_cast<char>(connector_address.size() >> 8));
  hello.push_back(static_cast<char>(connector_address.size() & 0xff));
  hello.append(connector_address).append(nonce_c);
  return hello;
}

std::string AcceptorProof(const SecureBytes& key, Channel channel, std::string_view nonce_c,
                          std::string_view nonce_a, std::uint64_t connector_id,
                          std::string_view connector_address) {
  std::string_view label = channel == Channel::kRaft ? "acceptor" : "state-acceptor";
  return HmacSha256(key, ProofInput(label, nonce_c, nonce_a, connector_id, connector_address));
}

std::string ConnectorProof(const SecureBytes& key, Channel channel, std::string_view nonce_a,
                           std::string_view nonce_c, std::uint64_t connector_id,
                           std::string_view connector_address) {
  std::string_view label = channel == Channel::kRaft ? "connector" : "state-connector";
  return HmacSha256(key, ProofInput(label, nonce_a, nonce_c, connector_id, connector_address));
}

}  // namespace tresor::raft::handshake

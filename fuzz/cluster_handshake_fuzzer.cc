// Fuzz target: the cluster port's handshake (raft/cluster_handshake.h), as
// KeyedTransport runs it, fed the peer's side of the conversation.
//
// The first input byte picks the role we play:
//   even: acceptor. The rest is what a connector sends: the hello's head
//         (ParseHelloHead), its tail (ParseHelloTail), then the
//         connector's proof, checked against the one computed under our key.
//   odd:  connector. The rest is the acceptor's answer to our hello: nonce_a
//         and proof_a, checked the way OnAcceptorProof checks them.
// Short input ends the conversation where a peer that hangs up would.
// Our nonces are random per input, as on the wire. Invariants: no crash,
// no sanitizer report; a refusal is InvalidArgument; a hello that parses is
// exactly the bytes Hello() writes for what it parsed into; no proof passes
// (it would have to be an HMAC-SHA256 under the cluster key over a nonce
// drawn after the input was written: a pass means a broken check).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "common/random.h"
#include "common/secure_memory.h"
#include "raft/cluster_handshake.h"

namespace {

namespace handshake = tresor::raft::handshake;
using handshake::Channel;

const tresor::SecureBytes& ClusterKey() {
  static const tresor::SecureBytes key = tresor::ToSecureBytes(std::string(32, 'k'));
  return key;
}

void Acceptor(std::string_view in) {
  if (in.size() < handshake::kHelloHeadSize) return;
  tresor::StatusOr<handshake::HelloHead> head =
      handshake::ParseHelloHead(in.substr(0, handshake::kHelloHeadSize));
  if (!head.ok()) {
    TRESOR_CHECK(head.status().code() == tresor::StatusCode::kInvalidArgument);
    return;
  }
  if (head->channel == Channel::kReplication) {
    TRESOR_CHECK(in.substr(0, handshake::kMagicSize) ==
                 handshake::ReplicationHello().substr(0, handshake::kMagicSize));
    return;
  }
  TRESOR_CHECK(head->connector_id != 0 && head->address_length >= 1 &&
               head->address_length <= handshake::kMaxAddressSize);
  in.remove_prefix(handshake::kHelloHeadSize);
  const std::size_t tail_size = head->address_length + handshake::kNonceSize;
  if (in.size() < tail_size) return;
  tresor::StatusOr<handshake::HelloTail> tail =
      handshake::ParseHelloTail(*head, in.substr(0, tail_size));
  if (!tail.ok()) {
    TRESOR_CHECK(tail.status().code() == tresor::StatusCode::kInvalidArgument);
    return;
  }
  TRESOR_CHECK(tail->connector_address.size() == head->address_length);
  TRESOR_CHECK(tail->connector_address.find('\0') == std::string::npos);
  TRESOR_CHECK(tail->nonce_c.size() == handshake::kNonceSize);
  // The hello we parsed is the hello its fields make.
  std::string_view hello_bytes(in.data() - handshake::kHelloHeadSize,
                               handshake::kHelloHeadSize + tail_size);
  TRESOR_CHECK(handshake::Hello(head->channel, head->connector_id, tail->connector_address,
                                tail->nonce_c) == hello_bytes);
  in.remove_prefix(tail_size);

  // Fresh for every connection, as KeyedTransport draws it: the proof the
  // peer must answer with is unknown before this point. (With a fixed
  // nonce, libFuzzer's comparison tracing reads the expected proof off the
  // check of one run and replays it in the next, as a man in the middle of
  // two handshakes with the same nonce could.)
  const std::string nonce_a = tresor::RandomBytes(handshake::kNonceSize);
  const std::string proof_a = handshake::AcceptorProof(
      ClusterKey(), head->channel, tail->nonce_c, nonce_a, head->connector_id,
      tail->connector_address);
  TRESOR_CHECK(proof_a.size() == handshake::kProofSize);
  if (in.size() < handshake::kProofSize) return;
  const std::string expected =
      handshake::ConnectorProof(ClusterKey(), head->channel, nonce_a, tail->nonce_c,
                                head->connector_id, tail->connector_address);
  TRESOR_CHECK(!tresor::ConstantTimeEquals(expected, in.substr(0, handshake::kProofSize)));
  // A proof for the other role never passes for this one.
  TRESOR_CHECK(expected != proof_a);
}

void Connector(std::string_view in) {
  const std::string nonce_c = tresor::RandomBytes(handshake::kNonceSize);
  const std::string address = "127.0.0.1:8201";
  for (Channel channel : {Channel::kRaft, Channel::kState}) {
    const std::string hello = handshake::Hello(channel, 7, address, nonce_c);
    TRESOR_CHECK(hello.size() == handshake::kHelloHeadSize + address.size() + nonce_c.size());
    if (in.size() < handshake::kNonceSize + handshake::kProofSize) return;
    const std::string nonce_a(in.substr(0, handshake::kNonceSize));
    std::string_view proof_a = in.substr(handshake::kNonceSize, handshake::kProofSize);
    const std::string expected =
        handshake::AcceptorProof(ClusterKey(), channel, nonce_c, nonce_a, 7, address);
    TRESOR_CHECK(!tresor::ConstantTimeEquals(expected, proof_a));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    Acceptor(in);
  } else {
    Connector(in);
  }
  return 0;
}

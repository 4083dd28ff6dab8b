#include "raft/state_transfer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <thread>

#include "common/random.h"
#include "raft/cluster_handshake.h"
#include "raft/state_stream.h"

namespace tresor::raft {
namespace {

using handshake::Channel;

constexpr char kAnswerOk = 'K';
constexpr char kAnswerBehind = 'B';
// The server's bound on one write and on reading the request.
constexpr std::chrono::seconds kServerIoTimeout{30};

void SetTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return UnavailableError(std::string("state transfer: write: ") +
                              (errno == EAGAIN ? "timed out" : std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status ReadExact(int fd, char* buffer, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::recv(fd, buffer, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return UnavailableError("state transfer: the peer closed the connection early");
    if (n < 0) {
      return UnavailableError(std::string("state transfer: read: ") +
                              (errno == EAGAIN ? "timed out" : std::strerror(errno)));
    }
    buffer += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

StatusOr<int> Dial(const std::string& address, std::chrono::milliseconds timeout) {
  std::size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535 ||
      ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return InvalidArgumentError("state transfer: cannot parse the leader's address " + address);
  }
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return UnavailableError(std::string("state transfer: socket: ") + std::strerror(errno));
  SetTimeouts(fd, timeout);  // SO_SNDTIMEO bounds connect too
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return UnavailableError("state transfer: cannot connect to " + address + ": " + why);
  }
  return fd;
}

}  // namespace

// ---- serving ----

StateServer::StateServer(const StateStore& store) : store_(store) {}

StateServer::~StateServer() { Stop(); }

void StateServer::Serve(int fd, std::string peer, std::uint64_t peer_id,
                        std::shared_ptr<const ClusterTls> tls) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || streams_.size() >= static_cast<std::size_t>(kMaxStreams)) {
      ::close(fd);
      spdlog::warn("raft: not streaming the state to {}: {}", peer,
                   stopping_ ? "shutting down" : "too many streams at once");
      return;
    }
    streams_.insert(fd);
  }
  std::thread([this, fd, peer = std::move(peer), peer_id, tls = std::move(tls)] {
    Run(fd, peer, peer_id, *tls);
    std::lock_guard<std::mutex> lock(mutex_);
    streams_.erase(fd);
    ::close(fd);
    idle_.notify_all();
  }).detach();
}

void StateServer::Stop() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  for (int fd : streams_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return streams_.empty(); });
}

void StateServer::Run(int fd, const std::string& peer, std::uint64_t peer_id,
                      const ClusterTls& tls) {
  SetTimeouts(fd, kServerIoTimeout);
  auto channel = BlockingTls::Handshake(fd, tls, /*server=*/true, peer_id);
  if (!channel.ok()) {
    spdlog::warn("raft: refused the state stream to {}: {}", peer, channel.status().message());
    return;
  }
  BlockingTls& tls_fd = **channel;
  char request[8];
  if (Status read = tls_fd.ReadExact(request, sizeof(request)); !read.ok()) {
    spdlog::warn("raft: state request from {}: {}", peer, read.message());
    return;
  }
  const std::uint64_t wanted = handshake::GetU64(request);
  auto view = store_.OpenView();
  if (!view.ok()) {
    spdlog::error("raft: cannot stream the state to {}: {}", peer, view.status().message());
    return;
  }
  const std::uint64_t applied = (*view)->applied_index();
  std::string answer(1, applied >= wanted ? kAnswerOk : kAnswerBehind);
  if (applied < wanted) {
    handshake::PutU64(&answer, applied);
    tls_fd.WriteAll(answer).IgnoreError();
    spdlog::info("raft: {} asked for the state at index {}; this node is at {}", peer, wanted,
                 applied);
    return;
  }
  std::uint64_t bytes = 0;
  Status sent = tls_fd.WriteAll(answer);
  if (sent.ok()) {
    sent = WriteViewStream(**view, [&](std::string_view piece) {
      bytes += piece.size();
      return tls_fd.WriteAll(piece);
    });
  }
  if (!sent.ok()) {
    spdlog::warn("raft: streaming the state to {} failed: {}", peer, sent.message());
    return;
  }
  spdlog::info("raft: streamed the state at index {} to {} ({} bytes)", applied, peer, bytes);
}

// ---- fetching ----

StatusOr<std::uint64_t> FetchState(const StateFetchOptions& options, StateStore& store) {
  TRESOR_ASSIGN_OR_RETURN(int raw_fd, Dial(options.address, options.io_timeout));
  FdCloser closer{raw_fd};
  const int fd = raw_fd;

  const std::string nonce_c = RandomBytes(handshake::kNonceSize);
  TRESOR_RETURN_IF_ERROR(
      WriteAll(fd, handshake::Hello(Channel::kState, options.id, options.own_address, nonce_c)));
  char reply[handshake::kNonceSize + handshake::kProofSize];
  TRESOR_RETURN_IF_ERROR(ReadExact(fd, reply, sizeof(reply)));
  const std::string nonce_a(reply, handshake::kNonceSize);
  const std::string expected = handshake::AcceptorProof(options.key, Channel::kState, nonce_c,
                                                        nonce_a, options.id, options.own_address);
  if (!ConstantTimeEquals(expected,
                          std::string_view(reply + handshake::kNonceSize, handshake::kProofSize))) {
    return PermissionDeniedError("state transfer: " + options.address +
                                 " did not prove it holds the cluster key");
  }
  TRESOR_RETURN_IF_ERROR(WriteAll(fd, handshake::ConnectorProof(options.key, Channel::kState,
                                                                nonce_a, nonce_c, options.id,
                                                                options.own_address)));
  if (options.tls == nullptr) return UnavailableError("state transfer: no cluster TLS yet");
  auto channel = BlockingTls::Handshake(fd, *options.tls, /*server=*/false, /*peer_id=*/0);
  if (!channel.ok()) {
    return channel.status().WithContext("state transfer: TLS with " + options.address);
  }
  BlockingTls& tls_fd = **channel;
  std::string request;
  handshake::PutU64(&request, options.min_index);
  TRESOR_RETURN_IF_ERROR(tls_fd.WriteAll(request));

  char answer = 0;
  TRESOR_RETURN_IF_ERROR(tls_fd.ReadExact(&answer, 1));
  if (answer == kAnswerBehind) {
    char index[8];
    TRESOR_RETURN_IF_ERROR(tls_fd.ReadExact(index, sizeof(index)));
    return UnavailableError("state transfer: " + options.address + " is at index " +
                            std::to_string(handshake::GetU64(index)) + ", behind " +
                            std::to_string(options.min_index));
  }
  if (answer != kAnswerOk) {
    return UnavailableError("state transfer: unexpected answer from " + options.address);
  }

  return InstallStateStream(
      [&tls_fd](char* buffer, std::size_t size) { return tls_fd.ReadExact(buffer, size); },
      options.min_index, store);
}

Status WriteViewStream(const StateStore::View& view,
                       const std::function<Status(std::string_view piece)>& sink) {
  return WriteStateStream(
      view.applied_index(),
      [&](const StateRecordVisitor& visit) { return view.ForEachStored(visit); }, sink);
}

StatusOr<std::uint64_t> InstallStateStream(
    const std::function<Status(char* buffer, std::size_t size)>& read_exact,
    std::uint64_t min_index, StateStore& store) {
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<StateStore::Installer> installer, store.BeginInstall());
  std::uint64_t applied = 0;
  TRESOR_RETURN_IF_ERROR(ReadStateStream(
      read_exact,
      [&](std::uint64_t index) -> Status {
        if (index < min_index) {
          return CorruptionError("state transfer: the stream is at index " + std::to_string(index) +
                                 ", behind the one asked for");
        }
        applied = index;
        return Status::Ok();
      },
      [&](std::string_view key, std::string_view value) { return installer->Add(key, value); }));
  TRESOR_RETURN_IF_ERROR(installer->Finish(applied));
  return applied;
}

}  // namespace tresor::raft

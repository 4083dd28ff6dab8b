#include "core/replication/dr_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/encoding.h"
#include "common/secure_memory.h"
#include "common/sha256.h"
#include "core/replication/dr_records.h"
#include "core/replication/dr_wire.h"

namespace tresor::core::replication {
namespace {

constexpr std::chrono::milliseconds kMaxWait{2000};
constexpr std::size_t kMaxPullBytes = std::size_t{16} << 20;

nlohmann::json ParsePayload(const std::string& payload) {
  return nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

DrServer::DrServer(PrimaryDeps deps) : deps_(std::move(deps)) {}

DrServer::~DrServer() { Stop(); }

void DrServer::Serve(int fd, std::string peer) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || fds_.size() >= static_cast<std::size_t>(kMaxConnections)) {
      ::close(fd);
      spdlog::warn("dr: refused a connection from {}: {}", peer,
                   stopping_ ? "shutting down" : "too many connections at once");
      return;
    }
    fds_.insert(fd);
  }
  std::thread([this, fd, peer = std::move(peer)] {
    Run(fd, peer);
    std::lock_guard lock(mutex_);
    fds_.erase(fd);
    for (auto it = fds_by_id_.begin(); it != fds_by_id_.end();) {
      it = it->second == fd ? fds_by_id_.erase(it) : std::next(it);
    }
    ::close(fd);
    idle_.notify_all();
  }).detach();
}

void DrServer::Stop() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait(lock, [this] { return fds_.empty(); });
}

void DrServer::Disconnect(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto [begin, end] = fds_by_id_.equal_range(id);
  for (auto it = begin; it != end; ++it) ::shutdown(it->second, SHUT_RDWR);
}

std::vector<DrServer::SecondaryState> DrServer::Secondaries() const {
  std::lock_guard lock(mutex_);
  std::vector<SecondaryState> out;
  for (const auto& [id, state] : secondaries_) out.push_back(state);
  return out;
}

bool DrServer::WaitForAck(std::uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return acked_.wait_for(lock, timeout, [&] {
    for (const auto& [id, state] : secondaries_) {
      if (state.connected && state.acked_index >= index) return true;
    }
    return false;
  });
}

Status DrServer::RedirectIfNotActive(TlsChannel& channel, bool* redirected) {
  *redirected = !deps_.is_active();
  if (!*redirected) return Status::Ok();
  nlohmann::json body = {{"active", deps_.active_cluster_addr()}};
  return channel.WriteFrame(wire::kElsewhere, body.dump());
}

void DrServer::Run(int fd, const std::string& peer) {
  // A node that is not a primary's, or is sealed (no CA to speak TLS
  // with), says so in the go-ahead byte; an unsealed standby answers with
  // the active's address once the channel is up.
  if (!deps_.is_primary()) {
    ::send(fd, "N", 1, MSG_NOSIGNAL);
    return;
  }
  auto ca = ReadCa(deps_.barrier);
  if (!ca.ok() || !ca->has_value()) {
    ::send(fd, "N", 1, MSG_NOSIGNAL);
    return;
  }
  // The channel owns a duplicate, so that Stop's shutdown of `fd` (closed
  // only after it leaves fds_) reaches the connection whatever its state.
  int channel_fd = ::dup(fd);
  if (channel_fd < 0) return;
  auto channel = TlsChannel::Accept(channel_fd, **ca, kChannelIoTimeout);
  if (!channel.ok()) {
    spdlog::warn("dr: connection from {} refused: {}", peer, channel.status().message());
    return;
  }
  auto first = (*channel)->ReadFrame();
  if (!first.ok()) return;
  Status result = Status::Ok();
  if (first->type == wire::kActivate) {
    result = Activate(**channel, first->payload);
  } else if (first->type == wire::kPull) {
    const std::string id = (*channel)->peer_id();
    if (id.empty()) {
      result = (*channel)->WriteFrame(wire::kRefused, "a pull needs the secondary's certificate");
    } else {
      {
        std::lock_guard lock(mutex_);
        fds_by_id_.emplace(id, fd);
      }
      result = AnswerPull(**channel, id, first->payload);
      if (result.ok()) result = Stream(**channel, id, peer, fd);
      std::lock_guard lock(mutex_);
      if (auto it = secondaries_.find(id); it != secondaries_.end()) it->second.connected = false;
    }
  } else {
    result = (*channel)->WriteFrame(wire::kRefused, "unknown request");
  }
  if (!result.ok()) spdlog::info("dr: connection from {} ended: {}", peer, result.message());
}

Status DrServer::Activate(TlsChannel& channel, const std::string& payload) {
  bool redirected = false;
  TRESOR_RETURN_IF_ERROR(RedirectIfNotActive(channel, &redirected));
  if (redirected) return Status::Ok();
  nlohmann::json request = ParsePayload(payload);
  const std::string id = request.is_object() ? request.value("id", "") : "";
  std::string secret = request.is_object() ? request.value("secret", "") : "";
  auto refuse = [&](const std::string& why) { return channel.WriteFrame(wire::kRefused, why); };
  if (ValidateSecondaryId(id).ok() == false || secret.empty()) {
    return refuse("malformed activation");
  }
  TRESOR_ASSIGN_OR_RETURN(auto record, ReadSecondary(deps_.barrier, id));
  const std::string presented = Sha256Hex(secret);
  std::fill(secret.begin(), secret.end(), '\0');
  if (!record.has_value() || !ConstantTimeEquals(presented, record->secret_sha256)) {
    return refuse("the activation token is not one this primary issued (or it was revoked)");
  }
  if (record->revoked) return refuse("secondary \"" + id + "\" was revoked on the primary");
  if (record->activated) {
    return refuse("the activation token was already used: generate a new one on the primary "
                  "(sys/replication/dr/primary/secondary-token)");
  }
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(deps_.clock.Now().time_since_epoch())
          .count();
  if (now >= record->expires) {
    return refuse("the activation token expired: generate a new one on the primary");
  }
  TRESOR_ASSIGN_OR_RETURN(auto ca, ReadCa(deps_.barrier));
  if (!ca.has_value()) return refuse("this cluster is not a DR primary");
  TRESOR_ASSIGN_OR_RETURN(KeyPair issued, IssueClientCert(*ca, id));
  record->activated = true;
  record->cert = issued.cert_pem;
  record->key = issued.key_pem;
  // Written before the answer: a secondary never holds a certificate the
  // primary has not recorded as used.
  TRESOR_RETURN_IF_ERROR(WriteSecondary(deps_.barrier, *record));
  nlohmann::json answer = {{"cert", issued.cert_pem},
                           {"key", std::string(AsStringView(issued.key_pem))},
                           {"cluster_id", deps_.cluster_id()}};
  std::string text = answer.dump();
  Status sent = channel.WriteFrame(wire::kCredentials, text);
  std::fill(text.begin(), text.end(), '\0');
  spdlog::warn("dr: secondary \"{}\" activated", id);
  return sent;
}

Status DrServer::Stream(TlsChannel& channel, const std::string& id, const std::string& peer,
                        int fd) {
  {
    std::lock_guard lock(mutex_);
    SecondaryState& state = secondaries_[id];
    state.id = id;
    state.address = peer;
  }
  for (;;) {
    TRESOR_ASSIGN_OR_RETURN(TlsChannel::Frame frame, channel.ReadFrame());
    if (frame.type != wire::kPull) return channel.WriteFrame(wire::kRefused, "expected a pull");
    TRESOR_RETURN_IF_ERROR(AnswerPull(channel, id, frame.payload));
  }
}

Status DrServer::AnswerPull(TlsChannel& channel, const std::string& id,
                            const std::string& payload) {
  bool redirected = false;
  TRESOR_RETURN_IF_ERROR(RedirectIfNotActive(channel, &redirected));
  if (redirected) return Status::Ok();
  TRESOR_ASSIGN_OR_RETURN(auto record, ReadSecondary(deps_.barrier, id));
  if (!record.has_value() || record->revoked || !record->activated) {
    TRESOR_RETURN_IF_ERROR(channel.WriteFrame(
        wire::kRefused, "secondary \"" + id + "\" is revoked or unknown on this primary"));
    return PermissionDeniedError("revoked or unknown secondary " + id);
  }
  nlohmann::json request = ParsePayload(payload);
  if (!request.is_object()) return CorruptionError("malformed pull");
  storage::LogPosition position;
  position.index = request.value("index", std::uint64_t{0});
  auto hash = HexDecode(request.value("hash", ""));
  if (hash.ok()) position.hash = *hash;
  const auto wait = std::min(kMaxWait, std::chrono::milliseconds(request.value("wait_ms", 0)));
  const std::size_t max_bytes =
      std::clamp<std::size_t>(request.value("max_bytes", std::size_t{1} << 20), 1, kMaxPullBytes);
  const bool resync = request.value("resync", false);

  {
    std::lock_guard lock(mutex_);
    SecondaryState& state = secondaries_[id];
    state.id = id;
    state.connected = true;
    state.last_heartbeat = deps_.clock.Now();
    state.acked_index = position.index;
  }
  acked_.notify_all();

  bool held = false;
  if (!resync && position.hash.size() == 32) {
    TRESOR_ASSIGN_OR_RETURN(held, deps_.log.Holds(position));
  }
  if (!held) return Resync(channel);
  TRESOR_ASSIGN_OR_RETURN(auto head, deps_.log.Head());
  if (!head.has_value()) return channel.WriteFrame(wire::kRefused, "the DR log is off");
  if (head->last.index <= position.index && wait.count() > 0) {
    deps_.log.WaitPast(position.index, wait);
  }
  // Every write acknowledged before `now` is in the log once it settles:
  // the secondary holding the head read after it holds all of them.
  const auto now = deps_.clock.Now();
  TRESOR_RETURN_IF_ERROR(deps_.log.Settle());
  wire::Entries entries;
  entries.primary_time_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  Status read = deps_.log.Read(position.index, max_bytes,
                               [&](const storage::LogPosition& p, const storage::LogStamp&,
                                   std::string_view entry) {
                                 entries.entries.push_back({p, std::string(entry)});
                                 return Status::Ok();
                               });
  if (read.code() == StatusCode::kNotFound) return Resync(channel);  // trimmed meanwhile
  TRESOR_RETURN_IF_ERROR(read);
  TRESOR_ASSIGN_OR_RETURN(head, deps_.log.Head());
  entries.primary_last = head.has_value() ? head->last.index : 0;
  return channel.WriteFrame(wire::kEntries, wire::EncodeEntries(entries));
}

Status DrServer::Resync(TlsChannel& channel) {
  std::optional<storage::LogPosition> position;
  TRESOR_ASSIGN_OR_RETURN(auto view, deps_.log.OpenPositionedView(&position));
  if (!position.has_value()) return channel.WriteFrame(wire::kRefused, "the DR log is off");
  nlohmann::json begin = {{"index", position->index}, {"hash", HexEncode(position->hash)}};
  TRESOR_RETURN_IF_ERROR(channel.WriteFrame(wire::kResync, begin.dump()));
  std::string frame;
  std::uint64_t records = 0;
  TRESOR_RETURN_IF_ERROR(view->ForEach([&](std::string_view key, std::string_view value) {
    if (wire::UnderAnyPrefix(key, deps_.excluded_prefixes)) return Status::Ok();
    wire::AppendRecord(&frame, key, value);
    ++records;
    if (frame.size() < wire::kRecordsFrameBytes) return Status::Ok();
    Status sent = channel.WriteFrame(wire::kRecords, frame);
    frame.clear();
    return sent;
  }));
  if (!frame.empty()) TRESOR_RETURN_IF_ERROR(channel.WriteFrame(wire::kRecords, frame));
  spdlog::info("dr: sent a resync of {} records at log index {}", records, position->index);
  nlohmann::json end = {{"records", records}};
  return channel.WriteFrame(wire::kResyncEnd, end.dump());
}

}  // namespace tresor::core::replication

#include "core/replication/dr_client.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "core/replication/dr_wire.h"

namespace tresor::core::replication {
namespace {

constexpr std::chrono::milliseconds kRetryPause{1000};

}  // namespace

StatusOr<Activation> Activate(const std::vector<std::string>& addrs, std::string_view ca_cert,
                              const std::string& id, const std::string& secret) {
  Status last = UnavailableError("DR activation: the token names no primary address");
  std::vector<std::string> to_try = addrs;
  for (std::size_t i = 0; i < to_try.size() && i < 8; ++i) {
    auto channel = TlsChannel::Connect(to_try[i], ca_cert, nullptr, kChannelIoTimeout);
    if (!channel.ok()) {
      last = channel.status();
      continue;
    }
    nlohmann::json request = {{"id", id}, {"secret", secret}};
    TRESOR_RETURN_IF_ERROR((*channel)->WriteFrame(wire::kActivate, request.dump()));
    TRESOR_ASSIGN_OR_RETURN(TlsChannel::Frame frame, (*channel)->ReadFrame());
    if (frame.type == wire::kRefused) {
      return PermissionDeniedError("the primary refused the activation: " + frame.payload);
    }
    if (frame.type == wire::kElsewhere) {
      nlohmann::json j = nlohmann::json::parse(frame.payload, nullptr, false);
      std::string active = j.is_object() ? j.value("active", "") : "";
      if (!active.empty()) to_try.push_back(active);
      last = UnavailableError("DR activation: " + to_try[i] + " is not the primary's active node");
      continue;
    }
    nlohmann::json answer = nlohmann::json::parse(frame.payload, nullptr, false);
    if (frame.type != wire::kCredentials || !answer.is_object()) {
      return CorruptionError("DR activation: unexpected answer from the primary");
    }
    Activation activation;
    activation.credentials.cert_pem = answer.value("cert", "");
    std::string key = answer.value("key", "");
    activation.credentials.key_pem = ToSecureBytes(key);
    std::fill(key.begin(), key.end(), '\0');
    std::fill(frame.payload.begin(), frame.payload.end(), '\0');
    activation.cluster_id = answer.value("cluster_id", "");
    return activation;
  }
  return last;
}

DrClient::DrClient(SecondaryDeps deps, PrimaryLink link)
    : deps_(std::move(deps)), link_(std::move(link)) {}

DrClient::~DrClient() { Stop(); }

void DrClient::Start() {
  std::lock_guard lock(mutex_);
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this] { Run(); });
}

void DrClient::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (current_ != nullptr) current_->Interrupt();
  }
  stop_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

DrClient::Progress DrClient::GetProgress() const {
  std::lock_guard lock(mutex_);
  return progress_;
}

bool DrClient::Pause(std::chrono::milliseconds pause) {
  std::unique_lock lock(mutex_);
  return !stop_cv_.wait_for(lock, pause, [this] { return stopping_; });
}

void DrClient::Run() {
  std::size_t next_addr = 0;
  for (;;) {
    std::string addr;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (!redirect_.empty()) {
        addr = std::exchange(redirect_, "");
      } else {
        addr = link_.addrs[next_addr++ % link_.addrs.size()];
      }
      progress_.primary_addr = addr;
    }
    auto channel = TlsChannel::Connect(addr, link_.ca_cert, &link_.credentials, kChannelIoTimeout);
    Status ended = channel.status();
    if (channel.ok()) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        current_ = channel->get();
        progress_.connected = true;
      }
      ended = Follow(**channel);
      std::lock_guard lock(mutex_);
      current_ = nullptr;
      progress_.connected = false;
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (!ended.ok()) progress_.last_error = ended.message();
      if (progress_.state != "resyncing") progress_.state = "connecting";
    }
    if (!ended.ok()) spdlog::warn("dr: following the primary at {}: {}", addr, ended.message());
    bool redirected = false;
    {
      std::lock_guard lock(mutex_);
      redirected = !redirect_.empty();
    }
    if (!redirected && !Pause(kRetryPause)) return;
  }
}

Status DrClient::Follow(TlsChannel& channel) {
  for (;;) {
    TRESOR_ASSIGN_OR_RETURN(auto head, deps_.log.Head());
    storage::LogPosition position = head.has_value() ? head->last : storage::LogPosition{};
    nlohmann::json pull = {{"index", position.index},
                           {"hash", HexEncode(position.hash)},
                           {"wait_ms", kPullWait.count()},
                           {"max_bytes", kPullBytes},
                           {"resync", force_resync_}};
    TRESOR_RETURN_IF_ERROR(channel.WriteFrame(wire::kPull, pull.dump()));
    TRESOR_ASSIGN_OR_RETURN(TlsChannel::Frame frame, channel.ReadFrame());
    switch (frame.type) {
      case wire::kEntries: {
        TRESOR_ASSIGN_OR_RETURN(wire::Entries entries, wire::DecodeEntries(frame.payload));
        Status applied = Status::Ok();
        if (!entries.entries.empty()) applied = deps_.log.AppendAll(entries.entries);
        if (applied.code() == StatusCode::kFailedPrecondition) {
          // This cluster's history left the primary's (a write of its own,
          // or a primary that restored a snapshot): start again from the
          // primary's state.
          spdlog::warn("dr: the primary's entries do not continue this cluster's log ({}); "
                       "resyncing",
                       applied.message());
          force_resync_ = true;
        } else {
          TRESOR_RETURN_IF_ERROR(applied);
        }
        TRESOR_ASSIGN_OR_RETURN(head, deps_.log.Head());
        std::lock_guard lock(mutex_);
        progress_.state = "stream-wals";
        progress_.last_heartbeat = deps_.clock.Now();
        progress_.primary_last_wal = entries.primary_last;
        progress_.last_remote_wal = head.has_value() ? head->last.index : 0;
        if (progress_.last_remote_wal >= entries.primary_last) {
          progress_.caught_up_at = Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(
              std::chrono::milliseconds(entries.primary_time_ms)));
        }
        progress_.last_error.clear();
        break;
      }
      case wire::kResync:
        TRESOR_RETURN_IF_ERROR(ApplyResync(channel, frame.payload));
        force_resync_ = false;
        break;
      case wire::kElsewhere: {
        nlohmann::json j = nlohmann::json::parse(frame.payload, nullptr, false);
        std::string active = j.is_object() ? j.value("active", "") : "";
        std::lock_guard lock(mutex_);
        redirect_ = active;
        return UnavailableError("not the primary's active node" +
                                (active.empty() ? std::string(" (no active node known)")
                                                : "; going to " + active));
      }
      case wire::kRefused:
        return PermissionDeniedError("the primary refused: " + frame.payload);
      default:
        return CorruptionError("DR channel: unexpected message from the primary");
    }
  }
}

Status DrClient::ApplyResync(TlsChannel& channel, const std::string& begin) {
  nlohmann::json j = nlohmann::json::parse(begin, nullptr, false);
  if (!j.is_object()) return CorruptionError("DR channel: malformed resync");
  storage::LogPosition position;
  position.index = j.value("index", std::uint64_t{0});
  TRESOR_ASSIGN_OR_RETURN(position.hash, HexDecode(j.value("hash", "")));
  {
    std::lock_guard lock(mutex_);
    progress_.state = "resyncing";
  }
  spdlog::warn("dr: replacing this cluster's data with the primary's state at log index {}",
               position.index);
  TRESOR_ASSIGN_OR_RETURN(auto restore, deps_.snapshotter.BeginRestore());
  std::uint64_t records = 0;
  for (;;) {
    TRESOR_ASSIGN_OR_RETURN(TlsChannel::Frame frame, channel.ReadFrame());
    if (frame.type == wire::kResyncEnd) break;
    if (frame.type != wire::kRecords) {
      restore->Abort().IgnoreError();
      return CorruptionError("DR channel: unexpected message in a resync");
    }
    Status added = wire::ForEachRecord(frame.payload, [&](std::string_view k, std::string_view v) {
      ++records;
      if (wire::UnderAnyPrefix(k, deps_.excluded_prefixes)) return Status::Ok();
      return restore->Add(k, v);
    });
    if (!added.ok()) {
      restore->Abort().IgnoreError();
      return added;
    }
  }
  TRESOR_RETURN_IF_ERROR(restore->Commit(deps_.excluded_prefixes));
  TRESOR_RETURN_IF_ERROR(deps_.log.MoveTo(position));
  spdlog::warn("dr: resync done: {} records, log index {}", records, position.index);
  if (deps_.on_state_replaced) deps_.on_state_replaced();
  std::lock_guard lock(mutex_);
  ++progress_.resyncs;
  progress_.state = "stream-wals";
  progress_.last_remote_wal = position.index;
  progress_.primary_last_wal = std::max(progress_.primary_last_wal, position.index);
  progress_.last_heartbeat = deps_.clock.Now();
  return Status::Ok();
}

}  // namespace tresor::core::replication

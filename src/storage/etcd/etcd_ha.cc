#include "storage/etcd/etcd_ha.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

#include "common/encoding.h"

namespace tresor::storage {
namespace {

using EtcdSteady = std::chrono::steady_clock;

std::string EtcdLeaseHex(std::int64_t lease) {
  char text[17];
  std::snprintf(text, sizeof text, "%llx",
                static_cast<unsigned long long>(static_cast<std::uint64_t>(lease)));
  return text;
}

constexpr char kEtcdLockLost[] = "this node no longer holds the etcd lock";

}  // namespace

struct EtcdHA::Tenure {
  Tenure(std::shared_ptr<EtcdClient> c, std::shared_ptr<EtcdFence> f, std::int64_t lease_id,
         std::string lock_key, std::chrono::seconds lease_ttl)
      : client(std::move(c)),
        fence(std::move(f)),
        lease(lease_id),
        key(std::move(lock_key)),
        ttl(lease_ttl),
        last_ok_send(EtcdSteady::now().time_since_epoch().count()) {}

  const std::shared_ptr<EtcdClient> client;
  const std::shared_ptr<EtcdFence> fence;
  const std::int64_t lease;
  const std::string key;
  const std::chrono::seconds ttl;
  std::int64_t epoch = 0;  // set before held turns true, then constant
  std::atomic<bool> held{false};
  std::atomic<bool> releasing{false};
  // When the last keep-alive that etcd answered with TTL > 0 was sent
  // (steady clock ticks): etcd's lease runs at least a TTL from then.
  std::atomic<EtcdSteady::rep> last_ok_send;

  std::mutex mu;
  std::condition_variable_any wake;
  bool lost = false;               // guarded by mu
  std::function<void()> on_lost;   // guarded by mu; set when handed out

  EtcdSteady::time_point LastOkSend() const {
    return EtcdSteady::time_point(EtcdSteady::duration(last_ok_send.load()));
  }

  // Ends the tenure; on_lost runs when it had been handed out.
  void Lose(const char* why) {
    std::function<void()> notify;
    {
      std::lock_guard lock(mu);
      if (lost) return;
      lost = true;
      if (held.exchange(false) && !releasing.load()) notify = on_lost;
    }
    fence->Depose(key);
    if (notify) {
      spdlog::warn("etcd: lost the active lock (lease {}): {}", EtcdLeaseHex(lease), why);
      notify();
    }
  }

  // The keeper thread: renews the lease every TTL/3 until stopped or lost.
  void Keep(std::stop_token stop) {
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3;
    while (true) {
      {
        std::unique_lock lock(mu);
        wake.wait_for(lock, stop, period, [] { return false; });
        if (stop.stop_requested() || lost) return;
      }
      EtcdSteady::time_point sent = EtcdSteady::now();
      auto answer =
          client->Call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
      if (stop.stop_requested()) return;
      if (answer.ok()) {
        auto result = answer->find("result");
        if (result == answer->end() || EtcdInt(*result, "TTL") <= 0) {
          Lose("etcd says its lease expired");
          return;
        }
        last_ok_send.store(sent.time_since_epoch().count());
      } else if (EtcdSteady::now() >= LastOkSend() + ttl) {
        Lose("no keep-alive of its lease succeeded for lock_timeout");
        return;
      }
      // The key can go while the lease lives (deleted by hand).
      auto present = client->Call("/v3/kv/range", {{"key", EtcdB64(key)}, {"count_only", true}});
      if (present.ok() && EtcdInt(*present, "count") == 0) {
        Lose("its lock key was deleted");
        return;
      }
    }
  }

  void Revoke() {
    auto revoked = client->Call("/v3/lease/revoke", {{"ID", std::to_string(lease)}});
    if (!revoked.ok() && revoked.status().code() != StatusCode::kNotFound) {
      spdlog::warn("etcd: could not revoke lease {} (it expires within lock_timeout): {}",
                   EtcdLeaseHex(lease), revoked.status().message());
    }
  }

  std::jthread keeper;  // Keep(); started by Acquire
};

namespace {

class EtcdLock : public HALock {
 public:
  EtcdLock(std::shared_ptr<EtcdHA::Tenure> tenure, std::function<void()> released)
      : tenure_(std::move(tenure)),
        holder_id_(EtcdLeaseHex(tenure_->lease)),
        released_(std::move(released)) {}
  ~EtcdLock() override {
    tenure_->releasing = true;
    tenure_->keeper.request_stop();
    tenure_->wake.notify_all();
    if (tenure_->keeper.joinable()) tenure_->keeper.join();
    tenure_->held = false;
    if (!released_done_) tenure_->Revoke();
    tenure_->fence->Clear(tenure_->key);
  }

  const std::string& holder_id() const override { return holder_id_; }
  std::uint64_t epoch() const override { return static_cast<std::uint64_t>(tenure_->epoch); }
  bool Held() const override { return tenure_->held.load(); }
  bool fences_writes() const override { return true; }

  Status ConfirmHeld() override {
    if (!Held()) return UnavailableError(kEtcdLockLost);
    auto margin = tenure_->ttl - std::chrono::duration_cast<std::chrono::milliseconds>(
                                     tenure_->ttl) / 3;
    if (EtcdSteady::now() >= tenure_->LastOkSend() + margin) {
      return UnavailableError("this node's etcd lease was not renewed in time");
    }
    auto present = tenure_->client->Call("/v3/kv/range", {{"key", EtcdB64(tenure_->key)}});
    if (!present.ok()) return UnavailableError(std::string(present.status().message()));
    auto kvs = present->find("kvs");
    if (kvs == present->end() || kvs->empty() ||
        EtcdInt((*kvs)[0], "create_revision") != tenure_->epoch || !Held()) {
      return UnavailableError(kEtcdLockLost);
    }
    return Status::Ok();
  }

  Status Release() override {
    if (!Held()) return UnavailableError(kEtcdLockLost);
    tenure_->releasing = true;
    auto revoked =
        tenure_->client->Call("/v3/lease/revoke", {{"ID", std::to_string(tenure_->lease)}});
    if (!revoked.ok() && revoked.status().code() != StatusCode::kNotFound) {
      tenure_->releasing = false;  // still ours, as far as we know: a loss is reported
      return revoked.status();
    }
    tenure_->held = false;
    tenure_->fence->Depose(tenure_->key);
    released_done_ = true;
    released_();
    return Status::Ok();
  }

 private:
  const std::shared_ptr<EtcdHA::Tenure> tenure_;
  const std::string holder_id_;
  const std::function<void()> released_;
  bool released_done_ = false;
};

}  // namespace

EtcdHA::EtcdHA(std::shared_ptr<EtcdClient> client, std::string lock_root,
               const EtcdOptions& options, std::shared_ptr<EtcdFence> fence)
    : client_(std::move(client)),
      lock_root_(std::move(lock_root)),
      ttl_(options.lock_timeout),
      hold_off_(options.step_down_hold_off),
      poll_(options.lock_poll),
      fence_(std::move(fence)),
      poller_([this](std::stop_token stop) { PollHolders(stop); }) {}

EtcdHA::~EtcdHA() {
  closing_.request_stop();
  poller_.request_stop();
  if (poller_.joinable()) poller_.join();
}

bool EtcdHA::Pause(std::chrono::milliseconds d, std::stop_token stop) {
  std::unique_lock lock(mu_);
  std::stop_token closing = closing_.get_token();
  wake_.wait_for(lock, stop, d, [&] { return closing.stop_requested(); });
  return !stop.stop_requested() && !closing.stop_requested();
}

StatusOr<std::optional<EtcdHA::LockKey>> EtcdHA::Lowest(std::string_view name) {
  std::string dir = lock_root_ + std::string(name) + "/";
  nlohmann::json request = {{"key", EtcdB64(dir)},
                            {"range_end", EtcdB64(EtcdPrefixEnd(dir))},
                            {"keys_only", true},
                            {"limit", 1},
                            {"sort_order", "ASCEND"},
                            {"sort_target", "CREATE"}};
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer, client_->Call("/v3/kv/range", request));
  auto kvs = answer.find("kvs");
  if (kvs == answer.end() || kvs->empty()) return std::optional<LockKey>();
  auto key = Base64Decode((*kvs)[0].value("key", ""));
  if (!key.ok()) return CorruptionError("etcd sent a lock key that is not base64");
  return std::optional<LockKey>(LockKey{*key, EtcdInt((*kvs)[0], "create_revision")});
}

StatusOr<std::optional<HAHolder>> EtcdHA::ReadHolder(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(std::optional<LockKey> lowest, Lowest(name));
  if (!lowest) return std::optional<HAHolder>();
  std::size_t slash = lowest->key.rfind('/');
  return std::optional<HAHolder>(HAHolder{
      lowest->key.substr(slash + 1), static_cast<std::uint64_t>(lowest->create_revision)});
}

StatusOr<std::optional<HAHolder>> EtcdHA::Holder(std::string_view name) {
  {
    std::lock_guard lock(mu_);
    auto known = holders_.find(name);
    if (known != holders_.end()) return known->second;
  }
  auto holder = ReadHolder(name);
  std::lock_guard lock(mu_);
  holders_.insert_or_assign(std::string(name), holder);
  return holder;
}

void EtcdHA::PollHolders(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::vector<std::string> names;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, stop, poll_, [] { return false; });
      if (stop.stop_requested()) return;
      for (const auto& [name, holder] : holders_) names.push_back(name);
    }
    for (const std::string& name : names) {
      auto holder = ReadHolder(name);
      std::lock_guard lock(mu_);
      holders_.insert_or_assign(name, std::move(holder));
    }
  }
}

void EtcdHA::NoteReleased() {
  std::lock_guard lock(mu_);
  released_at_ = EtcdSteady::now();
}

StatusOr<std::unique_ptr<HALock>> EtcdHA::Acquire(std::string_view name,
                                                  std::string_view node_id,
                                                  std::function<void()> on_lost,
                                                  std::stop_token stop) {
  const Status stopped = UnavailableError("stopped waiting for the etcd lock");
  // Step-down hold-off: give the others the lock first, unless none wants it.
  std::optional<EtcdSteady::time_point> hold_off_until;
  {
    std::lock_guard lock(mu_);
    if (released_at_) hold_off_until = *released_at_ + hold_off_;
  }
  while (hold_off_until && EtcdSteady::now() < *hold_off_until) {
    auto lowest = Lowest(name);
    if (lowest.ok() && !lowest->has_value()) break;
    if (!Pause(poll_, stop)) return stopped;
  }

  const std::string dir = lock_root_ + std::string(name) + "/";
  while (true) {
    if (stop.stop_requested()) return stopped;
    TRESOR_ASSIGN_OR_RETURN(
        nlohmann::json granted,
        client_->Call("/v3/lease/grant", {{"TTL", std::to_string(ttl_.count())}}));
    std::int64_t lease = EtcdInt(granted, "ID");
    std::int64_t granted_ttl = EtcdInt(granted, "TTL");
    if (lease == 0 || granted_ttl <= 0) return IOError("etcd granted no lease");
    auto tenure = std::make_shared<Tenure>(client_, fence_, lease, dir + EtcdLeaseHex(lease),
                                           std::chrono::seconds(granted_ttl));
    nlohmann::json put = {
        {"compare", nlohmann::json::array({{{"key", EtcdB64(tenure->key)},
                                            {"target", "CREATE"},
                                            {"result", "EQUAL"},
                                            {"create_revision", "0"}}})},
        {"success", nlohmann::json::array({{{"request_put",
                                             {{"key", EtcdB64(tenure->key)},
                                              {"value", EtcdB64(node_id)},
                                              {"lease", std::to_string(lease)}}}}})}};
    auto created = client_->Call("/v3/kv/txn", put);
    if (!created.ok() || !created->value("succeeded", false)) {
      tenure->Revoke();
      if (!created.ok()) return created.status();
      return IOError("etcd: the lock key of a fresh lease exists already");
    }
    tenure->keeper = std::jthread([raw = tenure.get()](std::stop_token s) { raw->Keep(s); });

    // Queue behind the keys created earlier until ours is the lowest.
    Status failed = Status::Ok();
    bool lost = false;
    while (true) {
      if (stop.stop_requested()) break;
      {
        std::lock_guard lock(tenure->mu);
        lost = tenure->lost;
      }
      if (lost) break;
      auto lowest = Lowest(name);
      if (lowest.ok() && lowest->has_value() && (*lowest)->key == tenure->key) {
        tenure->epoch = (*lowest)->create_revision;
        break;
      }
      if (!lowest.ok() && lowest.status().code() != StatusCode::kUnavailable) {
        failed = lowest.status();
        break;
      }
      if (!Pause(poll_, stop)) break;
    }
    if (tenure->epoch != 0 && !stop.stop_requested()) {
      fence_->Hold(tenure->key, tenure->epoch);
      std::lock_guard lock(tenure->mu);
      if (!tenure->lost) {
        tenure->on_lost = std::move(on_lost);
        tenure->held = true;
        spdlog::info("etcd: holds lock {} (lease {}, revision {})", std::string(name),
                     EtcdLeaseHex(lease), tenure->epoch);
        return std::unique_ptr<HALock>(
            std::make_unique<EtcdLock>(std::move(tenure), [this] { NoteReleased(); }));
      }
    }
    // Not ours: stop the keeper and give the lease back.
    tenure->releasing = true;
    tenure->keeper.request_stop();
    tenure->wake.notify_all();
    tenure->keeper.join();
    tenure->Revoke();
    fence_->Clear(tenure->key);
    if (stop.stop_requested()) return stopped;
    if (!failed.ok()) return failed;
    // The lease was lost while queueing: start over with a new one.
  }
}

}  // namespace tresor::storage

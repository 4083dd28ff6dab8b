// storage::EtcdHA: the active lock on etcd (storage/ha_backend.h), for
// storage "etcd" with ha_enabled. Built and owned by the etcd backend.
//
// Lock `name` is the set of keys <path>core/_lock/<name>/<lease id hex>,
// each attached to its contender's lease (TTL lock_timeout). The key with
// the lowest create_revision holds the lock (etcd's own election recipe),
// so contenders queue in the order they arrived:
//   holder_id = the lease id in hex, epoch = the key's create_revision
// (etcd's revisions only grow, so no (holder_id, epoch) pair repeats).
//
// Acquire grants a lease, puts its key (value: node_id), and polls the
// lock until its key is the lowest; a keeper thread per contender renews
// the lease every TTL/3 (/v3/lease/keepalive, one request and one answer
// per HTTP call). The tenure is lost the moment the lease may be: etcd
// answers TTL <= 0, the key is gone, or no keep-alive succeeded for a TTL
// measured from when the last successful one was sent. Then Held() turns
// false, the fence refuses this node's writes (etcd_fence.h) and on_lost
// runs once, on the keeper thread. ConfirmHeld also requires a keep-alive
// sent less than TTL - TTL/3 ago and the key still in etcd. Release
// revokes the lease (the key goes with it); the next Acquire then waits
// step_down_hold_off while another node is in the contest. Destroying a
// lock revokes its lease.
//
// Holder() answers from a view a poller thread refreshes every lock_poll
// for each name asked about (its first answer is read directly).
//
// Threads: safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_fence.h"
#include "storage/etcd/etcd_options.h"
#include "storage/ha_backend.h"

namespace tresor::storage {

class EtcdHA : public HABackend {
 public:
  // lock_root: <path>core/_lock/.
  EtcdHA(std::shared_ptr<EtcdClient> client, std::string lock_root, const EtcdOptions& options,
         std::shared_ptr<EtcdFence> fence);
  ~EtcdHA() override;
  EtcdHA(const EtcdHA&) = delete;
  EtcdHA& operator=(const EtcdHA&) = delete;

  StatusOr<std::unique_ptr<HALock>> Acquire(std::string_view name, std::string_view node_id,
                                            std::function<void()> on_lost,
                                            std::stop_token stop) override;
  StatusOr<std::optional<HAHolder>> Holder(std::string_view name) override;
  std::chrono::milliseconds lost_detection() const override { return ttl_; }

  // What a lock shares with its keeper thread.
  struct Tenure;

 private:
  struct LockKey {
    std::string key;
    std::int64_t create_revision = 0;
  };
  // The key that holds name (lowest create_revision), nullopt when none.
  StatusOr<std::optional<LockKey>> Lowest(std::string_view name);
  StatusOr<std::optional<HAHolder>> ReadHolder(std::string_view name);
  // Sleeps for d unless stop or this object's end comes first.
  bool Pause(std::chrono::milliseconds d, std::stop_token stop);
  void PollHolders(std::stop_token stop);
  void NoteReleased();

  const std::shared_ptr<EtcdClient> client_;
  const std::string lock_root_;
  const std::chrono::seconds ttl_;
  const std::chrono::milliseconds hold_off_;
  const std::chrono::milliseconds poll_;
  const std::shared_ptr<EtcdFence> fence_;

  std::mutex mu_;
  std::condition_variable_any wake_;
  // Holder()'s view, per name asked about; guarded by mu_.
  std::map<std::string, StatusOr<std::optional<HAHolder>>, std::less<>> holders_;
  // When this node last released a lock; guarded by mu_.
  std::optional<std::chrono::steady_clock::time_point> released_at_;
  std::stop_source closing_;
  // Refreshes holders_ every poll_. Declared last: stopped and joined first.
  std::jthread poller_;
};

}  // namespace tresor::storage

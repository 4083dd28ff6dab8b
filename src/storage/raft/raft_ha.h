// storage::RaftHA: raft leadership as storage::HABackend (storage/ha_backend.h).
// Every voter contends for leadership whether or not anybody called
// Acquire, so there is one lock, whatever its name: Acquire waits until this
// node leads, runs a barrier (every entry of earlier terms is then applied
// here), and hands out a tenure keyed by the term. A listener on the raft
// thread (raft::Node::SetLeadershipListener) ends the tenure the moment this
// node stops leading or the term moves on, so a node that loses and wins
// again gets a new tenure, never the old one back.
//
// Threads: any; on_lost runs on the raft thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "raft/node.h"
#include "storage/ha_backend.h"

namespace tresor::storage {

class RaftHA : public HABackend {
 public:
  // node outlives this object; the constructor installs the node's
  // leadership listener and the destructor removes it.
  RaftHA(raft::Node& node, std::uint64_t raft_id, std::chrono::milliseconds election_timeout);
  ~RaftHA() override;
  RaftHA(const RaftHA&) = delete;
  RaftHA& operator=(const RaftHA&) = delete;

  StatusOr<std::unique_ptr<HALock>> Acquire(std::string_view name, std::string_view node_id,
                                            std::function<void()> on_lost,
                                            std::stop_token stop) override;
  StatusOr<std::optional<HAHolder>> Holder(std::string_view name) override;
  std::chrono::milliseconds lost_detection() const override { return election_timeout_; }

  // What a tenure shares with the listener.
  struct Tenure;

 private:
  void OnLeadership(bool leads, std::uint64_t term);

  raft::Node& node_;
  const std::string holder_id_;
  const std::chrono::milliseconds election_timeout_;
  std::mutex mu_;
  std::condition_variable_any changed_;  // waits that a stop_token ends
  bool leads_ = false;        // guarded by mu_
  std::uint64_t term_ = 0;    // guarded by mu_
  std::shared_ptr<Tenure> tenure_;  // the current one, guarded by mu_
};

}  // namespace tresor::storage

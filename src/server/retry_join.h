// RetryJoiner: the `retry_join { leader_api_addr = ... }` blocks of a raft
// storage config. While this node is new (not initialised, no join under
// way), a background thread tries sys/storage/raft/join with each leader in
// turn, every `interval`, until one accepts; the node then waits, sealed,
// for the cluster's unseal keys as after a manual join. It stops for good
// once the node is initialised or joining, and when destroyed.
//
// Who calls it: server::Server, after the core is built, for raft storage
// with at least one retry_join block. Threads: its own; the destructor
// stops and joins it (before the core is destroyed).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/core.h"

namespace tresor::server {

class RetryJoiner {
 public:
  static constexpr std::chrono::seconds kDefaultInterval{2};

  // core outlives this object; leaders is not empty.
  RetryJoiner(core::Core& core, std::vector<std::string> leaders,
              std::chrono::milliseconds interval = kDefaultInterval);
  ~RetryJoiner();

  RetryJoiner(const RetryJoiner&) = delete;
  RetryJoiner& operator=(const RetryJoiner&) = delete;

 private:
  void Run();
  // One round over the leaders; true when there is nothing left to do.
  bool TryOnce();

  core::Core& core_;
  const std::vector<std::string> leaders_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace tresor::server

#include "server/retry_join.h"

#include <spdlog/spdlog.h>

namespace tresor::server {

RetryJoiner::RetryJoiner(core::Core& core, std::vector<std::string> leaders,
                         std::chrono::milliseconds interval)
    : core_(core), leaders_(std::move(leaders)), interval_(interval) {
  thread_ = std::thread([this] { Run(); });
}

RetryJoiner::~RetryJoiner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RetryJoiner::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    bool done = TryOnce();
    lock.lock();
    if (done) return;
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

bool RetryJoiner::TryOnce() {
  StatusOr<bool> initialized = core_.lifecycle().Initialized();
  if (!initialized.ok()) {
    spdlog::warn("retry_join: cannot tell whether this node is initialised: {}",
                 initialized.status().message());
    return false;
  }
  if (*initialized || core_.lifecycle().JoinPending()) return true;
  for (const std::string& leader : leaders_) {
    // The same path as an operator's POST sys/storage/raft/join (which
    // needs no token: the node has none yet).
    core::Request join;
    join.operation = core::Operation::kUpdate;
    join.path = "sys/storage/raft/join";
    join.data = {{"leader_api_addr", leader}};
    StatusOr<core::Response> joined = core_.Handle(join);
    if (joined.ok()) {
      spdlog::info("retry_join: joined the cluster of {}; unseal this node with its keys", leader);
      return true;
    }
    spdlog::info("retry_join: {}: {} (retrying)", leader, joined.status().message());
  }
  return false;
}

}  // namespace tresor::server

#include "http/connection_registry.h"

#include <vector>

namespace tresor::http {

std::optional<std::uint64_t> ConnectionRegistry::Add(
    std::weak_ptr<DrainableConnection> connection) {
  std::lock_guard lock(mu_);
  // Checked under the same mutex BeginDrain sets it under, so a connection
  // is either refused here or seen by BeginDrain, never missed.
  if (draining_.load(std::memory_order_relaxed)) return std::nullopt;
  const std::uint64_t id = next_id_++;
  connections_.emplace(id, std::move(connection));
  return id;
}

void ConnectionRegistry::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  connections_.erase(id);
  if (connections_.empty()) empty_cv_.notify_all();
}

void ConnectionRegistry::BeginDrain() {
  std::vector<std::shared_ptr<DrainableConnection>> live;
  {
    std::lock_guard lock(mu_);
    draining_.store(true, std::memory_order_release);
    for (auto& [id, weak] : connections_) {
      // A connection being destroyed has expired and will Remove itself.
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  // Outside the lock: the last reference to a connection may be dropped
  // here, and its destructor calls Remove.
  for (auto& connection : live) connection->BeginDrain();
}

void ConnectionRegistry::AbortBlockedWorkers() {
  std::vector<std::shared_ptr<DrainableConnection>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  // Outside the lock, for the same reason as in BeginDrain.
  for (auto& connection : live) connection->AbortBlockedWorkers();
}

bool ConnectionRegistry::WaitUntilEmpty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return empty_cv_.wait_until(lock, deadline, [this] { return connections_.empty(); });
}

std::size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

}  // namespace tresor::http

// The set of open connections of an http::Server, so that Shutdown can
// stop them from taking new requests, close the idle ones, and wait for the
// busy ones to deliver their last response.
//
// Connections add themselves when they start and remove themselves in their
// destructor; Server::Shutdown calls BeginDrain then WaitUntilEmpty.
//
// Thread safety: every method is thread-safe (one mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace tresor::http {

// What the registry needs from a connection.
class DrainableConnection {
 public:
  virtual ~DrainableConnection() = default;
  // Asks the connection, from any thread, to close as soon as it has no
  // request in flight: at once when idle or still reading, after writing
  // the response otherwise. Must not block.
  virtual void BeginDrain() = 0;
  // Called once the I/O threads have stopped for good: a worker thread
  // blocked waiting for this connection's strand (a streaming body) must
  // give up now, or joining the worker pool would never end. Must not block.
  virtual void AbortBlockedWorkers() {}
};

class ConnectionRegistry {
 public:
  ConnectionRegistry() = default;
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

  // Records a new connection. Returns its id for Remove, or nullopt when
  // draining has begun (the caller must then close the connection).
  std::optional<std::uint64_t> Add(std::weak_ptr<DrainableConnection> connection);
  // Forgets the connection with this id; wakes WaitUntilEmpty.
  void Remove(std::uint64_t id);

  // True once BeginDrain has been called; connections check it before
  // reading another request on a keep-alive connection.
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Refuses further Adds and calls BeginDrain on every live connection.
  void BeginDrain();

  // Blocks until no connection is left or `deadline` passes. Returns true
  // when none is left.
  bool WaitUntilEmpty(std::chrono::steady_clock::time_point deadline);

  // Calls AbortBlockedWorkers on every live connection. For Server::Shutdown,
  // after the I/O threads have stopped and before joining the workers.
  void AbortBlockedWorkers();

  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable empty_cv_;
  std::atomic<bool> draining_{false};                                        // written under mu_
  std::uint64_t next_id_ = 1;                                                // guarded by mu_
  std::map<std::uint64_t, std::weak_ptr<DrainableConnection>> connections_;  // guarded by mu_
};

}  // namespace tresor::http

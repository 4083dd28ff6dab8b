// The requests a node is answering right now, for sys/in-flight-req (Vault
// 1.10+): an id, when it started, the client's address, path and method.
// Core registers each request for as long as Handle runs (Track's guard).
//
// Threads: thread-safe; a registration is one short lock on the way in and
// one on the way out, never held while a request runs.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/request.h"

namespace tresor::core {

class InFlightRequests {
 public:
  explicit InFlightRequests(Clock& clock) : clock_(clock) {}

  // Removes its request when it goes out of scope.
  class Guard {
   public:
    Guard(InFlightRequests& owner, std::uint64_t key) : owner_(owner), key_(key) {}
    ~Guard() { owner_.Remove(key_); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    InFlightRequests& owner_;
    std::uint64_t key_;
  };

  [[nodiscard]] Guard Track(const Request& request);

  // Vault's shape: {"<request id>": {"start_time", "client_remote_address",
  // "request_path", "request_method", "client_id"}}.
  nlohmann::json Describe() const;

 private:
  struct Entry {
    std::string id;
    Clock::TimePoint start;
    std::string remote_address;
    std::string path;
    std::string method;
  };
  void Remove(std::uint64_t key);

  Clock& clock_;
  mutable std::mutex mu_;
  std::uint64_t next_ = 0;                 // GUARDED_BY(mu_)
  std::map<std::uint64_t, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace tresor::core

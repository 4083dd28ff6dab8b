// JoinChallenges: the raft join challenges an active node has handed out
// (sys/storage/raft/bootstrap/challenge) and not yet seen answered
// (bootstrap/answer), by the joining node's server_id. docs/ha.md describes
// the join protocol.
//
// A challenge lives kLifetime of the injected clock's monotonic time, so a
// wall-clock jump neither expires nor revives one, and is answered at most
// once: Take removes it whether or not the answer then matches.
//
// Who calls it: core/sys_raft_handlers.cc, one instance per Core.
// Threads: every method is thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"

namespace tresor::core {

class JoinChallenges {
 public:
  static constexpr std::chrono::seconds kLifetime{300};

  // clock outlives this object.
  explicit JoinChallenges(Clock& clock) : clock_(clock) {}
  ~JoinChallenges();

  // Records nonce as server_id's challenge, replacing (and wiping) one
  // handed out before.
  void Issue(const std::string& server_id, std::string nonce);

  // Removes server_id's challenge and returns its nonce; std::nullopt when
  // none was issued, it was taken already, or its lifetime has passed. The
  // caller wipes the nonce (SecureWipe) when done with it.
  std::optional<std::string> Take(const std::string& server_id);

 private:
  struct Challenge {
    std::string nonce;
    Clock::MonotonicTimePoint expires;
  };

  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Challenge> pending_;  // GUARDED_BY(mu_)
};

}  // namespace tresor::core

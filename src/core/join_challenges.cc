#include "core/join_challenges.h"

#include "common/secure_memory.h"

namespace tresor::core {

JoinChallenges::~JoinChallenges() {
  for (auto& [server_id, challenge] : pending_) SecureWipe(challenge.nonce);
}

void JoinChallenges::Issue(const std::string& server_id, std::string nonce) {
  Challenge challenge{std::move(nonce), clock_.MonotonicNow() + kLifetime};
  std::lock_guard lock(mu_);
  auto [it, inserted] = pending_.try_emplace(server_id);
  if (!inserted) SecureWipe(it->second.nonce);
  it->second = std::move(challenge);
}

std::optional<std::string> JoinChallenges::Take(const std::string& server_id) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(server_id);
  if (it == pending_.end()) return std::nullopt;
  Challenge challenge = std::move(it->second);
  pending_.erase(it);  // one answer per challenge
  if (challenge.expires < clock_.MonotonicNow()) {
    SecureWipe(challenge.nonce);
    return std::nullopt;
  }
  return std::move(challenge.nonce);
}

}  // namespace tresor::core

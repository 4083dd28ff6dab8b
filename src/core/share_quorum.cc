#include "core/share_quorum.h"

#include "common/random.h"

namespace tresor::core {

void ShareQuorum::Start(int required) {
  Reset();
  generation_ = lifecycle_.SealGeneration();
  nonce_ = RandomUuid();
  required_ = required;
  started_at_ = clock_.MonotonicNow();
}

void ShareQuorum::Reset() {
  shares_.clear();  // SecureBytes wipes itself
  nonce_.clear();
  required_ = 0;
}

bool ShareQuorum::Started() {
  if (!nonce_.empty() && (clock_.MonotonicNow() - started_at_ >= kLifetime ||
                          lifecycle_.SealGeneration() != generation_)) {
    Reset();
  }
  return !nonce_.empty();
}

StatusOr<bool> ShareQuorum::Add(const SecureBytes& share, std::string_view nonce,
                                std::string_view what) {
  if (!Started()) {
    return FailedPreconditionError("no " + std::string(what) +
                                   " is in progress (it may have expired: an attempt lives one "
                                   "hour); start a new one");
  }
  if (nonce.empty()) {
    return InvalidArgumentError("'nonce' must be specified: the nonce of the current " +
                                std::string(what));
  }
  if (!ConstantTimeEquals(nonce, nonce_)) {
    return InvalidArgumentError("provided nonce does not match the current " + std::string(what) +
                                " nonce");
  }
  for (const auto& given : shares_) {
    if (ConstantTimeEquals(AsStringView(given), AsStringView(share))) {
      return InvalidArgumentError("given key has already been provided during this " +
                                  std::string(what));
    }
  }
  shares_.push_back(share);
  return progress() >= required_;
}

std::vector<SecureBytes> ShareQuorum::TakeShares() {
  std::vector<SecureBytes> taken = std::move(shares_);
  shares_.clear();
  return taken;
}

}  // namespace tresor::core

// Collecting key shares from several operators, one call each: the progress
// the quorum flows after unseal share (rekey, rekey verification,
// generate-root). A collection has a nonce that every call must repeat, so
// that an operator cannot add a share to an attempt they did not mean, and
// it expires a while after it started, so that a forgotten attempt does not
// sit half-complete on the active node for ever. It also ends when the
// server seals (the seal generation it started in has passed).
//
// Owned by the flow using it (core/rekey.h, core/generate_root.h), which
// serialises calls with its own mutex. Not thread-safe on its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "core/lifecycle.h"

namespace tresor::core {

class ShareQuorum {
 public:
  // Both outlive the quorum.
  ShareQuorum(const Clock& clock, const Lifecycle& lifecycle)
      : clock_(clock), lifecycle_(lifecycle) {}

  // How long an attempt lives after it starts.
  static constexpr std::chrono::hours kLifetime{1};

  // Starts a new collection of `required` distinct shares with a fresh
  // nonce, dropping any earlier one.
  void Start(int required);
  // Drops the collection and wipes the shares given so far.
  void Reset();

  // Whether a collection is under way; one that expired, or that began
  // before the server last sealed, is reset first.
  bool Started();
  const std::string& nonce() const { return nonce_; }
  int progress() const { return static_cast<int>(shares_.size()); }
  int required() const { return required_; }

  // Adds one share. InvalidArgument when `nonce` is not the collection's
  // (what says the flow is `what`, "rekey" or "root generation"),
  // InvalidArgument too for a share already given (as Vault), and
  // FailedPrecondition when none is under way. Returns whether the
  // threshold is now reached; the shares are then in TakeShares().
  StatusOr<bool> Add(const SecureBytes& share, std::string_view nonce, std::string_view what);
  // The shares collected; the collection keeps its nonce but no shares.
  std::vector<SecureBytes> TakeShares();

 private:
  const Clock& clock_;
  const Lifecycle& lifecycle_;
  std::string nonce_;  // empty iff no collection is under way
  int required_ = 0;
  Clock::MonotonicTimePoint started_at_{};
  std::uint64_t generation_ = 0;  // Lifecycle::SealGeneration() at Start
  std::vector<SecureBytes> shares_;
};

}  // namespace tresor::core

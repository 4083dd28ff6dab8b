// Rekey: replacing the unseal key shares (a leaked share retired, a new
// threshold) without touching the root key or the data. Vault's
// sys/rekey/init, update and verify flow (docs/seal.md, "Rekey"):
//
//   Init(n, t)      -> a nonce; the current holders then give `threshold`
//                      of the current shares with Update(share, nonce).
//   Update reaching the threshold generates the new unseal key and its n
//                      shares, returned once. Without verification they
//                      take effect at once; with it, they take effect only
//                      when `t` of the *new* shares come back through
//                      VerifyUpdate (proving the new holders received them).
//
// The replacement itself is Lifecycle::ReplaceUnsealKey: one atomic batch.
// Progress lives in memory on the active node only: it survives neither a
// seal, a restart nor a change of active node, and an attempt expires an
// hour after it starts (core/share_quorum.h).
//
// Threads: thread-safe; one mutex serialises every call.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "core/lifecycle.h"
#include "core/share_quorum.h"

namespace tresor::core {

struct RekeyStatus {
  bool started = false;
  std::string nonce;
  int t = 0;         // the new threshold
  int n = 0;         // the new number of shares
  int progress = 0;  // current shares given so far
  int required = 0;  // current threshold
  bool verification_required = false;
};

struct RekeyUpdateResult {
  bool complete = false;
  RekeyStatus status;               // when not complete
  std::vector<SecureBytes> keys;    // when complete: the new shares
  std::string verification_nonce;   // when complete and verification is required
};

struct RekeyVerifyStatus {
  bool started = false;
  std::string nonce;
  int t = 0;
  int n = 0;
  int progress = 0;
};

class Rekey {
 public:
  // What is rekeyed: the unseal key shares (sys/rekey/*, Shamir only), or
  // the recovery key shares (sys/rekey-recovery-key/*, auto seals only).
  enum class Target { kUnsealKeys, kRecoveryKeys };

  Rekey(Lifecycle& lifecycle, Clock& clock, Target target)
      : lifecycle_(lifecycle), target_kind_(target), current_(clock, lifecycle),
        verify_(clock, lifecycle) {}

  StatusOr<RekeyStatus> Status();
  // Starts an attempt. InvalidArgument for a share/threshold combination
  // Vault refuses, FailedPrecondition ("rekey already in progress") when
  // one is under way or when the seal has no such keys (unseal keys with an
  // auto seal, recovery keys with Shamir), Sealed when sealed.
  StatusOr<RekeyStatus> Init(int shares, int threshold, bool require_verification);
  // Cancels the attempt (and any verification). With a nonce, it must be
  // the attempt's (InvalidArgument otherwise). OK when none is under way.
  tresor::Status Cancel(const std::optional<std::string>& nonce);
  // One current share. InvalidArgument for a wrong nonce, a share given
  // twice, or shares that do not combine into the unseal key (progress is
  // then reset); FailedPrecondition when no attempt is under way or it
  // waits for verification.
  StatusOr<RekeyUpdateResult> Update(const SecureBytes& share, const std::string& nonce);

  // Verification of the new shares (only after an Update completed with
  // verification required): FailedPrecondition otherwise.
  StatusOr<RekeyVerifyStatus> VerifyStatus();
  // Restarts the verification with a new nonce, keeping the new shares.
  StatusOr<RekeyVerifyStatus> VerifyRestart();
  // One new share; returns whether the rekey is now complete (the new
  // shares in effect). Shares that do not combine into the new unseal key
  // reset the verification progress (InvalidArgument).
  StatusOr<bool> VerifyUpdate(const SecureBytes& share, const std::string& nonce);

  // Forgets everything: called when the server seals.
  void Clear();

 private:
  RekeyStatus StatusLocked();
  // FailedPrecondition when the seal has no keys of this target.
  tresor::Status CheckTarget(const SealConfig& config) const;
  void ClearLocked();

  // Writes the new key and n/t (Lifecycle::ReplaceUnsealKey or
  // ReplaceRecoveryKey).
  tresor::Status Commit(const SecureBytes& old_key, const SecureBytes& new_key);

  Lifecycle& lifecycle_;
  const Target target_kind_;
  std::mutex mu_;
  ShareQuorum current_;                 // GUARDED_BY(mu_): current shares
  struct NewShares {
    int shares = 0;
    int threshold = 0;
  };
  NewShares target_;                    // GUARDED_BY(mu_): the new n and t
  bool require_verification_ = false;   // GUARDED_BY(mu_)
  // Set between a completed Update and the end of verification.
  SecureBytes old_unseal_key_;          // GUARDED_BY(mu_)
  SecureBytes new_unseal_key_;          // GUARDED_BY(mu_)
  ShareQuorum verify_;                  // GUARDED_BY(mu_): new shares
};

}  // namespace tresor::core

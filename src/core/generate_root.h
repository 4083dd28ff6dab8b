// Generate root: minting a new root token when the old one is lost or was
// revoked, authorised by a quorum of unseal key holders rather than by any
// token. Vault's sys/generate-root/attempt and update flow (docs/seal.md,
// "Generate root"):
//
//   Attempt()          -> a nonce and a one-time pad (OTP) of the token's
//                         length, returned once (or the caller's own OTP).
//   Update(share, nonce), threshold times -> a new root token, answered
//                         only as base64(token XOR OTP), so that it never
//                         crosses the wire or reaches a log in the clear.
//
// Progress lives in memory on the active node only: it survives neither a
// seal, a restart nor a change of active node, and an attempt expires an
// hour after it starts (core/share_quorum.h).
//
// Threads: thread-safe; one mutex serialises every call.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "core/lifecycle.h"
#include "core/share_quorum.h"

namespace tresor::core {

struct GenerateRootStatus {
  bool started = false;
  std::string nonce;
  int progress = 0;
  int required = 0;
  bool complete = false;
  std::string encoded_token;  // when complete
  std::string otp;            // from Attempt only, when the server made it
  int otp_length = 0;
};

class GenerateRoot {
 public:
  // The length of a root token, hence of its OTP: "hvs." and 24 base62
  // characters, as Vault's.
  static constexpr int kOtpLength = 28;

  // What a completed attempt mints: by default a root token in the token
  // store; a DR secondary's operation-token flow mints its own kind
  // (core/replication/dr_replication.h).
  using Mint = std::function<StatusOr<std::string>()>;
  GenerateRoot(Lifecycle& lifecycle, Clock& clock, Mint mint = nullptr)
      : lifecycle_(lifecycle), quorum_(clock, lifecycle), mint_(std::move(mint)) {}

  StatusOr<GenerateRootStatus> Status();
  // Starts an attempt with the caller's OTP, or a generated one when
  // `otp` is empty. InvalidArgument for an OTP of the wrong length,
  // FailedPrecondition when an attempt is under way, Sealed when sealed.
  StatusOr<GenerateRootStatus> Attempt(const std::optional<std::string>& otp);
  // Cancels the attempt; OK when none is under way.
  void Cancel();
  // One unseal key share. InvalidArgument for a wrong nonce, a share given
  // twice or shares that do not combine into the unseal key (progress is
  // reset); FailedPrecondition when no attempt is under way.
  StatusOr<GenerateRootStatus> Update(const SecureBytes& share, const std::string& nonce);

  // Forgets the attempt: called when the server seals.
  void Clear() { Cancel(); }

 private:
  GenerateRootStatus StatusLocked();
  void ClearLocked();

  Lifecycle& lifecycle_;
  std::mutex mu_;
  ShareQuorum quorum_;  // GUARDED_BY(mu_)
  const Mint mint_;
  std::string otp_;     // GUARDED_BY(mu_); wiped when the attempt ends
};

}  // namespace tresor::core

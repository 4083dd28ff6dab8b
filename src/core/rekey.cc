#include "core/rekey.h"

#include <spdlog/spdlog.h>

#include "common/random.h"
#include "seal/shamir.h"

namespace tresor::core {
namespace {

constexpr std::size_t kUnsealKeyBytes = 32;

}  // namespace

RekeyStatus Rekey::StatusLocked() {
  if (!current_.Started()) ClearLocked();
  RekeyStatus status;
  status.started = current_.Started();
  auto config = lifecycle_.CurrentSealConfig();
  if (config.ok()) status.required = config->quorum_threshold();
  if (status.started) {
    status.nonce = current_.nonce();
    status.t = target_.threshold;
    status.n = target_.shares;
    status.progress = current_.progress();
    status.verification_required = require_verification_;
  }
  return status;
}

void Rekey::ClearLocked() {
  current_.Reset();
  verify_.Reset();
  old_unseal_key_.clear();  // SecureBytes wipes what it frees
  new_unseal_key_.clear();
  target_ = {};
  require_verification_ = false;
}

void Rekey::Clear() {
  std::lock_guard lock(mu_);
  ClearLocked();
}

StatusOr<RekeyStatus> Rekey::Status() {
  if (lifecycle_.Sealed()) return SealedError();
  TRESOR_ASSIGN_OR_RETURN(SealConfig config, lifecycle_.CurrentSealConfig());
  TRESOR_RETURN_IF_ERROR(CheckTarget(config));
  std::lock_guard lock(mu_);
  return StatusLocked();
}

Status Rekey::CheckTarget(const SealConfig& config) const {
  if (target_kind_ == Target::kUnsealKeys && !config.IsShamir()) {
    return FailedPreconditionError(
        "the root key is held by the seal \"" + config.type + "\", so there are no unseal keys "
        "to rekey: rekey the recovery keys instead (sys/rekey-recovery-key, or operator rekey "
        "-target=recovery)");
  }
  if (target_kind_ == Target::kRecoveryKeys && config.IsShamir()) {
    return FailedPreconditionError("recovery keys exist only with an auto-unseal seal; this "
                                   "server uses Shamir unseal keys (sys/rekey)");
  }
  return Status::Ok();
}

StatusOr<RekeyStatus> Rekey::Init(int shares, int threshold, bool require_verification) {
  TRESOR_RETURN_IF_ERROR(ValidateSealConfig(shares, threshold));
  if (lifecycle_.Sealed()) return SealedError();
  std::lock_guard lock(mu_);
  if (current_.Started()) {
    return FailedPreconditionError(
        "rekey already in progress: finish it, or cancel it with DELETE sys/rekey/init");
  }
  TRESOR_ASSIGN_OR_RETURN(SealConfig config, lifecycle_.CurrentSealConfig());
  TRESOR_RETURN_IF_ERROR(CheckTarget(config));
  ClearLocked();
  current_.Start(config.quorum_threshold());
  target_ = NewShares{shares, threshold};
  require_verification_ = require_verification;
  spdlog::info("rekey started: {} new shares with a threshold of {}{}", shares, threshold,
               require_verification ? ", verified before they take effect" : "");
  return StatusLocked();
}

Status Rekey::Cancel(const std::optional<std::string>& nonce) {
  std::lock_guard lock(mu_);
  if (nonce.has_value() && current_.Started() &&
      !ConstantTimeEquals(*nonce, current_.nonce())) {
    return InvalidArgumentError("provided nonce does not match the current rekey nonce");
  }
  if (current_.Started()) spdlog::info("rekey cancelled");
  ClearLocked();
  return Status::Ok();
}

StatusOr<RekeyUpdateResult> Rekey::Update(const SecureBytes& share, const std::string& nonce) {
  if (lifecycle_.Sealed()) return SealedError();
  std::lock_guard lock(mu_);
  if (!new_unseal_key_.empty()) {
    return FailedPreconditionError(
        "this rekey's new shares are waiting for verification: give them to sys/rekey/verify");
  }
  TRESOR_ASSIGN_OR_RETURN(bool reached, current_.Add(share, nonce, "rekey"));
  RekeyUpdateResult result;
  if (!reached) {
    result.status = StatusLocked();
    return result;
  }
  TRESOR_ASSIGN_OR_RETURN(SecureBytes old_key, seal::Combine(current_.TakeShares()));
  tresor::Status proven = lifecycle_.CheckQuorumKey(old_key);
  if (!proven.ok()) {
    spdlog::warn("rekey: the shares given do not open the barrier; progress reset");
    if (proven.code() != StatusCode::kInvalidArgument) return proven;
    return InvalidArgumentError(std::string(proven.message()) +
                                "; rekey progress has been reset, give valid shares again");
  }
  SecureBytes new_key = RandomSecureBytes(kUnsealKeyBytes);
  TRESOR_ASSIGN_OR_RETURN(result.keys, seal::Split(new_key, target_.shares,
                                                   target_.threshold));
  result.complete = true;
  if (require_verification_) {
    old_unseal_key_ = std::move(old_key);
    new_unseal_key_ = std::move(new_key);
    verify_.Start(target_.threshold);
    result.verification_nonce = verify_.nonce();
    result.status = StatusLocked();
    spdlog::info("rekey: new shares generated, waiting for {} of them to be verified",
                 target_.threshold);
    return result;
  }
  TRESOR_RETURN_IF_ERROR(Commit(old_key, new_key));
  result.status = StatusLocked();
  result.status.nonce = current_.nonce();
  ClearLocked();
  return result;
}

StatusOr<RekeyVerifyStatus> Rekey::VerifyStatus() {
  if (lifecycle_.Sealed()) return SealedError();
  std::lock_guard lock(mu_);
  if (!current_.Started()) ClearLocked();
  if (new_unseal_key_.empty()) {
    return FailedPreconditionError("no rekey verification is in progress");
  }
  return RekeyVerifyStatus{true, verify_.nonce(), target_.threshold,
                           target_.shares, verify_.progress()};
}

StatusOr<RekeyVerifyStatus> Rekey::VerifyRestart() {
  if (lifecycle_.Sealed()) return SealedError();
  {
    std::lock_guard lock(mu_);
    if (!new_unseal_key_.empty()) verify_.Start(target_.threshold);
  }
  return VerifyStatus();
}

StatusOr<bool> Rekey::VerifyUpdate(const SecureBytes& share, const std::string& nonce) {
  if (lifecycle_.Sealed()) return SealedError();
  std::lock_guard lock(mu_);
  if (!current_.Started()) ClearLocked();
  if (new_unseal_key_.empty()) {
    return FailedPreconditionError("no rekey verification is in progress");
  }
  TRESOR_ASSIGN_OR_RETURN(bool reached, verify_.Add(share, nonce, "rekey verification"));
  if (!reached) return false;
  TRESOR_ASSIGN_OR_RETURN(SecureBytes combined, seal::Combine(verify_.TakeShares()));
  if (!ConstantTimeEquals(AsStringView(combined), AsStringView(new_unseal_key_))) {
    return InvalidArgumentError(
        "the shares given do not combine into the new unseal key; verification progress has "
        "been reset, give the new shares again");
  }
  TRESOR_RETURN_IF_ERROR(Commit(old_unseal_key_, new_unseal_key_));
  ClearLocked();
  return true;
}

Status Rekey::Commit(const SecureBytes& old_key, const SecureBytes& new_key) {
  TRESOR_ASSIGN_OR_RETURN(SealConfig config, lifecycle_.CurrentSealConfig());
  if (target_kind_ == Target::kUnsealKeys) {
    config.secret_shares = target_.shares;
    config.secret_threshold = target_.threshold;
    return lifecycle_.ReplaceUnsealKey(old_key, new_key, config);
  }
  config.recovery_shares = target_.shares;
  config.recovery_threshold = target_.threshold;
  return lifecycle_.ReplaceRecoveryKey(old_key, new_key, config);
}

}  // namespace tresor::core

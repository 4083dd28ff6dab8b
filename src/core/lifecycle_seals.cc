// The lifecycle with an auto-unseal seal, and seal migration
// (docs/seal.md, "Auto-unseal" and "Seal migration"). Shamir is in
// lifecycle.cc; the records both use are in seal_records.h.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/crash_point.h"
#include "common/random.h"
#include "core/lifecycle.h"
#include "core/seal_records.h"
#include "seal/shamir.h"

namespace tresor::core {

void Lifecycle::SetSeals(std::shared_ptr<seal::KeyWrapper> seal,
                         std::shared_ptr<seal::KeyWrapper> old_seal) {
  std::lock_guard lock(mu_);
  seal_ = std::move(seal);
  old_seal_ = std::move(old_seal);
}

std::string Lifecycle::ConfiguredSealType() const {
  return seal_ != nullptr ? seal_->Type() : "shamir";
}

Status Lifecycle::InitializeWithAutoSealLocked(const InitOptions& options, InitResult& result) {
  SecureBytes root_key = RandomSecureBytes(kRootKeyBytes);
  SecureBytes recovery_key = RandomSecureBytes(kRootKeyBytes);
  TRESOR_ASSIGN_OR_RETURN(result.recovery_shares,
                          seal::Split(recovery_key, options.recovery_shares,
                                      options.recovery_threshold));
  // The provider first: when it cannot be reached nothing is written.
  TRESOR_ASSIGN_OR_RETURN(std::string wrapped, seal_->Wrap(root_key));
  TRESOR_ASSIGN_OR_RETURN(std::string recovery_record,
                          AesGcmSeal(root_key, recovery_key, kRecoveryKeyKey));
  TRESOR_RETURN_IF_ERROR(physical_.Batch({storage::Operation::Put(kRootKeyKey, std::move(wrapped)),
                                          storage::Operation::Put(kRecoveryKeyKey,
                                                                  std::move(recovery_record))}));
  TRESOR_ASSIGN_OR_RETURN(result.root_token, PopulateBarrierLocked(root_key, options));

  SealConfig config;
  config.type = seal_->Type();
  config.secret_shares = 1;
  config.secret_threshold = 1;
  config.recovery_shares = options.recovery_shares;
  config.recovery_threshold = options.recovery_threshold;
  // The commit point, as with Shamir.
  TRESOR_RETURN_IF_ERROR(physical_.Put(kSealConfigKey, SealConfigJson(config)));
  initialized_cache_.store(true);
  spdlog::info("initialised with the seal \"{}\", {} recovery key shares and a threshold of {}",
               config.type, config.recovery_shares, config.recovery_threshold);
  Status unsealed = UnsealWithRootKeyLocked(root_key);
  if (!unsealed.ok()) spdlog::warn("could not unseal after init: {}", unsealed.message());
  return Status::Ok();
}

Status Lifecycle::AutoUnseal() {
  if (seal_ == nullptr) return FailedPreconditionError("no auto-unseal seal is configured");
  std::string record;
  {
    std::lock_guard lock(mu_);
    if (!barrier_.Sealed()) return Status::Ok();
    TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
    if (!config.has_value()) return FailedPreconditionError("Vault is not initialized");
    if (config->type != seal_->Type()) {
      return FailedPreconditionError(
          "the stored seal is \"" + config->type + "\" but this node's config has seal \"" +
          seal_->Type() + "\": migrate with operator unseal -migrate and the " +
          (config->IsShamir() ? "unseal" : "recovery") +
          " keys (docs/seal.md, \"Seal migration\")");
    }
    TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kRootKeyKey));
    if (!stored.has_value()) return CorruptionError("the stored root key is missing");
    record = std::move(*stored);
  }
  // The provider is called without the lock: it may take its whole timeout,
  // and sys/seal-status and sys/health must keep answering meanwhile.
  TRESOR_ASSIGN_OR_RETURN(SecureBytes root_key, seal_->Unwrap(record));
  std::lock_guard lock(mu_);
  if (!barrier_.Sealed()) return Status::Ok();
  TRESOR_RETURN_IF_ERROR(UnsealWithRootKeyLocked(root_key));
  spdlog::info("unsealed through the seal \"{}\"", seal_->Type());
  return Status::Ok();
}

StatusOr<SecureBytes> Lifecycle::UnwrapWithAutoSeal(std::string_view record) {
  if (seal_ == nullptr) return FailedPreconditionError("no auto-unseal seal is configured");
  return seal_->Unwrap(record);
}

StatusOr<SecureBytes> Lifecycle::OpenForMigrationLocked(const SealConfig& stored,
                                                        const SecureBytes& key) {
  if (stored.IsShamir()) return OpenRootKeyLocked(key);
  if (old_seal_ == nullptr || old_seal_->Type() != stored.type) {
    return FailedPreconditionError(
        "the stored seal is \"" + stored.type + "\": add its seal block to the config with "
        "disabled = \"true\" so that this node can open it for the migration");
  }
  TRESOR_ASSIGN_OR_RETURN(auto record, physical_.Get(kRootKeyKey));
  if (!record.has_value()) return CorruptionError("the stored root key is missing");
  TRESOR_ASSIGN_OR_RETURN(SecureBytes root_key, old_seal_->Unwrap(*record));
  TRESOR_RETURN_IF_ERROR(CheckRecoveryKeyLocked(root_key, key));
  return root_key;
}

Status Lifecycle::CheckRecoveryKeyLocked(const SecureBytes& root_key, const SecureBytes& key) {
  TRESOR_ASSIGN_OR_RETURN(auto record, physical_.Get(kRecoveryKeyKey));
  if (!record.has_value()) return CorruptionError("the stored recovery key is missing");
  auto recovery = AesGcmOpenSecure(root_key, *record, kRecoveryKeyKey);
  if (!recovery.ok()) return CorruptionError("the stored recovery key does not open");
  if (!ConstantTimeEquals(AsStringView(*recovery), AsStringView(key))) {
    return InvalidArgumentError("the key shares given do not combine into this server's recovery "
                                "key; unseal progress has been reset");
  }
  return Status::Ok();
}

Status Lifecycle::WriteMigrationLocked(const SealConfig& stored, const SecureBytes& root_key,
                                       const SecureBytes& quorum_key) {
  // The quorum key keeps its shares: Shamir unseal keys become recovery keys
  // and the reverse, as in Vault, so nobody needs new shares.
  SealConfig config = stored;
  config.type = ConfiguredSealType();
  std::vector<storage::Operation> ops;
  if (seal_ == nullptr) {
    config.secret_shares = stored.quorum_shares();
    config.secret_threshold = stored.quorum_threshold();
    config.recovery_shares = config.recovery_threshold = 0;
    TRESOR_ASSIGN_OR_RETURN(std::string wrapped,
                            AesGcmSeal(quorum_key, AsStringView(root_key), kRootKeyKey));
    ops.push_back(storage::Operation::Put(kRootKeyKey, std::move(wrapped)));
    ops.push_back(storage::Operation::Delete(kRecoveryKeyKey));
  } else {
    config.recovery_shares = stored.quorum_shares();
    config.recovery_threshold = stored.quorum_threshold();
    config.secret_shares = config.secret_threshold = 1;
    TRESOR_ASSIGN_OR_RETURN(std::string wrapped, seal_->Wrap(root_key));
    TRESOR_ASSIGN_OR_RETURN(std::string recovery,
                            AesGcmSeal(root_key, quorum_key, kRecoveryKeyKey));
    ops.push_back(storage::Operation::Put(kRootKeyKey, std::move(wrapped)));
    ops.push_back(storage::Operation::Put(kRecoveryKeyKey, std::move(recovery)));
  }
  ops.push_back(storage::Operation::Put(kSealConfigKey, SealConfigJson(config)));
  // One batch: after a crash the records are all the old seal's or all the
  // new one's.
  TRESOR_RETURN_IF_ERROR(physical_.Batch(ops));
  pending_migration_key_.clear();
  spdlog::info("seal migration from \"{}\" to \"{}\" written; the {} (same shares)", stored.type,
               config.type,
               seal_ == nullptr ? "recovery keys are now the unseal keys"
                                : "unseal keys are now the recovery keys");
  return Status::Ok();
}

Status Lifecycle::CompletePendingMigration() {
  std::lock_guard lock(mu_);
  if (pending_migration_key_.empty() || barrier_.Sealed()) return Status::Ok();
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  if (!config.has_value() || config->type == ConfiguredSealType()) {
    pending_migration_key_.clear();  // another node wrote it already
    return Status::Ok();
  }
  TRESOR_ASSIGN_OR_RETURN(SecureBytes root_key, OpenForMigrationLocked(*config, pending_migration_key_));
  return WriteMigrationLocked(*config, root_key, pending_migration_key_);
}

Status Lifecycle::RewrapRootKeyIfRotated() {
  if (seal_ == nullptr) return Status::Ok();
  std::string record;
  {
    std::lock_guard lock(mu_);
    if (barrier_.Sealed()) return Status::Ok();
    TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
    if (!config.has_value() || config->type != seal_->Type()) return Status::Ok();
    TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kRootKeyKey));
    if (!stored.has_value() || seal_->KeyVersion(*stored).empty()) return Status::Ok();
    record = std::move(*stored);
  }
  // Provider calls without the lock, as in AutoUnseal.
  TRESOR_ASSIGN_OR_RETURN(SecureBytes root_key, seal_->Unwrap(record));
  TRESOR_ASSIGN_OR_RETURN(std::string rewrapped, seal_->Wrap(root_key));
  if (seal_->KeyVersion(rewrapped) == seal_->KeyVersion(record)) return Status::Ok();
  std::lock_guard lock(mu_);
  // Written only if nothing replaced the record meanwhile (a migration).
  TRESOR_ASSIGN_OR_RETURN(auto current, physical_.Get(kRootKeyKey));
  if (!current.has_value() || *current != record) return Status::Ok();
  TRESOR_RETURN_IF_ERROR(physical_.Put(kRootKeyKey, rewrapped));
  spdlog::info("the seal's key was rotated: the root key is now wrapped by its version {} "
               "(was {})", seal_->KeyVersion(rewrapped), seal_->KeyVersion(record));
  return Status::Ok();
}

Status Lifecycle::MatchRecoveryKeyLocked(const SecureBytes& key) {
  TRESOR_ASSIGN_OR_RETURN(auto record, physical_.Get(kRecoveryKeyKey));
  if (!record.has_value()) return CorruptionError("the stored recovery key is missing");
  auto recovery = barrier_.OpenWithRootKey(*record, kRecoveryKeyKey);
  if (!recovery.ok()) return CorruptionError("the stored recovery key does not open");
  const bool same = ConstantTimeEquals(*recovery, AsStringView(key));
  SecureWipe(*recovery);
  if (!same) {
    return InvalidArgumentError(
        "the key shares given do not combine into this server's recovery key");
  }
  return Status::Ok();
}

Status Lifecycle::ReplaceRecoveryKey(const SecureBytes& old_key, const SecureBytes& new_key,
                                     const SealConfig& config) {
  TRESOR_RETURN_IF_ERROR(ValidateSealConfig(config.recovery_shares, config.recovery_threshold));
  std::lock_guard lock(mu_);
  if (barrier_.Sealed()) return SealedError();
  if (config.IsShamir()) return InvalidArgumentError("recovery keys exist only with an auto seal");
  TRESOR_RETURN_IF_ERROR(MatchRecoveryKeyLocked(old_key));
  TRESOR_ASSIGN_OR_RETURN(std::string sealed,
                          barrier_.SealWithRootKey(AsStringView(new_key), kRecoveryKeyKey));
  CrashPointForTest("rekey-before-commit");
  TRESOR_RETURN_IF_ERROR(
      physical_.Batch({storage::Operation::Put(kRecoveryKeyKey, std::move(sealed)),
                       storage::Operation::Put(kSealConfigKey, SealConfigJson(config))}));
  CrashPointForTest("rekey-after-commit");
  spdlog::info("rekeyed: the recovery key is now split into {} shares with a threshold of {}",
               config.recovery_shares, config.recovery_threshold);
  return Status::Ok();
}

}  // namespace tresor::core

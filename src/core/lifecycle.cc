#include "core/lifecycle.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/crash_point.h"
#include "common/random.h"
#include "core/seal_records.h"
#include "seal/shamir.h"

namespace tresor::core {
namespace {

constexpr char kClusterInfoKey[] = "core/cluster/local/info";
constexpr std::size_t kKeyBytes = kRootKeyBytes;

constexpr char kWrongUnsealKey[] =
    "the key shares given do not combine into this server's unseal key";

}  // namespace

Status ValidateSealConfig(int shares, int threshold) {
  if (shares < 1) return InvalidArgumentError("secret_shares must be at least 1");
  if (shares > 255) return InvalidArgumentError("secret_shares must be at most 255");
  if (threshold < 1) return InvalidArgumentError("secret_threshold must be at least 1");
  if (threshold > shares) {
    return InvalidArgumentError("secret_threshold cannot be larger than secret_shares");
  }
  if (shares > 1 && threshold == 1) {
    return InvalidArgumentError("secret_threshold must be greater than 1 when secret_shares > 1");
  }
  return Status::Ok();
}

Lifecycle::Lifecycle(storage::Backend& physical, Clock& clock, std::string cluster_name)
    : physical_(physical),
      clock_(clock),
      configured_cluster_name_(std::move(cluster_name)),
      barrier_(physical, clock),
      token_view_(barrier_, "sys/token/"),
      tokens_(token_view_, clock) {}

void Lifecycle::SetUnsealHooks(std::function<Status()> on_unseal, std::function<void()> on_seal) {
  std::lock_guard lock(mu_);
  on_unseal_ = std::move(on_unseal);
  on_seal_ = std::move(on_seal);
}

Lifecycle::~Lifecycle() { (void)Seal(); }

StatusOr<std::optional<SealConfig>> Lifecycle::ReadSealConfig() {
  TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kSealConfigKey));
  if (!stored.has_value()) return std::optional<SealConfig>();
  TRESOR_ASSIGN_OR_RETURN(SealConfig config, ParseSealConfig(*stored));
  return std::optional<SealConfig>(std::move(config));
}

StatusOr<bool> Lifecycle::Initialized() {
  if (initialized_cache_.load()) return true;
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  if (config.has_value()) initialized_cache_.store(true);
  return config.has_value();
}

Status Lifecycle::WipeAbortedInit() {
  // Only reached when core/seal-config is absent: anything under core/ or
  // sys/ is the remains of an init that crashed before its commit point.
  std::vector<storage::Operation> ops;
  for (const char* prefix : {"core/", "sys/"}) {
    TRESOR_ASSIGN_OR_RETURN(auto keys, storage::ListRecursive(physical_, prefix));
    for (auto& key : keys) ops.push_back(storage::Operation::Delete(std::move(key)));
  }
  if (ops.empty()) return Status::Ok();
  spdlog::warn("removing {} entries left by an interrupted initialisation", ops.size());
  return physical_.Batch(ops);
}

StatusOr<InitResult> Lifecycle::Initialize(const InitOptions& options) {
  if (seal_ == nullptr) {
    TRESOR_RETURN_IF_ERROR(ValidateSealConfig(options.secret_shares, options.secret_threshold));
  } else {
    TRESOR_RETURN_IF_ERROR(ValidateSealConfig(options.recovery_shares, options.recovery_threshold)
                               .WithContext("recovery keys"));
  }
  std::lock_guard lock(mu_);
  TRESOR_ASSIGN_OR_RETURN(auto existing, ReadSealConfig());
  if (existing.has_value()) return FailedPreconditionError("Vault is already initialized");
  TRESOR_RETURN_IF_ERROR(WipeAbortedInit());
  if (seal_ != nullptr) {
    InitResult result;
    TRESOR_RETURN_IF_ERROR(InitializeWithAutoSealLocked(options, result));
    return result;
  }

  SecureBytes unseal_key = RandomSecureBytes(kKeyBytes);
  SecureBytes root_key = RandomSecureBytes(kKeyBytes);
  TRESOR_ASSIGN_OR_RETURN(auto shares, seal::Split(unseal_key, options.secret_shares,
                                                   options.secret_threshold));
  TRESOR_ASSIGN_OR_RETURN(std::string wrapped_root, AesGcmSeal(unseal_key, AsStringView(root_key),
                                                               kRootKeyKey));
  TRESOR_RETURN_IF_ERROR(physical_.Put(kRootKeyKey, wrapped_root));
  TRESOR_ASSIGN_OR_RETURN(std::string root_token, PopulateBarrierLocked(root_key, options));

  // The commit point: from here on the server is initialised.
  SealConfig config;
  config.secret_shares = options.secret_shares;
  config.secret_threshold = options.secret_threshold;
  TRESOR_RETURN_IF_ERROR(physical_.Put(kSealConfigKey, SealConfigJson(config)));
  initialized_cache_.store(true);
  spdlog::info("initialised with {} key shares and a threshold of {}", options.secret_shares,
               options.secret_threshold);
  InitResult result;
  result.key_shares = std::move(shares);
  result.root_token = std::move(root_token);
  return result;
}

StatusOr<std::string> Lifecycle::PopulateBarrierLocked(const SecureBytes& root_key,
                                                      const InitOptions& options) {
  TRESOR_RETURN_IF_ERROR(barrier_.Initialize(root_key));
  // Unseal briefly to write what lives inside the barrier, then seal again.
  TRESOR_RETURN_IF_ERROR(barrier_.Unseal(root_key));
  auto populate = [&]() -> StatusOr<std::string> {
    TRESOR_RETURN_IF_ERROR(tokens_.Load());
    std::string name = configured_cluster_name_.empty()
                           ? "tresor-cluster-" + RandomBase62(8)
                           : configured_cluster_name_;
    nlohmann::json info = {{"name", name}, {"id", RandomUuid()}};
    TRESOR_RETURN_IF_ERROR(barrier_.Put(kClusterInfoKey, info.dump()));
    return tokens_.CreateRootToken(options.root_token_id);
  };
  StatusOr<std::string> root_token = populate();
  tokens_.Unload();
  barrier_.Seal();
  return root_token;
}

void Lifecycle::BeginJoin(SealConfig config, std::function<Status(const SecureBytes&)> complete) {
  std::lock_guard lock(mu_);
  pending_shares_.clear();
  nonce_.clear();
  join_ = PendingJoin{config, std::move(complete)};
}

bool Lifecycle::JoinPending() {
  std::lock_guard lock(mu_);
  return join_.has_value();
}

StatusOr<std::string> Lifecycle::StoredRootKeyRecord() {
  TRESOR_ASSIGN_OR_RETURN(auto wrapped, physical_.Get(kRootKeyKey));
  if (!wrapped.has_value()) return FailedPreconditionError("Vault is not initialized");
  return *wrapped;
}

StatusOr<SealStatus> Lifecycle::StatusLocked() {
  SealStatus status;
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  if (!config.has_value() && join_.has_value()) config = join_->config;
  status.initialized = config.has_value();
  status.sealed = barrier_.Sealed();
  status.type = ConfiguredSealType();
  if (config.has_value()) {
    // Migrating, the shares asked for are the old seal's.
    status.shares = config->quorum_shares();
    status.threshold = config->quorum_threshold();
    status.recovery_seal = !config->IsShamir();
    // Once the stored seal is the configured one, a migration this node
    // unsealed for has been written (here or by the active node).
    status.migration = config->type != status.type;
  } else {
    status.recovery_seal = seal_ != nullptr;
  }
  status.progress = static_cast<int>(pending_shares_.size());
  status.nonce = nonce_;
  if (!status.sealed) {
    status.cluster_name = cluster_name_;
    status.cluster_id = cluster_id_;
  }
  return status;
}

StatusOr<SealStatus> Lifecycle::GetSealStatus() {
  std::lock_guard lock(mu_);
  return StatusLocked();
}

StatusOr<SealStatus> Lifecycle::SubmitUnsealShare(const SecureBytes& share, bool migrate) {
  std::lock_guard lock(mu_);
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  bool joining = !config.has_value() && join_.has_value();
  if (joining) config = join_->config;
  if (!config.has_value()) return FailedPreconditionError("Vault is not initialized");
  if (!barrier_.Sealed()) return StatusLocked();
  const bool migrating = !joining && config->type != ConfiguredSealType();
  if (migrate && !migrating) {
    return FailedPreconditionError("no seal migration is configured: the stored seal is \"" +
                                   config->type + "\" and so is this node's; unseal without migrate");
  }
  if (!migrate && migrating) {
    return FailedPreconditionError(
        "a seal migration is configured (from \"" + config->type + "\" to \"" +
        ConfiguredSealType() + "\"): unseal with migrate = true (operator unseal -migrate) and "
        "the old seal's " + (config->IsShamir() ? "unseal" : "recovery") + " keys");
  }
  if (!migrate && seal_ != nullptr) {
    return FailedPreconditionError("this server unseals through its seal \"" + seal_->Type() +
                                   "\", not with key shares (recovery keys authorise rekey and "
                                   "generate-root)");
  }
  if (share.size() != kKeyBytes + 1) {
    return InvalidArgumentError("key is not an unseal key share of this server: expected " +
                                std::to_string(kKeyBytes + 1) + " bytes, got " +
                                std::to_string(share.size()));
  }
  for (const auto& given : pending_shares_) {
    if (ConstantTimeEquals(AsStringView(given), AsStringView(share))) return StatusLocked();
  }
  if (pending_shares_.empty()) nonce_ = RandomUuid();
  pending_shares_.push_back(share);
  if (static_cast<int>(pending_shares_.size()) < config->quorum_threshold()) return StatusLocked();

  auto combined = seal::Combine(pending_shares_);
  pending_shares_.clear();
  nonce_.clear();
  Status unsealed = combined.status();
  if (combined.ok() && joining) {
    unsealed = join_->complete(*combined);
    if (unsealed.ok()) join_.reset();
  }
  if (unsealed.ok() && migrate) {
    auto root_key = OpenForMigrationLocked(*config, *combined);
    unsealed = root_key.status();
    if (unsealed.ok()) unsealed = UnsealWithRootKeyLocked(*root_key);
    if (unsealed.ok()) {
      Status written = WriteMigrationLocked(*config, *root_key, *combined);
      if (!written.ok()) {
        // A standby cannot write: the migration waits for it to be active.
        pending_migration_key_ = *combined;
        spdlog::info("unsealed for a seal migration; it is written when this node becomes "
                     "active ({})", written.message());
      }
    }
  } else if (unsealed.ok()) {
    unsealed = UnsealWithKey(*combined);
  }
  if (!unsealed.ok()) {
    spdlog::warn("unseal attempt failed: {}", unsealed.message());
    return unsealed;
  }
  spdlog::info("unsealed");
  return StatusLocked();
}

StatusOr<SecureBytes> Lifecycle::OpenRootKeyLocked(const SecureBytes& unseal_key) {
  TRESOR_ASSIGN_OR_RETURN(auto wrapped, physical_.Get(kRootKeyKey));
  if (!wrapped.has_value()) return CorruptionError("the stored root key is missing");
  auto root_key = AesGcmOpenSecure(unseal_key, *wrapped, kRootKeyKey);
  if (!root_key.ok()) return InvalidArgumentError(kWrongUnsealKey);
  return root_key;
}

Status Lifecycle::UnsealWithKey(const SecureBytes& unseal_key) {
  auto root_key = OpenRootKeyLocked(unseal_key);
  if (!root_key.ok()) {
    if (root_key.status().code() != StatusCode::kInvalidArgument) return root_key.status();
    return InvalidArgumentError(std::string(kWrongUnsealKey) +
                                "; unseal progress has been reset, start again with valid shares");
  }
  return UnsealWithRootKeyLocked(*root_key);
}

Status Lifecycle::UnsealWithRootKeyLocked(const SecureBytes& root_key) {
  TRESOR_RETURN_IF_ERROR(barrier_.Unseal(root_key));
  Status loaded = tokens_.Load();
  if (loaded.ok()) loaded = LoadClusterInfoLocked();
  if (loaded.ok() && on_unseal_) loaded = on_unseal_();
  if (!loaded.ok()) {
    if (on_seal_) on_seal_();
    tokens_.Unload();
    SealBarrierLocked();
    return loaded;
  }
  return Status::Ok();
}

bool Lifecycle::ReloadAfterStateReplaced() {
  std::lock_guard lock(mu_);
  if (barrier_.Sealed()) return false;
  if (on_seal_) on_seal_();
  tokens_.Unload();
  Status reloaded = barrier_.ReloadKeyring();
  bool loaded_hooks = false;
  if (reloaded.ok()) reloaded = tokens_.Load();
  if (reloaded.ok()) reloaded = LoadClusterInfoLocked();
  if (reloaded.ok() && on_unseal_) {
    loaded_hooks = true;
    reloaded = on_unseal_();
  }
  if (reloaded.ok()) {
    spdlog::info("the storage was replaced (a snapshot restore); keyring and caches reloaded");
    return true;
  }
  if (loaded_hooks && on_seal_) on_seal_();
  tokens_.Unload();
  SealBarrierLocked();
  spdlog::warn("sealed: this node's keys do not open the restored state ({}); unseal it with "
               "the keys of the cluster the snapshot came from",
               reloaded.message());
  return false;
}

Status Lifecycle::LoadClusterInfoLocked() {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier_.Get(kClusterInfoKey));
  if (!stored.has_value()) return CorruptionError("cluster identity is missing");
  try {
    auto j = nlohmann::json::parse(*stored);
    cluster_id_ = j.at("id").get<std::string>();
    cluster_name_ = configured_cluster_name_.empty() ? j.at("name").get<std::string>()
                                                     : configured_cluster_name_;
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("cluster identity cannot be parsed: ") + e.what());
  }
  return Status::Ok();
}

StatusOr<SealStatus> Lifecycle::ResetUnsealProgress() {
  std::lock_guard lock(mu_);
  pending_shares_.clear();
  nonce_.clear();
  return StatusLocked();
}

Status Lifecycle::Seal(bool by_operator) {
  std::lock_guard lock(mu_);
  if (by_operator) sealed_by_operator_.store(true);
  pending_migration_key_.clear();
  pending_shares_.clear();
  nonce_.clear();
  if (barrier_.Sealed()) return Status::Ok();
  if (on_seal_) on_seal_();
  tokens_.Unload();
  SealBarrierLocked();
  spdlog::info("sealed");
  return Status::Ok();
}

StatusOr<SealConfig> Lifecycle::CurrentSealConfig() {
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  if (!config.has_value()) return FailedPreconditionError("Vault is not initialized");
  return *config;
}

Status Lifecycle::CheckQuorumKey(const SecureBytes& key) {
  std::lock_guard lock(mu_);
  TRESOR_ASSIGN_OR_RETURN(auto config, ReadSealConfig());
  if (!config.has_value()) return FailedPreconditionError("Vault is not initialized");
  if (config->IsShamir()) return OpenRootKeyLocked(key).status();
  if (barrier_.Sealed()) return SealedError();
  return MatchRecoveryKeyLocked(key);
}

Status Lifecycle::ReplaceUnsealKey(const SecureBytes& old_unseal_key,
                                   const SecureBytes& new_unseal_key, const SealConfig& config) {
  TRESOR_RETURN_IF_ERROR(ValidateSealConfig(config.secret_shares, config.secret_threshold));
  if (!config.IsShamir()) return InvalidArgumentError("only Shamir unseal keys can be rekeyed");
  std::lock_guard lock(mu_);
  if (barrier_.Sealed()) return SealedError();
  TRESOR_ASSIGN_OR_RETURN(SecureBytes root_key, OpenRootKeyLocked(old_unseal_key));
  TRESOR_ASSIGN_OR_RETURN(std::string rewrapped,
                          AesGcmSeal(new_unseal_key, AsStringView(root_key), kRootKeyKey));
  CrashPointForTest("rekey-before-commit");
  // One batch: the wrapped root key and the shares it needs change together.
  TRESOR_RETURN_IF_ERROR(
      physical_.Batch({storage::Operation::Put(kRootKeyKey, std::move(rewrapped)),
                       storage::Operation::Put(kSealConfigKey, SealConfigJson(config))}));
  CrashPointForTest("rekey-after-commit");
  spdlog::info("rekeyed: the unseal key is now split into {} shares with a threshold of {}",
               config.secret_shares, config.secret_threshold);
  return Status::Ok();
}

void Lifecycle::SealBarrierLocked() {
  barrier_.Seal();
  seal_generation_.fetch_add(1);
}

StatusOr<barrier::KeyStatus> Lifecycle::KeyStatus() { return barrier_.ActiveKeyStatus(); }

StatusOr<barrier::KeyStatus> Lifecycle::Rotate() {
  std::lock_guard lock(mu_);
  TRESOR_ASSIGN_OR_RETURN(auto status, barrier_.Rotate());
  spdlog::info("rotated the barrier key to term {}", status.term);
  return status;
}

}  // namespace tresor::core

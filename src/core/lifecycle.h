// The server's lifecycle: not initialised -> sealed <-> unsealed, and the
// keys that move it between states.
//
// Key hierarchy (docs/seal.md):
//   unseal key (32 bytes)  = Shamir-combine(threshold shares); never stored.
//   root key   (32 bytes)  stored at physical "core/root-key", sealed with
//                          AES-256-GCM under the unseal key (AAD = the path).
//   keyring                barrier terms, sealed under the root key
//                          (barrier/, physical "core/keyring").
// Physical "core/seal-config" (plaintext: shares and threshold, no secret)
// is written last at init and is what "initialised" means, so a crash in
// the middle of init leaves a server that is simply not initialised.
//
// Who calls it: core/sys_* handlers, and server/ for -dev mode.
// Threads: thread-safe. Init, unseal, seal and rotate are serialised by one
// mutex; reads of the state are lock-free where they are on hot paths.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "barrier/barrier.h"
#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "engines/auth/token/token_store.h"
#include "seal/key_wrapper.h"
#include "storage/prefix_view.h"
#include "storage/backend.h"

namespace tresor::core {

// What core/seal-config records (plaintext: no secret).
struct SealConfig {
  int secret_shares = 0;
  int secret_threshold = 0;
  // "shamir", or the auto-unseal provider that wraps the root key
  // ("transit", "awskms", "pkcs11"; seal/key_wrapper.h).
  std::string type = "shamir";
  // With an auto seal: the shares of the recovery key, which authorise the
  // quorum flows (rekey, generate-root, seal migration) instead of unseal
  // keys.
  int recovery_shares = 0;
  int recovery_threshold = 0;

  bool IsShamir() const { return type == "shamir"; }
  // The shares a quorum flow collects: unseal shares, or recovery shares.
  int quorum_shares() const { return IsShamir() ? secret_shares : recovery_shares; }
  int quorum_threshold() const { return IsShamir() ? secret_threshold : recovery_threshold; }
};

// OK when Vault would accept `shares` shares with a threshold of
// `threshold`; InvalidArgument saying what is wrong otherwise.
Status ValidateSealConfig(int shares, int threshold);

struct InitOptions {
  int secret_shares = 0;
  int secret_threshold = 0;
  // With an auto seal (the shares above are then unused).
  int recovery_shares = 0;
  int recovery_threshold = 0;
  // The root token to create, for `server -dev -dev-root-token-id`.
  std::optional<std::string> root_token_id = std::nullopt;
};

struct InitResult {
  std::vector<SecureBytes> key_shares;
  std::vector<SecureBytes> recovery_shares;  // with an auto seal
  std::string root_token;
};

struct SealStatus {
  bool initialized = false;
  bool sealed = true;
  // The seal configured on this node ("shamir", "transit", ...).
  std::string type = "shamir";
  // Whether the shares counted below are recovery shares (an auto seal).
  bool recovery_seal = false;
  // Whether a seal migration is waiting for `sys/unseal` with `migrate`,
  // or for this node to become active to write it.
  bool migration = false;
  int threshold = 0;
  int shares = 0;
  int progress = 0;
  std::string nonce;
  // Known only while unsealed (they live inside the barrier).
  std::string cluster_name;
  std::string cluster_id;
};

class Lifecycle {
 public:
  // physical: the untrusted storage; outlives this object.
  // cluster_name: from the config; empty to generate one at init.
  Lifecycle(storage::Backend& physical, Clock& clock, std::string cluster_name);
  ~Lifecycle();

  StatusOr<bool> Initialized();

  // The auto-unseal providers, from the config's seal blocks: `seal` the
  // enabled one (null: Shamir key shares), `old_seal` a disabled one a
  // migration moves away from (null: none). Call once, before serving.
  void SetSeals(std::shared_ptr<seal::KeyWrapper> seal, std::shared_ptr<seal::KeyWrapper> old_seal);
  // The configured seal's type: "shamir" without a provider.
  std::string ConfiguredSealType() const;
  bool HasAutoSeal() const { return seal_ != nullptr; }

  // With an auto seal: unwraps the stored root key through the provider and
  // unseals. OK when already unsealed. FailedPrecondition when not
  // initialised, when the stored seal differs from the configured one (a
  // migration: unseal with `migrate`) or without an auto seal; what the
  // provider returns otherwise (Unavailable: retry later).
  Status AutoUnseal();
  // The root key a stored root-key record wraps, through the configured
  // auto seal (a joining node unwraps the cluster's record this way).
  StatusOr<SecureBytes> UnwrapWithAutoSeal(std::string_view record);

  // Creates the keys, the root token and the cluster identity. With Shamir
  // it leaves the server sealed; with an auto seal it wraps the root key
  // through the provider (Unavailable when it cannot be reached: nothing is
  // written) and leaves the server unsealed. FailedPrecondition when already initialised,
  // InvalidArgument for a share/threshold combination Vault refuses.
  StatusOr<InitResult> Initialize(const InitOptions& options);

  StatusOr<SealStatus> GetSealStatus();

  // Adds one key share (raw bytes). A share already given is not counted
  // twice. When the threshold is reached, combines the shares and unseals;
  // shares that do not combine into this server's unseal key reset the
  // progress and return InvalidArgument. FailedPrecondition when not
  // initialised. Unsealed already: returns the status unchanged.
  // With `migrate`, the shares are the old seal's quorum shares (unseal
  // shares from Shamir, recovery shares from an auto seal) and the server
  // unseals through the old seal; the new seal's records are written then,
  // or when this node next becomes active (CompletePendingMigration).
  // FailedPrecondition when `migrate` does not match whether a migration is
  // configured, and for any share while an auto seal unseals by itself.
  StatusOr<SealStatus> SubmitUnsealShare(const SecureBytes& share, bool migrate = false);
  // Writes a migration that waited for this node to become active; OK when
  // none waits.
  Status CompletePendingMigration();
  // With an auto seal whose provider versions its key (transit): when the
  // provider's key was rotated since the root key was wrapped, re-wraps it
  // under the latest version, so that the old version can be retired
  // (min_decryption_version). Called when this node becomes active; OK
  // when there is nothing to do.
  Status RewrapRootKeyIfRotated();
  // Forgets the shares given so far.
  StatusOr<SealStatus> ResetUnsealProgress();

  // Seals: wipes every key from memory. Sealing a sealed server is OK.
  // `by_operator` (sys/seal): an auto seal does not unseal the node again
  // until it restarts, as in Vault.
  Status Seal(bool by_operator = false);
  bool SealedByOperator() const { return sealed_by_operator_.load(); }
  bool Sealed() const { return barrier_.Sealed(); }
  // Changes every time the server seals: a quorum flow (rekey,
  // generate-root) started in one unsealed period is void in the next.
  std::uint64_t SealGeneration() const { return seal_generation_.load(); }

  // The shares and threshold of the unseal key now; FailedPrecondition
  // when not initialised.
  StatusOr<SealConfig> CurrentSealConfig();
  // For the quorum flows that prove key holders are present: OK when `key`
  // is this server's unseal key (Shamir: it opens the stored root key) or
  // its recovery key (an auto seal); InvalidArgument ("the key shares given
  // do not combine into this server's unseal key" / "recovery key")
  // otherwise. REQUIRES (auto seal): unsealed, else Sealed.
  Status CheckQuorumKey(const SecureBytes& key);
  // Rekey: re-wraps the root key under new_unseal_key and records `config`
  // as the new shares and threshold, in one atomic storage batch, so that
  // after a crash at any point either the old or the new shares open the
  // barrier, never neither. The root key and the barrier are unchanged, so
  // every node stays unsealed. InvalidArgument when old_unseal_key does not
  // open the stored root key (it changed since it was checked), Sealed when
  // sealed.
  Status ReplaceUnsealKey(const SecureBytes& old_unseal_key, const SecureBytes& new_unseal_key,
                          const SealConfig& config);

  // Rekey of the recovery key (auto seal): as ReplaceUnsealKey, for the
  // recovery key and recovery_shares/recovery_threshold of `config`.
  Status ReplaceRecoveryKey(const SecureBytes& old_key, const SecureBytes& new_key,
                            const SealConfig& config);

  StatusOr<barrier::KeyStatus> KeyStatus();
  StatusOr<barrier::KeyStatus> Rotate();

  // The plaintext view of storage. REQUIRES: unsealed, for any call on it to
  // succeed (it answers kSealed otherwise).
  storage::Backend& Barrier() { return barrier_; }
  // The storage under the barrier: values are ciphertext, keys plain text.
  storage::Backend& Physical() { return physical_; }
  engines::token::TokenStore& Tokens() { return tokens_; }

  // What the rest of core sets up once the barrier is open (the mount
  // table, policies) and tears down before it closes. on_unseal runs under
  // the lifecycle lock after the token store has loaded, at every unseal;
  // when it fails the server stays sealed. on_seal runs before the keys are
  // wiped. Set once, before the server serves requests.
  void SetUnsealHooks(std::function<Status()> on_unseal, std::function<void()> on_seal);

  // Raft join (sys/storage/raft/join, core/sys_raft_handlers.cc): a node
  // that joined a cluster has no seal configuration of its own until raft
  // replicates it. Until then the
  // lifecycle reports the cluster's `config` (initialised, sealed) and,
  // when the unseal shares reach its threshold, hands the combined unseal
  // key to `complete` (which proves it to the leader and waits for the
  // replicated state) before unsealing from local storage as usual.
  void BeginJoin(SealConfig config, std::function<Status(const SecureBytes&)> complete);
  bool JoinPending();
  // The root-key record as stored (sealed under the unseal key), for a
  // joining node.
  StatusOr<std::string> StoredRootKeyRecord();
  // After the whole of storage was replaced underneath (a snapshot
  // restore, here or on another node; a raft snapshot installed): an
  // unsealed server re-reads its keyring with the root key it holds and
  // reloads what it loaded at unseal (token store, cluster identity, the
  // unseal hooks: mount table, policies). When its keys do not open the
  // new state (another cluster's snapshot) it seals itself, to be unsealed
  // with that cluster's keys. Returns whether it is unsealed afterwards.
  bool ReloadAfterStateReplaced();
  // The barrier itself, for what seals with the root key (snapshot sums).
  const barrier::AesGcmBarrier& RootKeyBarrier() const { return barrier_; }
  // plaintext sealed under the root key (AAD = aad); SealedError when sealed.
  StatusOr<std::string> SealWithRootKey(std::string_view plaintext, std::string_view aad) {
    return barrier_.SealWithRootKey(plaintext, aad);
  }
  static constexpr std::string_view kRootKeyPath = "core/root-key";
  static constexpr std::string_view kRecoveryKeyPath = "core/recovery-key";

 private:
  StatusOr<std::optional<SealConfig>> ReadSealConfig();
  StatusOr<SealStatus> StatusLocked();
  Status UnsealWithKey(const SecureBytes& unseal_key);
  StatusOr<SecureBytes> OpenRootKeyLocked(const SecureBytes& unseal_key);
  Status UnsealWithRootKeyLocked(const SecureBytes& root_key);
  // Whether `key` is the stored recovery key: through `root_key` (before the
  // barrier is open, a migration) or through the unsealed barrier.
  Status CheckRecoveryKeyLocked(const SecureBytes& root_key, const SecureBytes& key);
  Status MatchRecoveryKeyLocked(const SecureBytes& key);
  Status InitializeWithAutoSealLocked(const InitOptions& options, InitResult& result);
  // Writes the keyring, then (briefly unsealed) the token store, the cluster
  // identity and the root token; returns the root token, sealed again.
  StatusOr<std::string> PopulateBarrierLocked(const SecureBytes& root_key,
                                              const InitOptions& options);
  // The old seal's root key from the quorum key given with `migrate`.
  StatusOr<SecureBytes> OpenForMigrationLocked(const SealConfig& stored, const SecureBytes& key);
  // Rewrites the root-key record, recovery key and seal-config for the
  // configured seal (one batch). REQUIRES: unsealed with root_key.
  Status WriteMigrationLocked(const SealConfig& stored, const SecureBytes& root_key,
                              const SecureBytes& quorum_key);
  Status LoadClusterInfoLocked();
  Status WipeAbortedInit();
  void SealBarrierLocked();

  storage::Backend& physical_;
  Clock& clock_;
  const std::string configured_cluster_name_;
  barrier::AesGcmBarrier barrier_;
  // The token store keeps its salt and entries under sys/token/ inside the
  // barrier.
  storage::PrefixView token_view_;
  engines::token::TokenStore tokens_;
  struct PendingJoin {
    SealConfig config;
    std::function<Status(const SecureBytes&)> complete;
  };
  std::optional<PendingJoin> join_;  // GUARDED_BY(mu_)
  std::shared_ptr<seal::KeyWrapper> seal_;      // set once, before serving
  std::shared_ptr<seal::KeyWrapper> old_seal_;  // set once, before serving
  // A migration unsealed on a standby, written when it becomes active.
  SecureBytes pending_migration_key_;  // GUARDED_BY(mu_)
  std::function<Status()> on_unseal_;
  std::function<void()> on_seal_;

  std::mutex mu_;
  std::atomic<bool> initialized_cache_{false};  // Once true, stays true.
  std::atomic<std::uint64_t> seal_generation_{0};
  std::atomic<bool> sealed_by_operator_{false};
  std::vector<SecureBytes> pending_shares_;     // GUARDED_BY(mu_)
  std::string nonce_;                           // GUARDED_BY(mu_)
  std::string cluster_name_;                    // GUARDED_BY(mu_)
  std::string cluster_id_;                      // GUARDED_BY(mu_)
};

}  // namespace tresor::core

// TokenStore's batch tokens: the key, creation and lookup. The token format
// is token_batch.h's; the rules are in token_store.h and docs/tokens.md.

#include <algorithm>

#include "common/aes_gcm.h"
#include "common/random.h"
#include "engines/auth/token/token_batch.h"
#include "engines/auth/token/token_store.h"

namespace tresor::engines::token {
namespace {

constexpr char kBatchKeyName[] = "batch-key";

}  // namespace

StatusOr<std::shared_ptr<const SecureBytes>> TokenStore::BatchKey(bool create) {
  {
    std::lock_guard lock(mu_);
    if (salt_.empty()) return SealedError();
    if (batch_key_ != nullptr) return batch_key_;
  }
  std::lock_guard making(batch_key_mu_);
  {
    std::lock_guard lock(mu_);  // another thread may have read it meanwhile
    if (salt_.empty()) return SealedError();
    if (batch_key_ != nullptr) return batch_key_;
  }
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(kBatchKeyName));
  std::shared_ptr<SecureBytes> key;
  if (stored.has_value()) {
    if (stored->size() != kAesGcmKeySize) {
      SecureWipe(*stored);
      return CorruptionError("the batch token key has the wrong length");
    }
    key = std::make_shared<SecureBytes>(ToSecureBytes(*stored));
    SecureWipe(*stored);
  } else if (create) {
    key = std::make_shared<SecureBytes>(RandomSecureBytes(kAesGcmKeySize));
    TRESOR_RETURN_IF_ERROR(view_.Put(kBatchKeyName, AsStringView(*key)));
  } else {
    return std::shared_ptr<const SecureBytes>();
  }
  std::lock_guard lock(mu_);
  if (salt_.empty()) return SealedError();  // unloaded while reading
  batch_key_ = std::move(key);
  return batch_key_;
}

StatusOr<CreatedToken> TokenStore::CreateBatch(const NewToken& spec) {
  // Nothing is stored for a batch token, so nothing could ever revoke,
  // renew or count down one: refuse what would need that.
  if (!spec.id.empty()) return InvalidArgumentError("batch tokens cannot have a custom ID");
  if (std::find(spec.policies.begin(), spec.policies.end(), "root") != spec.policies.end()) {
    return InvalidArgumentError("batch tokens cannot be root tokens");
  }
  if (spec.num_uses != 0) return InvalidArgumentError("batch tokens cannot have \"num_uses\" set");
  if (spec.period.count() != 0) {
    return InvalidArgumentError("batch tokens cannot have \"period\" set");
  }
  if (!spec.parent_hash.empty()) {
    TRESOR_ASSIGN_OR_RETURN(auto parent, LookupByHash(spec.parent_hash));
    if (!parent.has_value()) {
      return InvalidArgumentError("parent token lookup failed: no parent found");
    }
  }
  TokenEntry entry;
  entry.type = "batch";
  entry.renewable = false;
  entry.parent = spec.parent_hash;
  entry.policies = spec.policies;
  entry.meta = spec.meta;
  entry.display_name = spec.display_name;
  entry.creation_time = std::chrono::floor<std::chrono::seconds>(clock_.Now());
  entry.ttl = spec.ttl.count() > 0 ? spec.ttl : limits_.default_ttl;
  if (spec.explicit_max_ttl.count() > 0) entry.ttl = std::min(entry.ttl, spec.explicit_max_ttl);
  entry.creation_ttl = entry.ttl;
  entry.path = spec.path;
  entry.bound_cidrs = spec.bound_cidrs;
  entry.role = spec.role;

  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const SecureBytes> key, BatchKey(/*create=*/true));
  TRESOR_ASSIGN_OR_RETURN(std::string token, SealBatchToken(*key, entry));
  TRESOR_ASSIGN_OR_RETURN(entry.id_hash, HashToken(token));
  return CreatedToken{std::move(token), std::move(entry)};
}

StatusOr<std::optional<TokenEntry>> TokenStore::LookupBatch(std::string_view token) {
  // The hash first: it also answers Sealed when the store is unloaded.
  TRESOR_ASSIGN_OR_RETURN(std::string hash, HashToken(token));
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const SecureBytes> key, BatchKey(/*create=*/false));
  if (key == nullptr) return std::optional<TokenEntry>();  // no batch token was ever made
  std::optional<TokenEntry> entry = OpenBatchToken(*key, token);
  if (!entry.has_value() || entry->IsInvalidAt(clock_.Now())) return std::optional<TokenEntry>();
  // Revoking a parent makes its batch children unusable, as in Vault.
  if (!entry->parent.empty()) {
    TRESOR_ASSIGN_OR_RETURN(auto parent, LookupByHash(entry->parent));
    if (!parent.has_value()) return std::optional<TokenEntry>();
  }
  // Stable per token: what core keys per-token state (cubbyhole) by.
  entry->id_hash = std::move(hash);
  return entry;
}

}  // namespace tresor::engines::token

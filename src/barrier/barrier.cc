#include "barrier/barrier.h"

#include <mutex>
#include <utility>

#include "common/aes_gcm.h"
#include "common/metrics.h"

namespace tresor::barrier {
namespace {

Status CheckRootKey(const SecureBytes& root_key) {
  if (root_key.size() != kAesGcmKeySize) return InvalidArgumentError("root key must be 32 bytes");
  return Status::Ok();
}

// Vault's barrier timings (ms), obtained once.
struct BarrierTimings {
  metrics::Summary& get = metrics::Default().GetSummary(
      "vault.barrier.get", "Time to read an entry through the barrier (ms).");
  metrics::Summary& put = metrics::Default().GetSummary(
      "vault.barrier.put", "Time to write an entry through the barrier (ms).");
  metrics::Summary& del = metrics::Default().GetSummary(
      "vault.barrier.delete", "Time to delete an entry through the barrier (ms).");
  metrics::Summary& list = metrics::Default().GetSummary(
      "vault.barrier.list", "Time to list entries through the barrier (ms).");
};

BarrierTimings& Timings() {
  static BarrierTimings timings;
  return timings;
}

Status ReservedPath() {
  return InvalidArgumentError(std::string(kKeyringPath) + " is reserved for the barrier keyring");
}

std::string ValueHeader(std::uint32_t term) {
  std::string header(kValueHeaderSize, '\0');
  header[0] = static_cast<char>(kValueVersion);
  header[1] = static_cast<char>((term >> 24) & 0xff);
  header[2] = static_cast<char>((term >> 16) & 0xff);
  header[3] = static_cast<char>((term >> 8) & 0xff);
  header[4] = static_cast<char>(term & 0xff);
  return header;
}

// AAD = header || path: binds the value to its place and to its term.
std::string ValueAad(std::string_view header, std::string_view path) {
  std::string aad;
  aad.reserve(header.size() + path.size());
  aad.append(header);
  aad.append(path);
  return aad;
}

Status AuthenticationFailure(std::string_view path) {
  return CorruptionError("value at " + std::string(path) + " failed authentication");
}

}  // namespace

AesGcmBarrier::AesGcmBarrier(storage::Backend& physical, const Clock& clock)
    : physical_(physical), clock_(clock) {}

AesGcmBarrier::~AesGcmBarrier() { Seal(); }

StatusOr<bool> AesGcmBarrier::Initialized() {
  TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kKeyringPath));
  return stored.has_value();
}

Status AesGcmBarrier::Initialize(const SecureBytes& root_key) {
  TRESOR_RETURN_IF_ERROR(CheckRootKey(root_key));
  // Exclusive, so that two concurrent Initialize calls cannot both see "not
  // initialised" and overwrite each other's keyring.
  std::unique_lock lock(mu_);
  TRESOR_ASSIGN_OR_RETURN(bool initialized, Initialized());
  if (initialized) return FailedPreconditionError("barrier is already initialized");
  Keyring keyring;
  TRESOR_RETURN_IF_ERROR(keyring.AddTerm(clock_).status());
  return PersistKeyring(keyring, root_key);
}

StatusOr<std::string> AesGcmBarrier::SealWithRootKey(std::string_view plaintext,
                                                     std::string_view aad) const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  return AesGcmSeal(root_key_, plaintext, aad);
}

StatusOr<std::string> AesGcmBarrier::OpenWithRootKey(std::string_view sealed,
                                                     std::string_view aad) const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  StatusOr<std::string> plaintext = AesGcmOpen(root_key_, sealed, aad);
  // AesGcmOpen says Corruption; to the caller a value that does not open is
  // one this cluster did not seal, which is a permission question.
  if (!plaintext.ok()) return PermissionDeniedError("not sealed by this cluster's root key");
  return plaintext;
}

Status AesGcmBarrier::ReloadKeyring() {
  std::unique_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  Status reloaded = [&]() -> Status {
    TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kKeyringPath));
    if (!stored.has_value()) return FailedPreconditionError("the restored state has no keyring");
    StatusOr<SecureBytes> json = AesGcmOpenSecure(root_key_, *stored, kKeyringPath);
    if (!json.ok()) return PermissionDeniedError("root key does not open the restored keyring");
    TRESOR_ASSIGN_OR_RETURN(Keyring keyring, Keyring::Deserialize(*json));
    keyring_ = std::move(keyring);
    encryptions_.store(0);
    return Status::Ok();
  }();
  if (!reloaded.ok()) {
    // As Seal() does; keyring and SecureBytes wipe their bytes when freed.
    keyring_.reset();
    root_key_.clear();
    root_key_.shrink_to_fit();
    encryptions_.store(0);
  }
  return reloaded;
}

Status AesGcmBarrier::Unseal(const SecureBytes& root_key) {
  TRESOR_RETURN_IF_ERROR(CheckRootKey(root_key));
  std::unique_lock lock(mu_);
  if (keyring_.has_value()) {
    if (ConstantTimeEquals(AsStringView(root_key), AsStringView(root_key_))) return Status::Ok();
    return PermissionDeniedError("root key does not open the keyring");
  }
  TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(kKeyringPath));
  if (!stored.has_value()) return FailedPreconditionError("barrier is not initialized");
  StatusOr<SecureBytes> json = AesGcmOpenSecure(root_key, *stored, kKeyringPath);
  if (!json.ok()) return PermissionDeniedError("root key does not open the keyring");
  TRESOR_ASSIGN_OR_RETURN(Keyring keyring, Keyring::Deserialize(*json));
  keyring_ = std::move(keyring);
  root_key_ = root_key;
  encryptions_.store(0);
  return Status::Ok();
}

void AesGcmBarrier::Seal() {
  std::unique_lock lock(mu_);
  // Keyring and SecureBytes wipe their key bytes when freed.
  keyring_.reset();
  root_key_.clear();
  root_key_.shrink_to_fit();
  encryptions_.store(0);
}

bool AesGcmBarrier::Sealed() const {
  std::shared_lock lock(mu_);
  return !keyring_.has_value();
}

StatusOr<KeyStatus> AesGcmBarrier::Rotate() {
  std::unique_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  // Rotate a copy, persist it, then adopt it: if the write fails, nothing
  // changes in memory, and no value is ever written under a term that the
  // stored keyring does not have.
  Keyring next = *keyring_;
  TRESOR_ASSIGN_OR_RETURN(std::uint32_t term, next.AddTerm(clock_));
  TRESOR_RETURN_IF_ERROR(PersistKeyring(next, root_key_));
  keyring_ = std::move(next);
  encryptions_.store(0);
  return KeyStatus{term, keyring_->Active().install_time, 0};
}

StatusOr<KeyStatus> AesGcmBarrier::ActiveKeyStatus() const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  const KeyTerm& active = keyring_->Active();
  return KeyStatus{active.term, active.install_time, encryptions_.load()};
}

StatusOr<std::optional<std::string>> AesGcmBarrier::Get(std::string_view key) {
  metrics::ScopedTimer timer(Timings().get);
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  if (key == kKeyringPath) return ReservedPath();
  TRESOR_ASSIGN_OR_RETURN(auto stored, physical_.Get(key));
  if (!stored.has_value()) return std::optional<std::string>();
  TRESOR_ASSIGN_OR_RETURN(std::string plaintext, DecryptLocked(key, *stored));
  return std::optional<std::string>(std::move(plaintext));
}

Status AesGcmBarrier::Put(std::string_view key, std::string_view value) {
  metrics::ScopedTimer timer(Timings().put);
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  if (key == kKeyringPath) return ReservedPath();
  // Validate before encrypting so a bad key is reported as such, not as a
  // physical failure after a wasted encryption.
  TRESOR_RETURN_IF_ERROR(storage::ValidateKey(key));
  TRESOR_ASSIGN_OR_RETURN(std::string sealed, EncryptLocked(key, value));
  return physical_.Put(key, sealed);
}

Status AesGcmBarrier::Delete(std::string_view key) {
  metrics::ScopedTimer timer(Timings().del);
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  if (key == kKeyringPath) return ReservedPath();
  return physical_.Delete(key);
}

StatusOr<std::vector<std::string>> AesGcmBarrier::ListPage(std::string_view prefix,
                                                           std::string_view after,
                                                           std::size_t limit) {
  metrics::ScopedTimer timer(Timings().list);
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  return physical_.ListPage(prefix, after, limit);
}

Status AesGcmBarrier::Batch(const std::vector<storage::Operation>& ops) {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  std::vector<storage::Operation> sealed_ops;
  sealed_ops.reserve(ops.size());
  for (const storage::Operation& op : ops) {
    if (op.key == kKeyringPath) return ReservedPath();
    TRESOR_RETURN_IF_ERROR(storage::ValidateKey(op.key));
    if (op.type == storage::Operation::Type::kPut) {
      TRESOR_ASSIGN_OR_RETURN(std::string sealed, EncryptLocked(op.key, op.value));
      sealed_ops.push_back(storage::Operation::Put(op.key, std::move(sealed)));
    } else {
      sealed_ops.push_back(storage::Operation::Delete(op.key));
    }
  }
  return physical_.Batch(sealed_ops);
}

Status AesGcmBarrier::Close() {
  Seal();
  return Status::Ok();
}

StatusOr<std::string> AesGcmBarrier::EncryptLocked(std::string_view path, std::string_view value) {
  const KeyTerm& active = keyring_->Active();
  std::string header = ValueHeader(active.term);
  TRESOR_ASSIGN_OR_RETURN(std::string sealed,
                          AesGcmSeal(active.key, value, ValueAad(header, path)));
  encryptions_.fetch_add(1, std::memory_order_relaxed);
  header.append(sealed);
  return header;
}

StatusOr<std::string> AesGcmBarrier::Decrypt(std::string_view path,
                                             std::string_view stored) const {
  std::shared_lock lock(mu_);
  if (!keyring_.has_value()) return SealedError();
  return DecryptLocked(path, stored);
}

StatusOr<std::string> AesGcmBarrier::DecryptLocked(std::string_view path,
                                                   std::string_view stored) const {
  if (stored.size() < kValueHeaderSize + kAesGcmOverhead ||
      static_cast<unsigned char>(stored[0]) != kValueVersion) {
    return AuthenticationFailure(path);
  }
  std::uint32_t term = 0;
  for (std::size_t i = 1; i < kValueHeaderSize; ++i) {
    term = (term << 8) | static_cast<unsigned char>(stored[i]);
  }
  const KeyTerm* key = keyring_->Find(term);
  if (key == nullptr) {
    return CorruptionError("value at " + std::string(path) + " names unknown key term " +
                           std::to_string(term));
  }
  std::string_view header = stored.substr(0, kValueHeaderSize);
  StatusOr<std::string> plaintext =
      AesGcmOpen(key->key, stored.substr(kValueHeaderSize), ValueAad(header, path));
  if (!plaintext.ok()) return AuthenticationFailure(path);
  return plaintext;
}

Status AesGcmBarrier::PersistKeyring(const Keyring& keyring, const SecureBytes& root_key) {
  SecureBytes json = keyring.Serialize();
  TRESOR_ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(root_key, json, kKeyringPath));
  return physical_.Put(kKeyringPath, sealed);
}

}  // namespace tresor::barrier

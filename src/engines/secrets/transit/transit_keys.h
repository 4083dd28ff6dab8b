// The named keys of the transit secrets engine and their versions: what is
// stored, how a key is rotated and configured, and the ciphertext format.
//
// Storage layout, inside the mount's barrier view (so key material is only
// ever stored encrypted by the barrier):
//   policy/<name>  ->  JSON {"type": "aes256-gcm96", "latest_version": N,
//                     "min_decryption_version": D, "min_encryption_version": E,
//                     "deletion_allowed": bool,
//                     "versions": {"<v>": {"key": base64, "created": RFC 3339}}}
//
// Ciphertext, as Vault's: "vault:v<N>:" + base64(nonce || ciphertext || tag)
// of AES-256-GCM under version N, with the optional associated data as AAD.
//
// Threads: a TransitKeys is stateless beyond its storage reference; writes
// of one key (create, rotate, config) are serialised by the engine.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "storage/backend.h"

namespace tresor::engines::transit {

struct KeyVersion {
  SecureBytes key;  // 32 bytes
  Clock::TimePoint created;
};

struct TransitKey {
  std::string name;
  std::string type = "aes256-gcm96";
  int latest_version = 0;
  int min_decryption_version = 1;
  int min_encryption_version = 0;  // 0: the latest
  bool deletion_allowed = false;
  std::map<int, KeyVersion> versions;
};

// "vault:v<N>:<base64>" split into the version and the raw bytes.
// InvalidArgument saying which part is wrong.
struct ParsedCiphertext {
  int version = 0;
  std::string bytes;
};
StatusOr<ParsedCiphertext> ParseCiphertext(std::string_view text);

class TransitKeys {
 public:
  TransitKeys(storage::Backend& storage, Clock& clock) : storage_(storage), clock_(clock) {}

  // NotFound-free: std::nullopt when there is no such key. Corruption when
  // the stored record does not parse.
  StatusOr<std::optional<TransitKey>> Get(std::string_view name);
  StatusOr<std::vector<std::string>> List();
  // A new key with one version. FailedPrecondition when it exists.
  StatusOr<TransitKey> Create(std::string_view name, std::string_view type);
  Status Put(const TransitKey& key);
  Status Delete(std::string_view name);
  // Adds a version and makes it the latest.
  void Rotate(TransitKey& key);

  // Encrypts with `version` (0: the latest allowed). InvalidArgument when the
  // version is below min_encryption_version or does not exist.
  static StatusOr<std::string> Encrypt(const TransitKey& key, std::string_view plaintext,
                                       std::string_view aad, int version);
  // InvalidArgument when the ciphertext is malformed, its version is below
  // min_decryption_version or unknown, or it does not authenticate.
  static StatusOr<std::string> Decrypt(const TransitKey& key, std::string_view ciphertext,
                                       std::string_view aad);

 private:
  storage::Backend& storage_;
  Clock& clock_;
};

}  // namespace tresor::engines::transit

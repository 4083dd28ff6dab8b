// KvV1Engine: Vault's unversioned key/value secrets engine (KV version 1),
// built by NewKvEngine (kv_engine.h) for a mount without options version=2.
//
// Each secret is one JSON object stored as-is at its path in the mount's
// storage (inside the barrier): a read is one Get, a write one Put. LIST
// of a folder lists the storage prefix; folders end in '/'.
//
// Responses follow Vault: a read answers the stored object as data, with
// lease_duration from a "ttl" (or "lease") field in it, else Vault's
// default 768h; writes and deletes answer 204; a missing key or an empty
// listing is a bare 404.
//
// Threads: Handle and Exists are safe to call concurrently (each request
// is a single storage call).
#pragma once

#include "engines/logical.h"
#include "storage/backend.h"

namespace tresor::engines::kv {

// Vault's default lease TTL (32 days), reported for secrets without a ttl.
inline constexpr long long kDefaultLeaseSeconds = 2764800;

class KvV1Engine final : public logical::Engine {
 public:
  // storage must outlive the engine.
  explicit KvV1Engine(storage::Backend& storage) : storage_(storage) {}

  StatusOr<logical::Response> Handle(const logical::Request& request) override;
  // Whether a secret is stored at request.path.
  StatusOr<std::optional<bool>> Exists(const logical::Request& request) override;
  // The secret paths stored (every key of the mount is a secret).
  StatusOr<std::optional<std::uint64_t>> CountSecrets() override;

 private:
  StatusOr<logical::Response> Read(const std::string& path, std::chrono::seconds mount_default);
  StatusOr<logical::Response> Write(const std::string& path, const nlohmann::json& data);
  StatusOr<logical::Response> List(const std::string& path);

  storage::Backend& storage_;
};

}  // namespace tresor::engines::kv

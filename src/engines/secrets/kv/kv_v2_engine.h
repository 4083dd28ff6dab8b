// KvV2Engine: Vault's versioned key/value secrets engine (KV version 2),
// built by NewKvEngine (kv_engine.h) for a mount with options version=2.
//
// Endpoints, relative to the mount (see docs/kv.md for request and response
// shapes): config, data/<path>, delete/<path>, undelete/<path>,
// destroy/<path>, metadata/<path> (and LIST metadata/<folder>/),
// subkeys/<path>. Any other path answers Vault's 404 "Invalid path for a
// versioned K/V secrets engine" warning.
//
// Storage (inside the mount's barrier view):
//   config           the mount's Config (kv_config.h), read once then cached
//   records/<path>   a Record (kv_record.h): metadata AND retained versions,
//                    so a read of the latest version is exactly one Get.
// Writes to one path are serialised by a striped lock and read-modify-write
// the record; reads take the stripe shared.
//
// Threads: Handle and Exists are safe to call concurrently.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "engines/logical.h"
#include "engines/secrets/kv/kv_config.h"
#include "engines/secrets/kv/kv_record.h"
#include "storage/backend.h"

namespace tresor::engines::kv {

class KvV2Engine final : public logical::Engine {
 public:
  // storage and clock must outlive the engine.
  KvV2Engine(storage::Backend& storage, Clock& clock);

  StatusOr<logical::Response> Handle(const logical::Request& request) override;
  // data/<path>: a record whose latest version is live; metadata/<path>: a
  // record exists. Other paths: std::nullopt (writes are updates).
  StatusOr<std::optional<bool>> Exists(const logical::Request& request) override;
  // The secret paths stored (one record per secret path, live or deleted).
  StatusOr<std::optional<std::uint64_t>> CountSecrets() override;

 private:
  // One path's record and the storage key it lives at.
  struct Loaded {
    std::string storage_key;
    std::optional<Record> record;  // std::nullopt: no record yet
  };

  // --- routing helpers (kv_v2_engine.cc) ---
  std::shared_mutex& LockFor(std::string_view path);
  // The mount config, from the cache or (first use) from storage.
  StatusOr<Config> LoadConfig();
  // REQUIRES: config_mu_ held.
  StatusOr<Config> LoadConfigLocked();
  // Applies `change` to the current config and stores it, as one step with
  // respect to other config writers; the cache follows storage.
  Status UpdateConfig(const std::function<void(Config&)>& change);
  // The storage key of a secret path's record; InvalidArgument when the
  // path cannot name one (empty, '.' or '..' segments).
  static StatusOr<std::string> RecordKey(std::string_view path);
  // Validates a secret path and reads its record (one Get).
  StatusOr<Loaded> LoadRecord(std::string_view path);
  Status StoreRecord(const Loaded& loaded, const Record& record);
  Nanos Now() const;

  // --- config/ and metadata/ (kv_v2_metadata.cc) ---
  StatusOr<logical::Response> ReadConfig();
  StatusOr<logical::Response> WriteConfig(const logical::Request& request);
  StatusOr<logical::Response> ReadMetadata(std::string_view path);
  StatusOr<logical::Response> WriteMetadata(std::string_view path, const logical::Request& request);
  StatusOr<logical::Response> PatchMetadata(std::string_view path, const logical::Request& request);
  StatusOr<logical::Response> DeleteMetadata(std::string_view path);
  StatusOr<logical::Response> ListMetadata(std::string_view folder);

  // --- data/ and subkeys/ (kv_v2_data.cc) ---
  StatusOr<logical::Response> ReadData(std::string_view path, const logical::Request& request);
  StatusOr<logical::Response> WriteData(std::string_view path, const logical::Request& request);
  StatusOr<logical::Response> PatchData(std::string_view path, const logical::Request& request);
  StatusOr<logical::Response> DeleteLatest(std::string_view path);
  StatusOr<logical::Response> ReadSubkeys(std::string_view path, const logical::Request& request);

  // --- delete/, undelete/, destroy/ (kv_v2_versions.cc) ---
  enum class VersionAction { kDelete, kUndelete, kDestroy };
  StatusOr<logical::Response> ChangeVersions(VersionAction action, std::string_view path,
                                             const logical::Request& request);

  storage::Backend& storage_;
  Clock& clock_;

  static constexpr std::size_t kLockStripes = 64;
  std::array<std::shared_mutex, kLockStripes> path_locks_;

  // Serialises config writes and the first load; guards config_.
  std::mutex config_mu_;
  std::optional<Config> config_;  // GUARDED_BY(config_mu_)
};

// The metadata of one version as Vault reports it inside data/ and
// subkeys/ responses: {created_time, custom_metadata, deletion_time,
// destroyed, version}.
nlohmann::json VersionMetadataJson(const Record& record, std::uint64_t version,
                                   const VersionEntry& entry);

}  // namespace tresor::engines::kv

// Single-path recovery (docs/snapshots.md, "Recover one secret"), after
// Vault Enterprise 1.20's snapshot recovery: a snapshot of this cluster is
// loaded read-only beside the live state (POST sys/storage/raft/
// snapshot-load), a path is read as it was (?read_snapshot_id=) and
// written back into the live state alone (?recover_snapshot_id= or the
// X-Vault-Recover-Snapshot-Id header), everything else untouched.
//
// A loaded snapshot is the verified archive file in the scratch directory
// of the node that loaded it (the active one); nothing of it is held in
// memory. A read scans the archive for the record (memory bounded, time
// proportional to the archive). Records are barrier ciphertext; the caller
// decrypts with the current keyring. As in Vault, one snapshot is loaded at
// a time and it is unloaded 72 hours after it was loaded.
//
// Threads: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::core {

class LoadedSnapshots {
 public:
  static constexpr std::chrono::hours kLifetime{72};

  LoadedSnapshots(Clock& clock, std::string scratch_dir)
      : clock_(clock), scratch_dir_(std::move(scratch_dir)) {}
  ~LoadedSnapshots();  // removes the file

  // Saves and verifies the archive from `in` (checksums, and the sums
  // sealed with this cluster's root key: a snapshot of another cluster is
  // refused). Its description, as GET answers. InvalidArgument for a bad
  // archive or when one is loaded already.
  StatusOr<nlohmann::json> Load(const snapshot::ByteSource& in, const snapshot::SumsSeal& seal);
  std::vector<std::string> List();
  // NotFound when `id` is not loaded (or expired).
  StatusOr<nlohmann::json> Describe(const std::string& id);
  Status Unload(const std::string& id);

  // The stored value of `key` in snapshot `id`; nullopt when it holds none.
  StatusOr<std::optional<std::string>> Read(const std::string& id, const std::string& key);
  // Calls visit(key, stored value) for each record under `prefix`, in
  // order, in one pass over the archive.
  Status ForEachUnder(const std::string& id, const std::string& prefix,
                      const std::function<Status(std::string_view, std::string_view)>& visit);
  // The keys under `prefix` (whole keys, in order), at most `limit`.
  StatusOr<std::vector<std::string>> KeysUnder(const std::string& id, const std::string& prefix,
                                               std::size_t limit);

 private:
  struct Loaded {
    std::string id;
    std::string path;
    snapshot::Meta meta;
    Clock::TimePoint loaded_at;
  };
  // The loaded snapshot named `id`, after unloading an expired one.
  StatusOr<Loaded> Find(const std::string& id);
  void DropExpiredLocked();
  nlohmann::json DescribeLocked(const Loaded& loaded) const;
  Status Scan(const Loaded& loaded,
              const std::function<Status(std::string_view, std::string_view)>& visit);

  Clock& clock_;
  const std::string scratch_dir_;
  std::mutex mutex_;
  std::optional<Loaded> loaded_;  // GUARDED_BY(mutex_)
};

}  // namespace tresor::core

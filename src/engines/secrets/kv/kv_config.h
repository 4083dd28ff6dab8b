// The KV v2 mount's configuration (what config/ reads and writes) and the
// two rules that combine it with a key's own metadata: how many versions to
// keep, and when a new version is deleted by delete_version_after.
//
// Stored as JSON at "config" in the mount's storage:
//   {"max_versions": 0, "cas_required": false, "delete_version_after_s": 0}
// The engine reads it once and caches it (see KvV2Engine).
//
// Threads: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engines/secrets/kv/kv_record.h"

namespace tresor::engines::kv {

inline constexpr std::uint32_t kDefaultMaxVersions = 10;

struct Config {
  // 0: not set, the default of 10 applies.
  std::uint32_t max_versions = 0;
  bool cas_required = false;
  // Seconds; 0: not set; negative: delete_version_after is disabled for
  // every key of the mount, whatever their metadata says (as in Vault).
  std::int64_t delete_version_after_s = 0;
};

std::string EncodeConfig(const Config& config);
// Corruption when the stored bytes are not a config.
StatusOr<Config> DecodeConfig(std::string_view bytes);

// How many versions a key keeps: the smaller of the mount's and the key's
// max_versions where each is set, else the default of 10.
std::uint32_t EffectiveMaxVersions(const Config& config, const Record& record);

// When a version created (or undeleted) at `now` is to be deleted: now plus
// the smaller of the positive delete_version_after values of mount and key;
// std::nullopt when neither is set or the mount disables it.
std::optional<Nanos> ScheduledDeletion(Nanos now, const Config& config, const Record& record);

}  // namespace tresor::engines::kv

// One row of a mount table (a secrets engine or an auth method enabled at a
// path), its stored JSON form, and the rules for mount paths.
//
// Stored inside the barrier as part of "core/mounts" (secrets engines) and
// "core/auth" (auth methods); see mount_table.h. The JSON form uses Vault's
// field names so that an operator reading a decrypted table recognises it.
//
// Who calls it: core/mount_table and the sys/mounts handlers.
// Threads: plain values and stateless functions.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace tresor::core {

// Vault's system-wide lease TTLs: what a mount with no TTL of its own uses.
inline constexpr std::chrono::seconds kSystemDefaultLeaseTtl{768 * 3600};
inline constexpr std::chrono::seconds kSystemMaxLeaseTtl{768 * 3600};

struct MountConfig {
  // 0 = the system default (kSystemDefaultLeaseTtl / kSystemMaxLeaseTtl).
  std::chrono::seconds default_lease_ttl{0};
  std::chrono::seconds max_lease_ttl{0};
};

struct MountEntry {
  // With its trailing '/', relative to the table: "secret/" in the secrets
  // table, "token/" (routed as "auth/token/") in the auth table.
  std::string path;
  std::string type;  // "kv", "cubbyhole", "system", "token"
  std::string description;
  // Names the mount's storage ("logical/<uuid>/" or "auth/<uuid>/"), which
  // stays put when the mount is moved.
  std::string uuid;
  std::string accessor;  // "<type>_<8 hex>", Vault's shape
  std::map<std::string, std::string> options;
  MountConfig config;
  bool local = false;
  bool seal_wrap = false;

  // The TTLs the mount actually grants (the system's where unset).
  std::chrono::seconds EffectiveDefaultLeaseTtl() const;
  std::chrono::seconds EffectiveMaxLeaseTtl() const;
};

// The stored form.
nlohmann::json MountEntryToJson(const MountEntry& entry);
// Corruption when a required field is missing or has the wrong type.
StatusOr<MountEntry> MountEntryFromJson(const nlohmann::json& json);

// How sys/mounts shows an entry (Vault's field set; config shows the stored
// TTLs, 0 when unset, as Vault's list does).
nlohmann::json MountEntryToApi(const MountEntry& entry);

// Turns a user-given mount path into the table's form: no leading '/', one
// trailing '/' ("secret" -> "secret/"). InvalidArgument for an empty path,
// an empty, "." or ".." segment, or a '*' or '+' (which would read as policy
// wildcards).
StatusOr<std::string> NormalizeMountPath(std::string_view path);

}  // namespace tresor::core

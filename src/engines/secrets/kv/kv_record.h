// The KV v2 storage record: one secret path's metadata and every version it
// still retains, kept together in ONE JSON value at "records/<path>" so that
// reading the latest version costs exactly one storage Get. The engine
// read-modify-writes the whole record under a per-path lock; this file only
// knows the format and the rules that act on one record (adding a version,
// pruning, whether a version is live).
//
// Stored JSON (times are integer nanoseconds since the Unix epoch; see
// docs/kv.md for the full description):
//   {"created_ns": 1, "updated_ns": 2, "current_version": 3,
//    "oldest_version": 0, "max_versions": 0, "cas_required": false,
//    "delete_version_after_s": 0, "custom_metadata": {"k": "v"} | null,
//    "versions": {"3": {"created_ns": 2, "deletion_ns": null,
//                       "destroyed": false, "data": {...}}}}
// A destroyed version keeps its entry (as Vault shows it in metadata) but
// loses its "data".
//
// Threads: plain values; callers serialise access to a record.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::engines::kv {

// When a version is created: nanoseconds since the Unix epoch.
using Nanos = std::int64_t;

struct VersionEntry {
  Nanos created_ns = 0;
  // When the version was (or, with delete_version_after, will be) deleted.
  std::optional<Nanos> deletion_ns;
  bool destroyed = false;
  // The secret; null once destroyed.
  nlohmann::json data;

  // Whether the version reads as deleted at `now`: its deletion time has
  // passed. A future deletion time (delete_version_after) is not deleted yet.
  bool DeletedAt(Nanos now) const { return deletion_ns.has_value() && *deletion_ns <= now; }
  // Readable at `now`: neither deleted nor destroyed.
  bool LiveAt(Nanos now) const { return !destroyed && !DeletedAt(now); }
};

struct Record {
  Nanos created_ns = 0;
  Nanos updated_ns = 0;
  std::uint64_t current_version = 0;
  std::uint64_t oldest_version = 0;
  // Per-key settings from metadata/<path>; 0 means "not set".
  std::uint32_t max_versions = 0;
  bool cas_required = false;
  std::int64_t delete_version_after_s = 0;
  // null when never set (Vault prints null), else a string -> string object.
  nlohmann::json custom_metadata;
  std::map<std::uint64_t, VersionEntry> versions;

  // The latest version's entry, or nullptr when it is gone (pruned) or there
  // is none yet (a record created by a metadata write).
  const VersionEntry* Latest() const;
  VersionEntry* Latest();
  const VersionEntry* Find(std::uint64_t version) const;
  VersionEntry* Find(std::uint64_t version);

  // Appends a version created at `now` holding `data`, with its deletion
  // time already set when delete_version_after applies, then drops the
  // versions that fall out of the window of `max_versions` (already
  // resolved by the caller from config and metadata). Mirrors Vault's
  // sliding window, including oldest_version staying 0 until the first
  // prune. Returns the new version number.
  std::uint64_t AddVersion(Nanos now, nlohmann::json data, std::optional<Nanos> deletion_ns,
                           std::uint32_t max_versions);
};

// Serialises a record. InvalidArgument when the data cannot be encoded
// (strings that are not UTF-8).
StatusOr<std::string> EncodeRecord(const Record& record);
// Parses a stored record. Corruption (naming `path`, never the content)
// when it is not one.
StatusOr<Record> DecodeRecord(std::string_view bytes, std::string_view path);

// Formats a time as Vault does (Go's RFC 3339 with nanoseconds, trailing
// zeros of the fraction dropped): "2026-01-01T00:00:01.5Z".
std::string FormatTime(Nanos t);
// Vault's "" for a missing time, else FormatTime.
std::string FormatOptionalTime(const std::optional<Nanos>& t);

}  // namespace tresor::engines::kv

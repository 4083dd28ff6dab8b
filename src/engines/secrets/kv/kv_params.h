// Parsing and validation of the KV request fields that are more than a
// plain type check: version lists, durations, max_versions and
// custom_metadata. Each returns InvalidArgument with a message naming the
// field, so the engine can answer 400 before it changes anything.
//
// Who calls it: the KV v2 handlers. Thread-safe, stateless.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::engines::kv {

// More version numbers than this in one delete/undelete/destroy request is
// refused: no key keeps that many, and the list is held in memory.
inline constexpr std::size_t kMaxVersionsPerRequest = 1000;

// Vault's custom_metadata limits.
inline constexpr std::size_t kMaxCustomMetadataKeys = 64;
inline constexpr std::size_t kMaxCustomMetadataKeyLength = 128;
inline constexpr std::size_t kMaxCustomMetadataValueLength = 512;

// The "versions" field, as Vault's comma-int-slice accepts it: a list of
// integers or of integer strings, or one string "1,2,3". Every entry must be
// a positive version number. An absent or empty field gives an empty list
// (each endpoint words that error itself, as Vault does).
StatusOr<std::vector<std::uint64_t>> ParseVersionList(const nlohmann::json& data);

// A duration field given as integer seconds or a duration string ("1h",
// "30m", "0s"). A leading '-' is accepted only when allow_negative is set
// (the mount config uses a negative value to disable the feature).
StatusOr<std::optional<std::int64_t>> ParseDurationField(const nlohmann::json& data,
                                                         std::string_view name,
                                                         bool allow_negative);

// max_versions: a non-negative integer that fits in 32 bits.
StatusOr<std::optional<std::uint32_t>> ParseMaxVersions(const nlohmann::json& data);

// Validates custom_metadata (an object of string values) against Vault's
// limits and returns it. With allow_nulls (PATCH), null values are kept:
// they mean "remove this key".
StatusOr<nlohmann::json> ParseCustomMetadata(const nlohmann::json& value, bool allow_nulls);

}  // namespace tresor::engines::kv

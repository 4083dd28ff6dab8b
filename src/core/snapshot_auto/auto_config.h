// The configuration of one automated snapshot schedule, as Vault
// Enterprise's sys/storage/raft/snapshot-auto/config/:name takes it
// (docs/snapshots.md, "Automated snapshots"), kept in the barrier at
// core/snapshot-auto/config/<name> (replicated: every node has the
// schedule, and a new active node carries it on).
//
// Threads: values; functions stateless.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "engines/field_reader.h"
#include "engines/logical.h"

namespace tresor::core::snapshot_auto {

inline constexpr char kConfigPrefix[] = "core/snapshot-auto/config/";
inline constexpr char kStatusPrefix[] = "core/snapshot-auto/status/";

struct S3Options {
  std::string bucket;
  std::string region = "us-east-1";
  std::string endpoint;  // host[:port]; empty: AWS's
  bool disable_tls = false;
  bool force_path_style = false;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  bool server_side_encryption = false;  // SSE-S3 (AES256)
  bool enable_kms = false;              // SSE-KMS
  std::string kms_key;
};

struct AutoConfig {
  std::string name;
  std::chrono::seconds interval{0};
  std::int64_t retain = 1;
  std::string path_prefix;
  std::string file_prefix = "tresor-snapshot";
  std::string storage_type;        // "local" or "aws-s3"
  std::int64_t local_max_space = 0;  // bytes; 0: no limit
  S3Options s3;
  // Point-in-time recovery (Tresor's own): every committed write archived
  // beside the snapshots, in segments closed every interval or max bytes.
  bool pitr = false;  // "pitr_enabled"
  std::chrono::seconds pitr_segment_interval{60};
  std::int64_t pitr_segment_max_bytes = 64 << 20;
};
inline constexpr std::int64_t kMinSegmentBytes = 64 << 10;
// The log entries kept for the write archive when it switches the
// replication log on: while no node archives (between an active node's
// death and the next one's start) nothing unarchived may be trimmed.
inline constexpr std::uint64_t kPitrRetainedEntries = 100000;

// A schedule name: 1..128 of [A-Za-z0-9_.-].
Status ValidateName(std::string_view name);

// The config a POST describes (Vault's field names; weak types as Vault's
// framework reads them: "1h" or 3600). Refuses unknown fields, wrong types
// and ranges, and fields of the other storage type, each with a message
// naming the field.
StatusOr<AutoConfig> ParseConfigRequest(const std::string& name, const logical::Request& request);

// A target alone (storage_type, path_prefix, file_prefix and the fields of
// its type), as a point-in-time restore names one; `other_fields` are the
// request's own, left to the caller.
StatusOr<AutoConfig> ParseTargetRequest(const logical::Request& request,
                                        std::span<const char* const> other_fields);
Status ParseTarget(engines::FieldReader& fields, const logical::Request& request,
                   AutoConfig& config);

// What GET answers: every field, the interval in seconds, the secret access
// key never.
nlohmann::json ConfigResponse(const AutoConfig& config);

// The stored form (JSON, in the barrier) and back.
std::string EncodeConfig(const AutoConfig& config);
StatusOr<AutoConfig> DecodeConfig(const std::string& name, std::string_view stored);

}  // namespace tresor::core::snapshot_auto

#include "core/snapshot_auto/auto_config.h"

#include "core/simple_name.h"
#include "engines/field_reader.h"

#include <span>

namespace tresor::core::snapshot_auto {
namespace {

using engines::FieldReader;

constexpr const char* kS3Fields[] = {
    "aws_s3_bucket",          "aws_s3_region",         "aws_s3_endpoint",
    "aws_s3_disable_tls",     "aws_s3_force_path_style", "aws_access_key_id",
    "aws_secret_access_key",  "aws_session_token",     "aws_s3_server_side_encryption",
    "aws_s3_enable_kms",      "aws_s3_kms_key"};
constexpr const char* kTargetFields[] = {"path_prefix", "file_prefix", "storage_type",
                                         "local_max_space"};
constexpr const char* kScheduleFields[] = {"interval", "retain", "pitr_enabled",
                                           "pitr_segment_interval", "pitr_segment_max_bytes"};

bool IsKnown(const std::string& field, std::span<const char* const> extra) {
  for (auto fields : {std::span<const char* const>(kS3Fields),
                      std::span<const char* const>(kTargetFields), extra}) {
    for (const char* f : fields) {
      if (field == f) return true;
    }
  }
  return false;
}

Status RefuseUnknown(const logical::Request& request, std::span<const char* const> extra) {
  if (!request.data.is_object()) return Status::Ok();
  std::string unknown;
  for (const auto& [field, value] : request.data.items()) {
    if (!IsKnown(field, extra)) unknown += (unknown.empty() ? "" : " ") + field;
  }
  if (!unknown.empty()) return InvalidArgumentError("unrecognized parameters: [" + unknown + "]");
  return Status::Ok();
}

template <typename T, typename U>
void Set(T& into, const std::optional<U>& value) {
  if (value.has_value()) into = static_cast<T>(*value);
}

}  // namespace

Status ValidateName(std::string_view name) { return ValidateSimpleName(name, "the config name"); }

StatusOr<AutoConfig> ParseConfigRequest(const std::string& name, const logical::Request& request) {
  TRESOR_RETURN_IF_ERROR(ValidateName(name));
  TRESOR_RETURN_IF_ERROR(RefuseUnknown(request, kScheduleFields));
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  AutoConfig config;
  config.name = name;
  TRESOR_ASSIGN_OR_RETURN(auto interval, fields.Duration("interval"));
  if (!interval.has_value()) return InvalidArgumentError("interval is required");
  if (interval->count() < 1) return InvalidArgumentError("interval must be at least 1s");
  config.interval = *interval;
  TRESOR_ASSIGN_OR_RETURN(auto retain, fields.Int("retain"));
  Set(config.retain, retain);
  if (config.retain < 1) return InvalidArgumentError("retain must be at least 1");
  TRESOR_ASSIGN_OR_RETURN(auto pitr, fields.Bool("pitr_enabled"));
  Set(config.pitr, pitr);
  TRESOR_ASSIGN_OR_RETURN(auto segment_interval, fields.Duration("pitr_segment_interval"));
  Set(config.pitr_segment_interval, segment_interval);
  if (config.pitr_segment_interval.count() < 1) {
    return InvalidArgumentError("pitr_segment_interval must be at least 1s");
  }
  TRESOR_ASSIGN_OR_RETURN(auto segment_bytes, fields.Int("pitr_segment_max_bytes"));
  Set(config.pitr_segment_max_bytes, segment_bytes);
  if (config.pitr_segment_max_bytes < kMinSegmentBytes) {
    return InvalidArgumentError("pitr_segment_max_bytes must be at least " +
                                std::to_string(kMinSegmentBytes));
  }
  TRESOR_RETURN_IF_ERROR(ParseTarget(fields, request, config));
  return config;
}

StatusOr<AutoConfig> ParseTargetRequest(const logical::Request& request,
                                        std::span<const char* const> other_fields) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknown(request, other_fields));
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  AutoConfig config;
  TRESOR_RETURN_IF_ERROR(ParseTarget(fields, request, config));
  return config;
}

Status ParseTarget(engines::FieldReader& fields, const logical::Request& request,
                   AutoConfig& config) {
  TRESOR_ASSIGN_OR_RETURN(auto storage_type, fields.String("storage_type"));
  if (!storage_type.has_value()) return InvalidArgumentError("storage_type is required");
  if (*storage_type != "local" && *storage_type != "aws-s3") {
    return InvalidArgumentError("storage_type must be \"local\" or \"aws-s3\" (Tresor has no "
                                "azure-blob or google-gcs target yet)");
  }
  config.storage_type = *storage_type;
  TRESOR_ASSIGN_OR_RETURN(auto path_prefix, fields.String("path_prefix"));
  Set(config.path_prefix, path_prefix);
  TRESOR_ASSIGN_OR_RETURN(auto file_prefix, fields.String("file_prefix"));
  Set(config.file_prefix, file_prefix);
  if (config.file_prefix.empty() || config.file_prefix.find('/') != std::string::npos) {
    return InvalidArgumentError("file_prefix must be a non-empty name without '/'");
  }
  TRESOR_ASSIGN_OR_RETURN(auto max_space, fields.Int("local_max_space"));
  Set(config.local_max_space, max_space);
  if (config.local_max_space < 0) return InvalidArgumentError("local_max_space must be >= 0");

  S3Options& s3 = config.s3;
  TRESOR_ASSIGN_OR_RETURN(auto bucket, fields.String("aws_s3_bucket"));
  TRESOR_ASSIGN_OR_RETURN(auto region, fields.String("aws_s3_region"));
  TRESOR_ASSIGN_OR_RETURN(auto endpoint, fields.String("aws_s3_endpoint"));
  TRESOR_ASSIGN_OR_RETURN(auto disable_tls, fields.Bool("aws_s3_disable_tls"));
  TRESOR_ASSIGN_OR_RETURN(auto path_style, fields.Bool("aws_s3_force_path_style"));
  TRESOR_ASSIGN_OR_RETURN(auto key_id, fields.String("aws_access_key_id"));
  TRESOR_ASSIGN_OR_RETURN(auto secret, fields.String("aws_secret_access_key"));
  TRESOR_ASSIGN_OR_RETURN(auto session, fields.String("aws_session_token"));
  TRESOR_ASSIGN_OR_RETURN(auto sse, fields.Bool("aws_s3_server_side_encryption"));
  TRESOR_ASSIGN_OR_RETURN(auto kms, fields.Bool("aws_s3_enable_kms"));
  TRESOR_ASSIGN_OR_RETURN(auto kms_key, fields.String("aws_s3_kms_key"));
  if (config.storage_type == "local") {
    if (config.path_prefix.empty() || config.path_prefix.front() != '/') {
      return InvalidArgumentError("path_prefix must be an absolute directory for storage_type "
                                  "local");
    }
    for (const char* field : kS3Fields) {
      if (request.data.is_object() && request.data.contains(field)) {
        return InvalidArgumentError(std::string(field) + " is for storage_type aws-s3");
      }
    }
    return Status::Ok();
  }
  if (config.local_max_space != 0) {
    return InvalidArgumentError("local_max_space is for storage_type local");
  }
  if (!bucket.has_value() || bucket->empty()) {
    return InvalidArgumentError("aws_s3_bucket is required for storage_type aws-s3");
  }
  s3.bucket = *bucket;
  Set(s3.region, region);
  Set(s3.endpoint, endpoint);
  Set(s3.disable_tls, disable_tls);
  Set(s3.force_path_style, path_style);
  Set(s3.access_key_id, key_id);
  Set(s3.secret_access_key, secret);
  Set(s3.session_token, session);
  Set(s3.server_side_encryption, sse);
  Set(s3.enable_kms, kms);
  Set(s3.kms_key, kms_key);
  if (s3.access_key_id.empty() != s3.secret_access_key.empty()) {
    return InvalidArgumentError(
        "aws_access_key_id and aws_secret_access_key are given together (or neither, to use "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the server's environment)");
  }
  if (!s3.kms_key.empty() && !s3.enable_kms) {
    return InvalidArgumentError("aws_s3_kms_key needs aws_s3_enable_kms=true");
  }
  if (s3.enable_kms && s3.server_side_encryption) {
    return InvalidArgumentError(
        "aws_s3_server_side_encryption (SSE-S3) and aws_s3_enable_kms (SSE-KMS) exclude each "
        "other");
  }
  if (s3.endpoint.find("://") != std::string::npos) {
    return InvalidArgumentError("aws_s3_endpoint is host[:port]; use aws_s3_disable_tls for "
                                "plain HTTP");
  }
  return Status::Ok();
}

nlohmann::json ConfigResponse(const AutoConfig& c) {
  nlohmann::json out = {{"interval", c.interval.count()},
                        {"retain", c.retain},
                        {"path_prefix", c.path_prefix},
                        {"file_prefix", c.file_prefix},
                        {"storage_type", c.storage_type},
                        {"pitr_enabled", c.pitr},
                        {"pitr_segment_interval", c.pitr_segment_interval.count()},
                        {"pitr_segment_max_bytes", c.pitr_segment_max_bytes}};
  if (c.storage_type == "local") {
    out["local_max_space"] = c.local_max_space;
    return out;
  }
  out["aws_s3_bucket"] = c.s3.bucket;
  out["aws_s3_region"] = c.s3.region;
  out["aws_s3_endpoint"] = c.s3.endpoint;
  out["aws_s3_disable_tls"] = c.s3.disable_tls;
  out["aws_s3_force_path_style"] = c.s3.force_path_style;
  out["aws_access_key_id"] = c.s3.access_key_id;
  out["aws_s3_server_side_encryption"] = c.s3.server_side_encryption;
  out["aws_s3_enable_kms"] = c.s3.enable_kms;
  out["aws_s3_kms_key"] = c.s3.kms_key;
  return out;
}

std::string EncodeConfig(const AutoConfig& c) {
  nlohmann::json out = ConfigResponse(c);
  if (c.storage_type == "aws-s3") {
    out["aws_secret_access_key"] = c.s3.secret_access_key;
    out["aws_session_token"] = c.s3.session_token;
  }
  return out.dump();
}

StatusOr<AutoConfig> DecodeConfig(const std::string& name, std::string_view stored) {
  nlohmann::json j = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return CorruptionError("snapshot-auto config \"" + name + "\" is malformed");
  AutoConfig c;
  c.name = name;
  c.interval = std::chrono::seconds(j.value("interval", std::int64_t{0}));
  c.retain = j.value("retain", std::int64_t{1});
  c.path_prefix = j.value("path_prefix", "");
  c.file_prefix = j.value("file_prefix", "tresor-snapshot");
  c.storage_type = j.value("storage_type", "");
  c.local_max_space = j.value("local_max_space", std::int64_t{0});
  c.pitr = j.value("pitr_enabled", false);
  c.pitr_segment_interval =
      std::chrono::seconds(j.value("pitr_segment_interval", c.pitr_segment_interval.count()));
  c.pitr_segment_max_bytes = j.value("pitr_segment_max_bytes", c.pitr_segment_max_bytes);
  c.s3.bucket = j.value("aws_s3_bucket", "");
  c.s3.region = j.value("aws_s3_region", "us-east-1");
  c.s3.endpoint = j.value("aws_s3_endpoint", "");
  c.s3.disable_tls = j.value("aws_s3_disable_tls", false);
  c.s3.force_path_style = j.value("aws_s3_force_path_style", false);
  c.s3.access_key_id = j.value("aws_access_key_id", "");
  c.s3.secret_access_key = j.value("aws_secret_access_key", "");
  c.s3.session_token = j.value("aws_session_token", "");
  c.s3.server_side_encryption = j.value("aws_s3_server_side_encryption", false);
  c.s3.enable_kms = j.value("aws_s3_enable_kms", false);
  c.s3.kms_key = j.value("aws_s3_kms_key", "");
  if (c.interval.count() < 1) {
    return CorruptionError("snapshot-auto config \"" + name + "\" has no interval");
  }
  return c;
}

}  // namespace tresor::core::snapshot_auto

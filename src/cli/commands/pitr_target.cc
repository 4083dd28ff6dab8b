#include "cli/commands/pitr_target.h"

#include <cstdlib>
#include <filesystem>

#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

constexpr char kRestorePath[] = "/v1/sys/storage/raft/snapshot-pitr/restore";
constexpr char kInspectPath[] = "/v1/sys/storage/raft/snapshot-pitr/inspect";

// The target's fields, as a snapshot-auto config names them.
StatusOr<Json> TargetBody(const std::string& target, const PitrTargetFlags& flags) {
  Json body = Json::object();
  if (!flags.file_prefix.empty()) body["file_prefix"] = flags.file_prefix;
  if (target.rfind("s3://", 0) == 0) {
    std::string rest = target.substr(5);
    const std::size_t slash = rest.find('/');
    body["storage_type"] = "aws-s3";
    body["aws_s3_bucket"] = rest.substr(0, slash);
    if (slash != std::string::npos) body["path_prefix"] = rest.substr(slash + 1);
    if (!flags.s3_endpoint.empty()) body["aws_s3_endpoint"] = flags.s3_endpoint;
    if (!flags.s3_region.empty()) body["aws_s3_region"] = flags.s3_region;
    if (flags.s3_disable_tls) body["aws_s3_disable_tls"] = true;
    if (flags.s3_force_path_style) body["aws_s3_force_path_style"] = true;
    // As the AWS tools: credentials from this environment when it has
    // them, else the server's.
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    if (id != nullptr && secret != nullptr) {
      body["aws_access_key_id"] = id;
      body["aws_secret_access_key"] = secret;
      if (token != nullptr) body["aws_session_token"] = token;
    }
    return body;
  }
  if (!flags.s3_endpoint.empty() || !flags.s3_region.empty() || flags.s3_disable_tls ||
      flags.s3_force_path_style) {
    return InvalidArgumentError("the -s3-* flags are for an s3://bucket/prefix target");
  }
  body["storage_type"] = "local";
  body["path_prefix"] = std::filesystem::absolute(target).lexically_normal().string();
  return body;
}

std::string Cell(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace

void PitrTargetFlags::Define(FlagSet& flags) {
  flags.String("file-prefix", &file_prefix, "",
               "The schedule's file_prefix in a target (default tresor-snapshot).");
  flags.String("s3-endpoint", &s3_endpoint, "", "An s3:// target's endpoint (host[:port]).");
  flags.String("s3-region", &s3_region, "", "An s3:// target's region (default us-east-1).");
  flags.Bool("s3-disable-tls", &s3_disable_tls, false, "Reach an s3:// target over plain HTTP.");
  flags.Bool("s3-force-path-style", &s3_force_path_style, false,
             "Address an s3:// target's bucket in the path, not the host name.");
}

bool IsPitrTarget(std::string_view arg) {
  std::error_code ec;
  return arg.starts_with("s3://") || arg.ends_with('/') ||
         std::filesystem::is_directory(std::string(arg), ec);
}

int RunPitrRestore(ApiContext& context, const std::string& target, const PitrTargetFlags& flags,
                   const std::string& to, bool force) {
  StatusOr<Json> body = TargetBody(target, flags);
  if (!body.ok()) return UsageFailure(context.io, body.status().message());
  (*body)["to"] = to;
  if (force) (*body)["force"] = true;
  StatusOr<Json> restored = context.client.Call("POST", kRestorePath, *body);
  if (!restored.ok()) return ApiFailure(context.io, "restoring to " + to, restored.status());
  const Json data = DataOf(*restored);
  context.io.out << "Restored " << data.value("snapshot", std::string()) << " and replayed "
                 << data.value("replayed_writes", 0) << " archived writes (the last written at "
                 << (data.value("last_write_time", std::string()).empty()
                         ? std::string("-")
                         : data.value("last_write_time", std::string()))
                 << ")\n";
  StatusOr<Json> seal = context.client.Call("GET", "/v1/sys/seal-status");
  if (seal.ok() && seal->value("sealed", false)) {
    context.io.err << "The server sealed itself: unseal it with the keys of the cluster the "
                      "archive came from.\n";
  }
  return kExitOk;
}

int RunPitrInspect(ApiContext& context, const std::string& target, const PitrTargetFlags& flags) {
  StatusOr<Json> body = TargetBody(target, flags);
  if (!body.ok()) return UsageFailure(context.io, body.status().message());
  StatusOr<Json> covered = context.client.Call("POST", kInspectPath, *body);
  if (!covered.ok()) return ApiFailure(context.io, "inspecting " + target, covered.status());
  const Json data = DataOf(*covered);
  if (context.format == "json") {
    context.io.out << FormatJson(data);
    return kExitOk;
  }
  std::vector<Row> rows = {{"Key", "Value"}};
  for (const char* key : {"target", "snapshots", "oldest_snapshot", "newest_snapshot", "segments",
                          "archived_writes", "first_write_time", "first_write_raft_index",
                          "covered_until", "covered_until_raft_index"}) {
    if (data.contains(key)) rows.push_back({key, Cell(data[key])});
  }
  context.io.out << TableOutput(rows);
  const Json& gaps = data.value("gaps", Json::array());
  if (gaps.empty()) {
    context.io.out << "\nNo gaps: every write from the first archived one is there.\n";
    return kExitOk;
  }
  std::vector<Row> gap_rows = {{"Gap After Log Index", "Next Log Index", "From", "To", "Segment"}};
  for (const Json& gap : gaps) {
    gap_rows.push_back({Cell(gap["after_log_index"]), Cell(gap["next_log_index"]),
                        Cell(gap["from"]), Cell(gap["to"]), Cell(gap["segment"])});
  }
  context.io.out << "\n" << TableOutput(gap_rows);
  return kExitOk;
}

}  // namespace tresor::cli

// The point-in-time side of `tresor operator raft snapshot restore -to=...`
// and `tresor operator raft snapshot inspect <target>` (docs/snapshots.md,
// "Point-in-time recovery"): a target is where a snapshot-auto schedule
// keeps its snapshots and write archive, named as a directory on the
// server's machine or s3://bucket/prefix; the server reads it
// (sys/storage/raft/snapshot-pitr/restore and .../inspect).
#pragma once

#include <string>
#include <string_view>

#include "cli/commands/api_command.h"

namespace tresor::cli {

struct PitrTargetFlags {
  std::string file_prefix;
  std::string s3_endpoint;
  std::string s3_region;
  bool s3_disable_tls = false;
  bool s3_force_path_style = false;
  void Define(FlagSet& flags);
};

// Whether `arg` names a target rather than a snapshot file: s3://..., a
// path ending in '/', or a directory here.
bool IsPitrTarget(std::string_view arg);

// POST sys/storage/raft/snapshot-pitr/restore; prints what was restored.
int RunPitrRestore(ApiContext& context, const std::string& target, const PitrTargetFlags& flags,
                   const std::string& to, bool force);
// POST sys/storage/raft/snapshot-pitr/inspect; prints what the target covers.
int RunPitrInspect(ApiContext& context, const std::string& target, const PitrTargetFlags& flags);

}  // namespace tresor::cli

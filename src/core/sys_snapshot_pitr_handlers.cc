// sys/storage/raft/snapshot-pitr/inspect and .../restore: what a schedule's
// target covers, and a restore to a point in time or a raft index
// (core/snapshot_auto/pitr_restore.h, docs/snapshots.md). The target is
// named by the fields of a snapshot-auto config, so that a new cluster can
// restore from the target of an old one.
#include <spdlog/spdlog.h>

#include <optional>

#include "core/snapshot_auto/pitr_restore.h"
#include "core/sys_snapshot_auto_handlers.h"
#include "engines/field_reader.h"
#include "snapshot/sums_seal.h"

namespace tresor::core {
namespace {

constexpr const char* kInspectFields[] = {"force"};
constexpr const char* kRestoreFields[] = {"to", "force"};

StatusOr<bool> ForceField(const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(engines::FieldReader fields, engines::FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(auto force, fields.Bool("force"));
  return force.value_or(false);
}

StatusOr<Response> HandlePitrInspect(SysContext ctx, const std::string& scratch_dir,
                                 const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(snapshot_auto::AutoConfig target,
                          snapshot_auto::ParseTargetRequest(req, kInspectFields));
  TRESOR_ASSIGN_OR_RETURN(bool force, ForceField(req));
  if (ctx.lifecycle.Sealed() && !force) return SealedError();
  // The sealed sums are this cluster's; another's target is read with force.
  std::optional<snapshot::RootKeySumsSeal> seal;
  if (!force) seal.emplace(ctx.lifecycle.RootKeyBarrier());
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json covered,
                          snapshot_auto::InspectTarget(target, scratch_dir,
                                                       seal ? &*seal : nullptr));
  return Response::Data(std::move(covered));
}

StatusOr<Response> HandlePitrRestore(SysContext ctx, const std::string& scratch_dir,
                                 const Request& req) {
  storage::Snapshotter* snapshotter = ctx.ha.snapshotter();
  storage::ReplicationLog* log = ctx.ha.replication_log();
  if (snapshotter == nullptr || log == nullptr) {
    return InvalidArgumentError("point-in-time restores need integrated storage (storage \"raft\")");
  }
  TRESOR_ASSIGN_OR_RETURN(snapshot_auto::AutoConfig target,
                          snapshot_auto::ParseTargetRequest(req, kRestoreFields));
  TRESOR_ASSIGN_OR_RETURN(engines::FieldReader fields, engines::FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(auto to, fields.String("to"));
  if (!to.has_value() || to->empty()) {
    return InvalidArgumentError("to is required: an RFC 3339 time or a raft index");
  }
  TRESOR_ASSIGN_OR_RETURN(snapshot_auto::PitrPoint point, snapshot_auto::ParsePitrPoint(*to));
  TRESOR_ASSIGN_OR_RETURN(bool force, ForceField(req));
  TRESOR_ASSIGN_OR_RETURN(std::unique_lock<std::mutex> lock,
                          BeginWholeStateRestore(ctx, force, "force=true"));
  std::optional<snapshot::RootKeySumsSeal> seal;
  if (!force) seal.emplace(ctx.lifecycle.RootKeyBarrier());
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json restored,
                          snapshot_auto::RestoreToPoint(target, point, *snapshotter,
                                                        *log, seal ? &*seal : nullptr,
                                                        scratch_dir));
  // Keys and caches of the new state, or sealed when this node's keys do
  // not open it.
  ctx.ha.ReloadIfStateReplaced();
  return Response::Data(std::move(restored));
}

}  // namespace

void RegisterSnapshotPitrHandlers(SysRouter& router, SysContext ctx, std::string scratch_dir) {
  using std::placeholders::_1;
  router.Add("sys/storage/raft/snapshot-pitr/inspect",
             {.sudo = true,
              .handlers = {{Operation::kUpdate, std::bind(HandlePitrInspect, ctx, scratch_dir, _1)}}});
  router.Add("sys/storage/raft/snapshot-pitr/restore",
             {.sudo = true,
              .open_until_initialized = true,
              .handlers = {{Operation::kUpdate, std::bind(HandlePitrRestore, ctx, scratch_dir, _1)}}});
}

}  // namespace tresor::core

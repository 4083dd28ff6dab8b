// sys/storage/raft/snapshot (GET: save, POST/PUT: restore) and
// sys/storage/raft/snapshot-force (restore of another cluster's snapshot,
// or into an uninitialised node). The archive is snapshot/'s
// (docs/snapshot-format.md); what a restore keeps and why is in
// docs/snapshots.md.
#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "core/cluster_local_keys.h"
#include "core/snapshot_paths.h"
#include "core/snapshot_stage.h"
#include "core/sys_handlers.h"
#include "snapshot/archive_reader.h"
#include "snapshot/archive_writer.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"
#include "storage/cluster_membership.h"

namespace tresor::core {
namespace {


StatusOr<storage::Snapshotter*> RequireSnapshotter(SysContext ctx) {
  storage::Snapshotter* snapshotter = ctx.ha.snapshotter();
  if (snapshotter == nullptr) {
    return InvalidArgumentError(
        "snapshots need integrated storage (storage \"raft\"); for a server on file storage, "
        "stop it and use `tresor operator backup save|restore`");
  }
  return snapshotter;
}

// The uploaded archive, read as it arrives (engines/raw_body.h).
snapshot::ByteSource BodySource(const logical::RawBody& body) {
  return [&body](char* buf, std::size_t cap) { return body.Read(buf, cap); };
}

// The error for an archive that did not verify; nothing has changed.
Status Refused(const Status& why, bool force) {
  std::string message = "snapshot refused, nothing was changed: " + why.message();
  if (why.code() == StatusCode::kPermissionDenied && !force) {
    message +=
        ". If it really is a snapshot of another cluster, restore it with snapshot-force "
        "(`tresor operator raft snapshot restore -force`); this node then seals itself and "
        "unseals with that cluster's keys";
  }
  if (why.code() == StatusCode::kIOError) return IOError(message);
  return InvalidArgumentError(message);
}

StatusOr<Response> HandleSave(SysContext ctx, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(storage::Snapshotter * snapshotter, RequireSnapshotter(ctx));
  if (ctx.lifecycle.Sealed()) return SealedError();  // also before initialisation
  const bool stale = StaleSnapshotRead(req);
  if (!ctx.ha.IsActive() && !stale) {
    return UnavailableError(
        "this node is a standby: ask the active node, or add ?stale=true to save this node's "
        "own copy of the state (how far behind it may be is in the X-Tresor-Last-Contact "
        "header)");
  }
  TRESOR_ASSIGN_OR_RETURN(SealStatus seal_status, ctx.lifecycle.GetSealStatus());
  TRESOR_ASSIGN_OR_RETURN(barrier::KeyStatus key_status, ctx.lifecycle.KeyStatus());
  // Opened here, so the snapshot is the state when the request arrived.
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<storage::Snapshotter::View> view,
                          snapshotter->OpenView());
  snapshot::Meta meta;
  meta.index = view->index();
  meta.term = view->term();
  meta.id = snapshot::NewSnapshotId(meta.term, meta.index, ctx.clock.Now());
  meta.created_at = FormatRfc3339(ctx.clock.Now());
  meta.cluster_id = seal_status.cluster_id;
  meta.keyring_term = key_status.term;

  Response response;
  response.content_type = "application/gzip";
  response.headers["X-Tresor-Snapshot-Index"] = std::to_string(meta.index);
  if (!ctx.ha.IsActive() && ctx.ha.cluster() != nullptr) {
    storage::ClusterStatus status = ctx.ha.cluster()->GetStatus();
    bool known = status.leader_seen_at != std::chrono::steady_clock::time_point{};
    auto since = std::chrono::steady_clock::now() - status.leader_seen_at;
    response.headers["X-Tresor-Known-Leader"] = status.leader_id != 0 ? "true" : "false";
    response.headers["X-Tresor-Last-Contact"] =
        known ? std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(since).count())
              : "-1";
  }
  const barrier::AesGcmBarrier& barrier = ctx.lifecycle.RootKeyBarrier();
  response.body_stream = [view, meta, &barrier](const snapshot::ByteSink& write) {
    snapshot::RootKeySumsSeal seal(barrier);
    return snapshot::WriteArchive(
        meta, [&view](const snapshot::RecordVisitor& visit) { return view->ForEach(visit); },
        seal, write);
  };
  spdlog::info("snapshot: saving index {} term {}{}", meta.index, meta.term,
               stale ? " (stale read from a standby)" : "");
  return response;
}

StatusOr<Response> HandleRestore(SysContext ctx, bool force, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(storage::Snapshotter * snapshotter, RequireSnapshotter(ctx));
  if (req.raw_body == nullptr || req.raw_body->empty()) {
    return InvalidArgumentError(
        "send the snapshot file as the request body (Content-Type: application/octet-stream)");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_lock<std::mutex> lock,
                          BeginWholeStateRestore(ctx, force, "snapshot-force"));

  std::optional<snapshot::RootKeySumsSeal> seal;
  if (!force) seal.emplace(ctx.lifecycle.RootKeyBarrier());

  // 1. One pass over the archive stages its records through raft on every
  //    node, where no reader sees them, while the archive is verified
  //    (every record one storage could hold, then the checksums and their
  //    seal, which come last). Anything wrong aborts the staging and the
  //    state is exactly as it was.
  bool storage_refused = false;
  StatusOr<StagedArchive> staged =
      StageArchive(*snapshotter, BodySource(*req.raw_body), seal ? &*seal : nullptr,
                   &storage_refused);
  if (!staged.ok()) return storage_refused ? staged.status() : Refused(staged.status(), force);
  const snapshot::Meta& meta = staged->meta;
  std::unique_ptr<storage::Snapshotter::Restore>& restore = staged->restore;
  const std::uint64_t records = staged->records;
  // 2. One entry makes the staged records the state, on every node.
  TRESOR_RETURN_IF_ERROR(restore->Commit(ClusterLocalPrefixes()));
  spdlog::warn("snapshot: restored {} ({} records, index {}, cluster {}){}", meta.id, records,
               meta.index, meta.cluster_id, force ? " with force" : "");

  // 3. Keys and caches of the new state, or sealed when this node's keys
  //    do not open it.
  ctx.ha.ReloadIfStateReplaced();
  return Response::Empty();
}

}  // namespace

StatusOr<std::unique_lock<std::mutex>> BeginWholeStateRestore(SysContext ctx, bool force,
                                                              std::string_view how_to_force) {
  TRESOR_ASSIGN_OR_RETURN(bool initialized, ctx.lifecycle.Initialized());
  if (!initialized && !force) {
    return InvalidArgumentError(
        "this server is not initialised, so it has no keys to check the snapshot against: "
        "restore with " + std::string(how_to_force) +
        " (`tresor operator raft snapshot restore -force`)");
  }
  if (initialized && ctx.lifecycle.Sealed()) return SealedError();
  if (initialized && !ctx.ha.IsActive()) {
    return UnavailableError("only the active node restores a snapshot; send it there");
  }
  std::unique_lock lock(ctx.restore_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    return FailedPreconditionError("another snapshot restore is in progress on this node");
  }
  return lock;
}

void RegisterSnapshotHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  // Both open until initialised, so that a restore into a new node gets a
  // clear answer: snapshot-force, and no token needed yet.
  router.Add(std::string(kSnapshotPath),
             {.sudo = true,
              .open_until_initialized = true,
              .handlers = {{Operation::kRead, std::bind(HandleSave, ctx, _1)},
                           {Operation::kUpdate,
                            std::bind(HandleRestore, ctx, false, _1)}}});
  router.Add(std::string(kSnapshotForcePath),
             {.sudo = true,
              .open_until_initialized = true,
              .handlers = {{Operation::kUpdate,
                            std::bind(HandleRestore, ctx, true, _1)}}});
}

}  // namespace tresor::core

// sys/storage/raft/snapshot-auto/* (docs/snapshots.md, "Automated
// snapshots") and sys/storage/raft/snapshot-pitr/* ("Point-in-time
// recovery").
#pragma once

#include <string>

#include "core/snapshot_auto/auto_snapshotter.h"
#include "core/snapshot_auto/write_archiver.h"
#include "core/snapshot_load.h"
#include "core/sys_handlers.h"
#include "core/sys_router.h"

namespace tresor::core {

void RegisterSnapshotAutoHandlers(SysRouter& router,
                                  snapshot_auto::AutoSnapshotter& auto_snapshots,
                                  snapshot_auto::WriteArchiver& archiver);

// sys/storage/raft/snapshot-pitr/inspect and .../restore (Tresor's own:
// core/snapshot_auto/pitr_restore.h).
void RegisterSnapshotPitrHandlers(SysRouter& router, SysContext ctx, std::string scratch_dir);

// sys/storage/raft/snapshot-load (POST: load, LIST) and .../:id (GET,
// DELETE): the loaded snapshot of single-path recovery (core/snapshot_load.h).
void RegisterSnapshotLoadHandlers(SysRouter& router, SysContext ctx, LoadedSnapshots& loaded);

}  // namespace tresor::core

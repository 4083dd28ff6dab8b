// sys/storage/raft/snapshot-auto/* (docs/snapshots.md, "Automated
// snapshots").
#pragma once

#include "core/snapshot_auto/auto_snapshotter.h"
#include "core/sys_router.h"

namespace tresor::core {

void RegisterSnapshotAutoHandlers(SysRouter& router,
                                  snapshot_auto::AutoSnapshotter& auto_snapshots);

}  // namespace tresor::core

// Staging a snapshot archive for a whole-state restore: one pass over the
// archive stages its records through the storage (on every node, where no
// reader sees them) while the archive is verified. Shared by the snapshot
// restore endpoints (core/sys_snapshot_handlers.cc) and the point-in-time
// restore (core/snapshot_auto/pitr_restore.h), which replays archived
// writes onto the staged records before committing.
//
// Threads: stateless.
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"
#include "storage/snapshotter.h"

namespace tresor::core {

struct StagedArchive {
  snapshot::Meta meta;
  std::uint64_t records = 0;
  std::unique_ptr<storage::Snapshotter::Restore> restore;  // not committed
};

// Stages every record but the cluster-local ones (cluster_local_keys.h).
// The restore begins once meta.json has been read, so a file that is not
// an archive begins none. On error nothing is staged any more; `storage_refused`
// tells the storage's own refusal (a standby) from a bad archive.
StatusOr<StagedArchive> StageArchive(storage::Snapshotter& snapshotter,
                                     const snapshot::ByteSource& in,
                                     const snapshot::SumsSeal* seal, bool* storage_refused);

}  // namespace tresor::core

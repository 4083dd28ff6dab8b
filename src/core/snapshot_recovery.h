// Requests that name a loaded snapshot (core/snapshot_load.h), as Vault
// Enterprise 1.20's snapshot recovery takes them on a KV version 1 mount:
//   GET|LIST <path>?read_snapshot_id=ID       the path as it was in the
//                                             snapshot (read or list)
//   PUT|POST|RECOVER <path>?recover_snapshot_id=ID (or the header
//   X-Vault-Recover-Snapshot-Id), optionally X-Vault-Recover-Source-Path
//                                             the path's secret as it was
//                                             (from the source path, in the
//                                             same mount), written back;
//                                             nothing else changes
// A path ending in '/' recovers every secret under it (Tresor's own).
// The policy decides as for a read, a list, or a write of the path.
//
// Threads: stateless.
#pragma once

#include <optional>
#include <string>

#include "barrier/barrier.h"
#include "core/mount_table.h"
#include "core/policy/acl.h"
#include "core/request.h"
#include "core/snapshot_load.h"

namespace tresor::core {

inline constexpr char kReadSnapshotParam[] = "read_snapshot_id";
inline constexpr char kRecoverSnapshotParam[] = "recover_snapshot_id";
inline constexpr char kRecoverSourceParam[] = "recover_source_path";

// Whether the request names a loaded snapshot.
bool NamesLoadedSnapshot(const Request& request);

// Answers such a request on `mount` (request.path relative to it,
// full_path the whole one).
StatusOr<Response> HandleSnapshotRecovery(const Request& request, const std::string& full_path,
                                          const Mount& mount, const policy::Acl& acl,
                                          LoadedSnapshots& loaded,
                                          const barrier::AesGcmBarrier& barrier);

}  // namespace tresor::core

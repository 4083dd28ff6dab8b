// The snapshot endpoints' paths and the questions http/ and HA ask about
// them before a handler runs (sys_snapshot_handlers.cc has the handlers):
// a restore's body is a raw archive of any size, a save streams its answer,
// so a standby redirects both rather than forward them, unless a save asks
// for this node's own (stale) state.
//
// Threads: pure functions.
#pragma once

#include <string_view>

#include "core/request.h"

namespace tresor::core {

inline constexpr std::string_view kSnapshotPath = "sys/storage/raft/snapshot";
inline constexpr std::string_view kSnapshotForcePath = "sys/storage/raft/snapshot-force";
inline constexpr std::string_view kSnapshotLoadPath = "sys/storage/raft/snapshot-load";

// A restore or a load (core/snapshot_load.h): its body is the archive,
// taken raw (RequestHandler::WantsRawBody).
inline bool TakesSnapshotBody(std::string_view method, std::string_view path) {
  return (method == "POST" || method == "PUT") &&
         (path == kSnapshotPath || path == kSnapshotForcePath || path == kSnapshotLoadPath);
}

// GET sys/storage/raft/snapshot?stale=true: any unsealed node answers with
// its own state (Consul's stale mode), so a cluster without a leader can
// still be backed up.
inline bool StaleSnapshotRead(const Request& request) {
  if (request.operation != Operation::kRead || request.path != kSnapshotPath) return false;
  auto stale = request.query.find("stale");
  return stale != request.query.end() && (stale->second == "true" || stale->second == "1");
}

// A save that a standby redirects to the active node (307), as Vault does.
inline bool IsRedirectedSnapshotSave(const Request& request) {
  return request.operation == Operation::kRead && request.path == kSnapshotPath &&
         !StaleSnapshotRead(request);
}

}  // namespace tresor::core

// sys/storage/raft/snapshot-load (POST: load a snapshot of this cluster,
// its body the archive; LIST) and sys/storage/raft/snapshot-load/:id (GET,
// DELETE: unload), as Vault Enterprise 1.20's snapshot recovery API
// (core/snapshot_load.h; the reads and recoveries are in
// core/snapshot_recovery.h).
#include "core/snapshot_paths.h"
#include "core/sys_snapshot_auto_handlers.h"
#include "snapshot/sums_seal.h"

namespace tresor::core {
namespace {

StatusOr<Response> HandleLoad(SysContext ctx, LoadedSnapshots& loaded, const Request& req) {
  if (req.raw_body == nullptr || req.raw_body->empty()) {
    return InvalidArgumentError(
        "send the snapshot file as the request body (Content-Type: application/octet-stream)");
  }
  if (!ctx.ha.IsActive()) {
    return UnavailableError("only the active node loads a snapshot; send it there");
  }
  snapshot::RootKeySumsSeal seal(ctx.lifecycle.RootKeyBarrier());
  const logical::RawBody& body = *req.raw_body;
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json described,
                          loaded.Load([&body](char* buf, std::size_t cap) {
                            return body.Read(buf, cap);
                          },
                                      seal));
  return Response::Data(std::move(described));
}

StatusOr<Response> HandleLoadedList(LoadedSnapshots& loaded, const Request&) {
  std::vector<std::string> ids = loaded.List();
  if (ids.empty()) return NotFoundError("");
  return Response::Data({{"keys", ids}});
}

StatusOr<Response> HandleLoadedRead(LoadedSnapshots& loaded, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json described,
                          loaded.Describe(req.path.substr(kSnapshotLoadPath.size() + 1)));
  return Response::Data(std::move(described));
}

StatusOr<Response> HandleUnload(LoadedSnapshots& loaded, const Request& req) {
  TRESOR_RETURN_IF_ERROR(loaded.Unload(req.path.substr(kSnapshotLoadPath.size() + 1)));
  return Response::Empty();
}

}  // namespace

void RegisterSnapshotLoadHandlers(SysRouter& router, SysContext ctx, LoadedSnapshots& loaded) {
  using std::placeholders::_1;
  router.Add(std::string(kSnapshotLoadPath),
             {.sudo = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleLoad, ctx, std::ref(loaded), _1)},
                           {Operation::kList,
                            std::bind(HandleLoadedList, std::ref(loaded), _1)}}});
  router.AddPrefix(std::string(kSnapshotLoadPath) + "/",
                   {.sudo = true,
                    .handlers = {{Operation::kRead,
                                  std::bind(HandleLoadedRead, std::ref(loaded), _1)},
                                 {Operation::kDelete,
                                  std::bind(HandleUnload, std::ref(loaded), _1)},
                                 {Operation::kList,
                                  std::bind(HandleLoadedList, std::ref(loaded), _1)}}});
}

}  // namespace tresor::core

// sys/storage/raft/snapshot-auto/config (LIST), .../config/:name (POST,
// GET, DELETE) and .../status/:name (GET), all sudo, as Vault Enterprise's
// automated snapshots API (core/snapshot_auto/auto_snapshotter.h).
#include "core/sys_snapshot_auto_handlers.h"

namespace tresor::core {
namespace {

using snapshot_auto::AutoSnapshotter;

constexpr char kConfigPath[] = "sys/storage/raft/snapshot-auto/config";
constexpr char kStatusPath[] = "sys/storage/raft/snapshot-auto/status/";

// The :name at the end of a path under `prefix`.
StatusOr<std::string> NameIn(const Request& req, std::string_view prefix) {
  std::string name = req.path.substr(prefix.size());
  TRESOR_RETURN_IF_ERROR(snapshot_auto::ValidateName(name));
  return name;
}

StatusOr<Response> HandleList(AutoSnapshotter& auto_snapshots, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, auto_snapshots.List());
  if (names.empty()) return NotFoundError("");
  return Response::Data({{"keys", names}});
}

StatusOr<Response> HandleWrite(AutoSnapshotter& auto_snapshots, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameIn(req, std::string(kConfigPath) + "/"));
  TRESOR_ASSIGN_OR_RETURN(snapshot_auto::AutoConfig config,
                          snapshot_auto::ParseConfigRequest(name, req));
  TRESOR_RETURN_IF_ERROR(auto_snapshots.Write(config));
  return Response::Empty();
}

StatusOr<Response> HandleRead(AutoSnapshotter& auto_snapshots, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameIn(req, std::string(kConfigPath) + "/"));
  TRESOR_ASSIGN_OR_RETURN(auto config, auto_snapshots.Read(name));
  if (!config.has_value()) return NotFoundError("");
  return Response::Data(snapshot_auto::ConfigResponse(*config));
}

StatusOr<Response> HandleDelete(AutoSnapshotter& auto_snapshots, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameIn(req, std::string(kConfigPath) + "/"));
  TRESOR_RETURN_IF_ERROR(auto_snapshots.Delete(name));
  return Response::Empty();
}

StatusOr<Response> HandleAutoStatus(AutoSnapshotter& auto_snapshots,
                                snapshot_auto::WriteArchiver& archiver, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameIn(req, kStatusPath));
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json status, auto_snapshots.StatusOf(name));
  TRESOR_ASSIGN_OR_RETURN(auto config, auto_snapshots.Read(name));
  if (config.has_value() && config->pitr) {
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json archive, archiver.StatusOf(name));
    status.update(archive);
  }
  return Response::Data(std::move(status));
}

}  // namespace

void RegisterSnapshotAutoHandlers(SysRouter& router, AutoSnapshotter& auto_snapshots,
                                  snapshot_auto::WriteArchiver& archiver) {
  using std::placeholders::_1;
  auto bind = [&auto_snapshots](StatusOr<Response> (*handler)(AutoSnapshotter&,
                                                              const Request&)) {
    return std::bind(handler, std::ref(auto_snapshots), _1);
  };
  router.Add(kConfigPath, {.sudo = true, .handlers = {{Operation::kList, bind(HandleList)}}});
  router.AddPrefix(std::string(kConfigPath) + "/",
                   {.sudo = true,
                    .handlers = {{Operation::kCreate, bind(HandleWrite)},
                                 {Operation::kUpdate, bind(HandleWrite)},
                                 {Operation::kRead, bind(HandleRead)},
                                 {Operation::kDelete, bind(HandleDelete)},
                                 {Operation::kList, bind(HandleList)}}});
  router.AddPrefix(kStatusPath,
                   {.sudo = true,
                    .handlers = {{Operation::kRead,
                                  std::bind(HandleAutoStatus, std::ref(auto_snapshots),
                                            std::ref(archiver), _1)}}});
}

}  // namespace tresor::core

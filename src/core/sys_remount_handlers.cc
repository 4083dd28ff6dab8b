// sys/remount, sys/remount/status/<id>, sys/internal/ui/mounts and
// sys/internal/ui/mounts/<path>
// (see sys_mount_handlers.h).
//
// A move only rewrites the mount's row (its data is stored by uuid), so it
// finishes before the answer; the answer still carries Vault's migration_id,
// and sys/remount/status reports it as a success, so clients written for
// Vault's asynchronous moves work unchanged. The log of moves is in memory
// and bounded: it is for the client that just asked.
#include <deque>
#include <mutex>

#include "common/random.h"
#include "core/sys_mount_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

struct Migration {
  std::string id;
  std::string source;
  std::string target;
};

class MigrationLog {
 public:
  void Add(Migration migration) {
    std::lock_guard lock(mu_);
    if (log_.size() == kMaxEntries) log_.pop_front();
    log_.push_back(std::move(migration));
  }
  std::optional<Migration> Find(std::string_view id) const {
    std::lock_guard lock(mu_);
    for (const auto& m : log_) {
      if (m.id == id) return m;
    }
    return std::nullopt;
  }

 private:
  static constexpr std::size_t kMaxEntries = 256;
  mutable std::mutex mu_;
  std::deque<Migration> log_;  // GUARDED_BY(mu_)
};

StatusOr<std::string> RequiredPath(FieldReader& fields, std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto value, fields.String(name));
  if (!value.has_value() || value->empty()) {
    return InvalidArgumentError(std::string(name) + ": field is required");
  }
  return *value;
}

StatusOr<Response> HandleRemount(MountTable& mounts, MigrationLog& log, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(std::string from_text, RequiredPath(fields, "from"));
  TRESOR_ASSIGN_OR_RETURN(std::string to_text, RequiredPath(fields, "to"));
  auto [from_kind, from_path] = SplitMountPath(from_text);
  auto [to_kind, to_path] = SplitMountPath(to_text);
  if (from_kind != to_kind) {
    return InvalidArgumentError(
        "cannot move a mount between secrets engines and auth methods (\"" + from_text +
        "\" to \"" + to_text + "\")");
  }
  TRESOR_ASSIGN_OR_RETURN(std::string from, NormalizeMountPath(from_path));
  TRESOR_ASSIGN_OR_RETURN(std::string to, NormalizeMountPath(to_path));
  TRESOR_RETURN_IF_ERROR(mounts.Remount(from_kind, from, to));
  const std::string prefix = from_kind == MountKind::kAuth ? "auth/" : "";
  Migration migration{RandomUuid(), prefix + from, prefix + to};
  Response response = Response::Data({{"migration_id", migration.id}});
  log.Add(std::move(migration));
  return response;
}

StatusOr<Response> HandleRemountStatus(const MigrationLog& log, const Request& req) {
  std::string_view id = std::string_view(req.path).substr(sizeof("sys/remount/status/") - 1);
  auto migration = log.Find(id);
  if (!migration.has_value()) {
    return InvalidArgumentError("no migration with id \"" + std::string(id) +
                                "\" since the server started");
  }
  return Response::Data({{"migration_id", migration->id},
                         {"migration_info",
                          {{"source_mount", migration->source},
                           {"target_mount", migration->target},
                           {"status", "success"}}}});
}

// Describes the mount serving the path, if the caller's policies reach
// anything under it; otherwise 403, exactly as for a path with no mount, so
// the endpoint cannot be used to list mounts.
StatusOr<Response> HandleUiMount(MountTable& mounts, policy::PolicyStore& policies,
                                 const Request& req) {
  std::string_view path = std::string_view(req.path).substr(sizeof("sys/internal/ui/mounts/") - 1);
  auto routed = mounts.Route(path);
  if (!routed.has_value()) return PermissionDeniedError();
  const Mount& mount = *routed->mount;
  TRESOR_ASSIGN_OR_RETURN(auto acl, policies.AclFor(req.client_token_policies));
  if (!acl->HasAnyAccessUnder(mount.route_prefix)) return PermissionDeniedError();
  nlohmann::json data = MountEntryToApi(mount.entry);
  data["path"] = mount.route_prefix;
  return Response::Data(std::move(data));
}

// The secrets engines and auth methods the caller's policies reach anything
// under, as Vault's UI lists them: {"secret": {path: entry}, "auth": {...}}.
StatusOr<Response> HandleUiMountList(MountTable& mounts, policy::PolicyStore& policies,
                                     const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(auto acl, policies.AclFor(req.client_token_policies));
  nlohmann::json data = {{"secret", nlohmann::json::object()}, {"auth", nlohmann::json::object()}};
  for (auto [kind, key] : {std::pair{MountKind::kSecrets, "secret"}, {MountKind::kAuth, "auth"}}) {
    for (const auto& mount : mounts.List(kind)) {
      if (!acl->HasAnyAccessUnder(mount->route_prefix)) continue;
      // Keyed by the path under its kind, as in sys/mounts and sys/auth.
      data[key][mount->entry.path] = MountEntryToApi(mount->entry);
    }
  }
  return Response::Data(std::move(data));
}

}  // namespace

void RegisterRemountHandlers(SysRouter& router, MountTable& mounts, policy::PolicyStore& policies) {
  auto log = std::make_shared<MigrationLog>();
  SysRoute remount;
  // Vault protects sys/remount with sudo.
  remount.sudo = true;
  remount.handlers[Operation::kUpdate] = [&mounts, log](const Request& req) {
    return HandleRemount(mounts, *log, req);
  };
  router.Add("sys/remount", std::move(remount));

  SysRoute status;
  status.handlers[Operation::kRead] = [log](const Request& req) {
    return HandleRemountStatus(*log, req);
  };
  router.AddPrefix("sys/remount/status/", std::move(status));

  SysRoute ui;
  ui.any_token = true;
  ui.handlers[Operation::kRead] = [&mounts, &policies](const Request& req) {
    return HandleUiMount(mounts, policies, req);
  };
  router.AddPrefix("sys/internal/ui/mounts/", ui);
  ui.handlers[Operation::kRead] = [&mounts, &policies](const Request& req) {
    return HandleUiMountList(mounts, policies, req);
  };
  router.Add("sys/internal/ui/mounts", std::move(ui));
}

}  // namespace tresor::core

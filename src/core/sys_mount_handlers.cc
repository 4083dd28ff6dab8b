#include "core/sys_mount_handlers.h"

#include "core/engine_factory.h"
#include "core/sys_mount_fields.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

constexpr std::string_view kTuneSuffix = "/tune";

Response WithWarning(Response response, const FieldReader& fields) {
  if (auto warning = fields.UnusedFieldsWarning()) response.warnings.push_back(*warning);
  return response;
}

StatusOr<Response> ListMounts(MountTable& mounts, MountKind kind) {
  nlohmann::json data = nlohmann::json::object();
  for (const auto& mount : mounts.List(kind)) data[mount->entry.path] = MountEntryToApi(mount->entry);
  Response response = Response::Data(std::move(data));
  response.shape = Response::Shape::kEnvelopeWithTopLevelData;
  return response;
}

StatusOr<Response> ReadMount(MountTable& mounts, MountKind kind, const std::string& path) {
  auto mount = mounts.Find(kind, path);
  if (mount == nullptr) return InvalidArgumentError("no mount at \"" + path + "\"");
  return Response::Data(MountEntryToApi(mount->entry));
}

StatusOr<Response> EnableMount(MountTable& mounts, MountKind kind, const std::string& path,
                               const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(MountEntry entry, ReadEnableFields(fields, kind));
  entry.path = path;
  TRESOR_RETURN_IF_ERROR(mounts.Enable(kind, std::move(entry)).status());
  return WithWarning(Response::Empty(), fields);
}

StatusOr<Response> ReadTune(MountTable& mounts, MountKind kind, const std::string& path) {
  auto mount = mounts.Find(kind, path);
  if (mount == nullptr) {
    return InvalidArgumentError("cannot fetch sysview for path \"" + path + "\"");
  }
  const MountEntry& entry = mount->entry;
  nlohmann::json data = {{"default_lease_ttl", entry.EffectiveDefaultLeaseTtl().count()},
                         {"max_lease_ttl", entry.EffectiveMaxLeaseTtl().count()},
                         {"force_no_cache", false},
                         {"description", entry.description}};
  if (!entry.options.empty()) data["options"] = entry.options;
  return Response::Data(std::move(data));
}

StatusOr<Response> WriteTune(MountTable& mounts, MountKind kind, const std::string& path,
                             const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(MountTune tune, ReadTuneFields(fields));
  auto tuned = mounts.Tune(kind, path, tune);
  if (!tuned.ok() && tuned.status().code() == StatusCode::kNotFound) {
    return InvalidArgumentError("cannot tune \"" + path + "\": no mount at that path");
  }
  TRESOR_RETURN_IF_ERROR(tuned.status());
  return WithWarning(Response::Empty(), fields);
}

// Answers sys/mounts/<path>[/tune] or sys/auth/<path>[/tune].
StatusOr<Response> HandleOne(MountTable& mounts, MountKind kind, std::string_view route_prefix,
                             const Request& req) {
  std::string_view rest = std::string_view(req.path).substr(route_prefix.size());
  bool tune = rest.ends_with(kTuneSuffix);
  if (tune) rest.remove_suffix(kTuneSuffix.size());
  TRESOR_ASSIGN_OR_RETURN(std::string path, NormalizeMountPath(rest));
  if (tune) {
    if (req.operation == Operation::kRead) return ReadTune(mounts, kind, path);
    if (req.operation == Operation::kUpdate) return WriteTune(mounts, kind, path, req);
  } else {
    if (req.operation == Operation::kRead) return ReadMount(mounts, kind, path);
    if (req.operation == Operation::kUpdate) return EnableMount(mounts, kind, path, req);
    if (req.operation == Operation::kDelete) {
      TRESOR_RETURN_IF_ERROR(mounts.Disable(kind, path));
      return Response::Empty();
    }
  }
  return UnsupportedOperationError(std::string(OperationName(req.operation)) +
                                   " is not supported on " + req.path);
}

void RegisterTable(SysRouter& router, MountTable& mounts, MountKind kind, std::string collection,
                   bool sudo) {
  SysRoute list;
  list.handlers[Operation::kRead] = [&mounts, kind](const Request&) {
    return ListMounts(mounts, kind);
  };
  router.Add(collection, std::move(list));

  std::string prefix = collection + "/";
  SysRoute one;
  one.sudo = sudo;
  for (Operation op : {Operation::kRead, Operation::kUpdate, Operation::kDelete}) {
    one.handlers[op] = [&mounts, kind, prefix](const Request& req) {
      return HandleOne(mounts, kind, prefix, req);
    };
  }
  router.AddPrefix(prefix, std::move(one));
}

}  // namespace

void RegisterMountHandlers(SysRouter& router, MountTable& mounts, policy::PolicyStore& policies) {
  RegisterTable(router, mounts, MountKind::kSecrets, "sys/mounts", /*sudo=*/false);
  // Vault protects sys/auth/* with sudo (its "auth/*" root path).
  RegisterTable(router, mounts, MountKind::kAuth, "sys/auth", /*sudo=*/true);
  RegisterRemountHandlers(router, mounts, policies);
}

}  // namespace tresor::core

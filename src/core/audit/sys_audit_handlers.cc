#include "core/audit/sys_audit_handlers.h"

#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

// The device path after the route's prefix; InvalidArgument when empty.
StatusOr<std::string> DevicePath(const Request& request, std::string_view prefix) {
  std::string path = request.path.substr(prefix.size());
  if (path.empty()) {
    return InvalidArgumentError("missing the device path: " + std::string(prefix) + "<path>");
  }
  return path;
}

StatusOr<Response> ListDevices(audit::Broker& broker) {
  nlohmann::json data = nlohmann::json::object();
  for (const auto& config : broker.List()) {
    data[config.path] = {{"type", config.type},
                         {"description", config.description},
                         {"options", config.options},
                         {"local", config.local},
                         {"path", config.path}};
  }
  Response response = Response::Data(std::move(data));
  response.shape = Response::Shape::kEnvelopeWithTopLevelData;
  response.http_status = 200;  // an empty table is {"data": {}}, as in Vault
  return response;
}

StatusOr<Response> EnableDevice(audit::Broker& broker, const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(std::string path, DevicePath(request, "sys/audit/"));
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  audit::DeviceConfig config;
  config.path = path;
  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
  TRESOR_ASSIGN_OR_RETURN(auto description, fields.String("description"));
  TRESOR_ASSIGN_OR_RETURN(auto options, fields.StringMap("options"));
  TRESOR_ASSIGN_OR_RETURN(auto local, fields.Bool("local"));
  if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
    return InvalidArgumentError(*unknown);
  }
  if (!type.has_value() || type->empty()) {
    return InvalidArgumentError("type: missing (file, socket or syslog)");
  }
  config.type = *type;
  config.description = description.value_or("");
  config.options = options.value_or(std::map<std::string, std::string>{});
  config.local = local.value_or(false);
  TRESOR_RETURN_IF_ERROR(broker.Enable(std::move(config)));
  return Response::Empty();
}

}  // namespace

void RegisterAuditHandlers(SysRouter& router, audit::Broker& broker) {
  SysRoute list;
  list.sudo = true;
  list.handlers[Operation::kRead] = [&broker](const Request&) { return ListDevices(broker); };
  router.Add("sys/audit", std::move(list));

  SysRoute device;
  device.sudo = true;
  auto enable = [&broker](const Request& request) { return EnableDevice(broker, request); };
  device.handlers[Operation::kUpdate] = enable;
  device.handlers[Operation::kCreate] = enable;
  device.handlers[Operation::kDelete] = [&broker](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(std::string path, DevicePath(request, "sys/audit/"));
    TRESOR_RETURN_IF_ERROR(broker.Disable(path));
    return Response::Empty();
  };
  router.AddPrefix("sys/audit/", std::move(device));

  SysRoute hash;
  hash.sudo = true;
  hash.handlers[Operation::kUpdate] = [&broker](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(std::string path, DevicePath(request, "sys/audit-hash/"));
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(auto input, fields.String("input"));
    if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
      return InvalidArgumentError(*unknown);
    }
    if (!input.has_value()) return InvalidArgumentError("input: missing (the string to hash)");
    TRESOR_ASSIGN_OR_RETURN(std::string hashed, broker.Hash(path, *input));
    return Response::Data({{"hash", hashed}});
  };
  router.AddPrefix("sys/audit-hash/", std::move(hash));
}

}  // namespace tresor::core

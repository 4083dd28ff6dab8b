#include "core/sys_replication_handlers.h"

#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::OptionalBool;
using engines::OptionalInt;
using engines::OptionalString;
using replication::DrReplication;

constexpr char kPromotePath[] = "sys/replication/dr/secondary/promote";
constexpr char kUpdatePrimaryPath[] = "sys/replication/dr/secondary/update-primary";
constexpr char kDisableSecondaryPath[] = "sys/replication/dr/secondary/disable";

// A duration given as seconds (a number) or Vault's duration text ("30m").
StatusOr<std::optional<std::chrono::seconds>> OptionalDuration(const nlohmann::json& data,
                                                               std::string_view name) {
  auto it = data.find(std::string(name));
  if (it == data.end() || it->is_null()) return std::optional<std::chrono::seconds>();
  if (it->is_number_integer()) return std::optional(std::chrono::seconds(it->get<long long>()));
  if (it->is_string()) {
    TRESOR_ASSIGN_OR_RETURN(std::chrono::seconds d, ParseDuration(it->get<std::string>()));
    return std::optional(d);
  }
  return engines::FieldTypeError(name, "a duration (\"30m\") or a number of seconds", *it);
}

Status RefuseCaFile(const nlohmann::json& data) {
  for (const char* name : {"ca_file", "ca_path", "client_cert_pem", "client_key_pem"}) {
    TRESOR_RETURN_IF_ERROR(engines::RefuseUnsupported(
        data, name,
        "Tresor's activation token carries the primary's CA certificate and the channel is "
        "pinned to it, so no CA file is read: leave " +
            std::string(name) + " out"));
  }
  return Status::Ok();
}

StatusOr<std::string> RequiredString(const nlohmann::json& data, std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto value, OptionalString(data, name));
  if (!value.has_value() || value->empty()) {
    return InvalidArgumentError(std::string(name) + " is required");
  }
  return *value;
}

// ---- status ----

StatusOr<Response> HandleDrStatus(DrReplication& dr, const Request&) {
  return Response::Data(dr.StatusJson());
}

StatusOr<Response> HandleStatus(DrReplication& dr, const Request&) {
  return Response::Data({{"dr", dr.StatusJson()}, {"performance", {{"mode", "disabled"}}}});
}

// ---- primary ----

StatusOr<Response> HandlePrimaryEnable(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(
      req.data, {"primary_cluster_addr", "synchronous", "synchronous_timeout",
                 "log_retained_entries"}));
  DrReplication::PrimaryOptions options;
  TRESOR_ASSIGN_OR_RETURN(auto addr, OptionalString(req.data, "primary_cluster_addr"));
  if (addr.has_value()) {
    std::string a = *addr;
    // Vault's form is a URL; the DR channel wants host:port.
    for (std::string_view scheme : {"https://", "http://"}) {
      if (a.starts_with(scheme)) a = a.substr(scheme.size());
    }
    if (!a.empty() && a.find(':') == std::string::npos) {
      return InvalidArgumentError("primary_cluster_addr must be host:port (the cluster port)");
    }
    options.primary_cluster_addr = a;
  }
  TRESOR_ASSIGN_OR_RETURN(auto synchronous, OptionalBool(req.data, "synchronous"));
  options.synchronous = synchronous.value_or(false);
  TRESOR_ASSIGN_OR_RETURN(auto timeout, OptionalDuration(req.data, "synchronous_timeout"));
  if (timeout.has_value()) {
    if (timeout->count() < 1) return InvalidArgumentError("synchronous_timeout must be at least 1s");
    options.synchronous_timeout = *timeout;
  }
  TRESOR_ASSIGN_OR_RETURN(auto retained, OptionalInt(req.data, "log_retained_entries"));
  if (retained.has_value()) {
    if (*retained < 1) return InvalidArgumentError("log_retained_entries must be at least 1");
    options.retained_entries = static_cast<std::uint64_t>(*retained);
  }
  TRESOR_RETURN_IF_ERROR(dr.EnablePrimary(options));
  return Response::Empty();
}

StatusOr<Response> HandleSecondaryToken(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {"id", "ttl", "secondary_public_key"}));
  TRESOR_RETURN_IF_ERROR(engines::RefuseUnsupported(
      req.data, "secondary_public_key",
      "Tresor's activation token is not encrypted to a public key; leave secondary_public_key "
      "out and pass the token to the secondary over a trusted channel"));
  TRESOR_ASSIGN_OR_RETURN(std::string id, RequiredString(req.data, "id"));
  TRESOR_ASSIGN_OR_RETURN(auto ttl, OptionalDuration(req.data, "ttl"));
  const std::chrono::seconds lifetime = ttl.value_or(DrReplication::kDefaultTokenTtl);
  if (lifetime.count() < 1) return InvalidArgumentError("ttl must be at least 1s");
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json wrap_info, dr.SecondaryToken(id, lifetime));
  nlohmann::json body = {{"request_id", ""},  {"lease_id", ""},       {"renewable", false},
                         {"lease_duration", 0}, {"data", nullptr},     {"wrap_info", wrap_info},
                         {"warnings", nullptr}, {"auth", nullptr}};
  return Response::Raw(std::move(body));
}

StatusOr<Response> HandleRevokeSecondary(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {"id"}));
  TRESOR_ASSIGN_OR_RETURN(std::string id, RequiredString(req.data, "id"));
  TRESOR_RETURN_IF_ERROR(dr.RevokeSecondary(id));
  return Response::Empty();
}

StatusOr<Response> HandleDemote(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {}));
  TRESOR_RETURN_IF_ERROR(dr.Demote());
  return Response::Empty();
}

StatusOr<Response> HandlePrimaryDisable(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {}));
  TRESOR_RETURN_IF_ERROR(dr.DisablePrimary());
  return Response::Empty();
}

// ---- secondary ----

StatusOr<Response> HandleSecondaryEnable(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(
      req.data, {"token", "primary_api_addr", "ca_file", "ca_path", "client_cert_pem",
                 "client_key_pem"}));
  TRESOR_RETURN_IF_ERROR(RefuseCaFile(req.data));
  TRESOR_ASSIGN_OR_RETURN(std::string token, RequiredString(req.data, "token"));
  TRESOR_ASSIGN_OR_RETURN(auto api_addr, OptionalString(req.data, "primary_api_addr"));
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                          dr.EnableSecondary(token, api_addr.value_or("")));
  Response response = Response::Empty();
  response.warnings = std::move(warnings);
  return response;
}

StatusOr<Response> HandlePromote(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(
      RefuseUnknownFields(req.data, {"dr_operation_token", "force", "primary_cluster_addr"}));
  TRESOR_ASSIGN_OR_RETURN(auto token, OptionalString(req.data, "dr_operation_token"));
  TRESOR_ASSIGN_OR_RETURN(auto force, OptionalBool(req.data, "force"));
  TRESOR_ASSIGN_OR_RETURN(auto addr, OptionalString(req.data, "primary_cluster_addr"));
  if (dr.mode() != replication::Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  TRESOR_RETURN_IF_ERROR(dr.CheckOperationToken(token.value_or(""), kPromotePath));
  TRESOR_RETURN_IF_ERROR(dr.Promote(force.value_or(false), addr.value_or("")));
  return Response::Empty();
}

StatusOr<Response> HandleUpdatePrimary(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(
      req.data, {"dr_operation_token", "token", "primary_api_addr", "ca_file", "ca_path",
                 "client_cert_pem", "client_key_pem"}));
  TRESOR_RETURN_IF_ERROR(RefuseCaFile(req.data));
  TRESOR_ASSIGN_OR_RETURN(auto op_token, OptionalString(req.data, "dr_operation_token"));
  TRESOR_ASSIGN_OR_RETURN(std::string token, RequiredString(req.data, "token"));
  TRESOR_ASSIGN_OR_RETURN(auto api_addr, OptionalString(req.data, "primary_api_addr"));
  if (dr.mode() != replication::Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  TRESOR_RETURN_IF_ERROR(dr.CheckOperationToken(op_token.value_or(""), kUpdatePrimaryPath));
  TRESOR_RETURN_IF_ERROR(dr.UpdatePrimary(token, api_addr.value_or("")));
  return Response::Empty();
}

StatusOr<Response> HandleSecondaryDisable(DrReplication& dr, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(req.data, {"dr_operation_token"}));
  TRESOR_ASSIGN_OR_RETURN(auto op_token, OptionalString(req.data, "dr_operation_token"));
  if (dr.mode() != replication::Mode::kSecondary) {
    return InvalidArgumentError("this cluster is not a DR secondary");
  }
  TRESOR_RETURN_IF_ERROR(dr.CheckOperationToken(op_token.value_or(""), kDisableSecondaryPath));
  TRESOR_RETURN_IF_ERROR(dr.DisableSecondary());
  return Response::Empty();
}

}  // namespace

void RegisterReplicationHandlers(SysRouter& router, DrReplication& dr) {
  using std::placeholders::_1;
  auto bind = [&dr](StatusOr<Response> (*handler)(DrReplication&, const Request&)) {
    return std::bind(handler, std::ref(dr), _1);
  };
  router.Add("sys/replication/status",
             {.unauthenticated = true, .handlers = {{Operation::kRead, bind(HandleStatus)}}});
  router.Add("sys/replication/dr/status",
             {.unauthenticated = true, .handlers = {{Operation::kRead, bind(HandleDrStatus)}}});
  for (auto [path, handler] :
       std::initializer_list<std::pair<const char*, StatusOr<Response> (*)(DrReplication&,
                                                                          const Request&)>>{
           {"sys/replication/dr/primary/enable", HandlePrimaryEnable},
           {"sys/replication/dr/primary/secondary-token", HandleSecondaryToken},
           {"sys/replication/dr/primary/revoke-secondary", HandleRevokeSecondary},
           {"sys/replication/dr/primary/demote", HandleDemote},
           {"sys/replication/dr/primary/disable", HandlePrimaryDisable},
           {"sys/replication/dr/secondary/enable", HandleSecondaryEnable}}) {
    router.Add(path, {.sudo = true, .handlers = {{Operation::kUpdate, bind(handler)}}});
  }
  // Authorised by the DR operation token in the body, as in Vault: a DR
  // secondary has no usable token store of its own.
  router.Add(kPromotePath,
             {.unauthenticated = true, .handlers = {{Operation::kUpdate, bind(HandlePromote)}}});
  router.Add(kUpdatePrimaryPath, {.unauthenticated = true,
                                  .handlers = {{Operation::kUpdate, bind(HandleUpdatePrimary)}}});
  router.Add(kDisableSecondaryPath,
             {.unauthenticated = true,
              .handlers = {{Operation::kUpdate, bind(HandleSecondaryDisable)}}});
  RegisterGenerateRootFlow(router, "sys/replication/dr/secondary/generate-operation-token",
                           dr.operation_token_flow());
}

}  // namespace tresor::core

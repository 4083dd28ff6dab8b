// sys/policy, sys/policies/acl, sys/capabilities, sys/capabilities-self.
#include "core/sys_policy_handlers.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::JsonTypeName;
using engines::OptionalString;

constexpr char kLegacyPrefix[] = "sys/policy/";
constexpr char kAclPrefix[] = "sys/policies/acl/";

// Which of the two policy APIs a request came through: the legacy
// sys/policy answers with "rules" and copies data to the top level; the
// newer sys/policies/acl answers with "policy" in data only.
enum class Api { kLegacy, kAcl };

std::string_view PrefixOf(Api api) { return api == Api::kLegacy ? kLegacyPrefix : kAclPrefix; }

// The policy name from the request path; 400 when there is none.
StatusOr<std::string> NameFromPath(Api api, const Request& req) {
  std::string_view prefix = PrefixOf(api);
  std::string_view path = req.path;
  std::string_view name = path.size() > prefix.size() ? path.substr(prefix.size()) : "";
  if (name.empty()) return InvalidArgumentError("policy name must be provided in the URL");
  return policy::NormalizePolicyName(name);
}

Response WithShape(Api api, nlohmann::json data) {
  Response r = Response::Data(std::move(data));
  if (api == Api::kLegacy) r.shape = Response::Shape::kEnvelopeWithTopLevelData;
  return r;
}

StatusOr<Response> HandleList(PolicyHandlerContext ctx, Api api, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, ctx.store.ListPolicies());
  nlohmann::json data = {{"keys", names}};
  if (api == Api::kLegacy) data["policies"] = names;
  return WithShape(api, std::move(data));
}

StatusOr<Response> HandleRead(PolicyHandlerContext ctx, Api api, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameFromPath(api, req));
  TRESOR_ASSIGN_OR_RETURN(policy::Policy found, ctx.store.GetPolicy(name));
  return WithShape(api,
                   {{"name", found.name}, {api == Api::kLegacy ? "rules" : "policy", found.raw}});
}

StatusOr<Response> HandleWrite(PolicyHandlerContext ctx, Api api, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameFromPath(api, req));
  if (name == "root") return InvalidArgumentError("cannot update \"root\" policy");
  Response response = Response::Empty();
  TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> text, OptionalString(req.data, "policy"));
  if (api == Api::kLegacy && text.value_or("").empty()) {
    TRESOR_ASSIGN_OR_RETURN(text, OptionalString(req.data, "rules"));
    if (text.has_value())
      response.warnings.push_back("'rules' is deprecated, please use 'policy' instead");
  }
  if (text.value_or("").empty()) {
    return InvalidArgumentError("'policy' parameter not supplied or empty");
  }
  // Like Vault, accept the text base64-encoded. HCL and JSON policies are
  // never valid base64 (they need quotes or braces), so this cannot
  // misread a plain policy.
  if (auto decoded = Base64Decode(*text); decoded.ok()) text = std::move(*decoded);
  TRESOR_RETURN_IF_ERROR(ctx.store.SetPolicy(name, *text));
  return response;
}

StatusOr<Response> HandleDelete(PolicyHandlerContext ctx, Api api, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::string name, NameFromPath(api, req));
  TRESOR_RETURN_IF_ERROR(ctx.store.DeletePolicy(name));
  return Response::Empty();
}

// Appends the comma-separated pieces of `text`, trimmed, skipping empties
// (Vault's comma-string-slice parameter type).
void AppendCommaSeparated(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view piece = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!piece.empty() && std::isspace(static_cast<unsigned char>(piece.front()))) {
      piece.remove_prefix(1);
    }
    while (!piece.empty() && std::isspace(static_cast<unsigned char>(piece.back()))) {
      piece.remove_suffix(1);
    }
    if (!piece.empty()) out.emplace_back(piece);
  }
}

// `name` as a list of strings: a JSON list of strings or one
// comma-separated string. Empty when absent.
StatusOr<std::vector<std::string>> StringList(const nlohmann::json& data, const char* name) {
  std::vector<std::string> out;
  if (!data.is_object() || !data.contains(name) || data[name].is_null()) return out;
  const nlohmann::json& value = data[name];
  if (value.is_string()) {
    AppendCommaSeparated(value.get_ref<const std::string&>(), out);
    return out;
  }
  if (!value.is_array()) {
    return InvalidArgumentError(std::string(name) + ": expected a list of strings, got " +
                                JsonTypeName(value));
  }
  for (const nlohmann::json& item : value) {
    if (!item.is_string()) {
      return InvalidArgumentError(std::string(name) + ": expected a string, got " +
                                  JsonTypeName(item));
    }
    AppendCommaSeparated(item.get_ref<const std::string&>(), out);
  }
  return out;
}

StatusOr<std::vector<std::string>> RequestedPaths(const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, StringList(req.data, "paths"));
  if (paths.empty()) {
    TRESOR_ASSIGN_OR_RETURN(paths, StringList(req.data, "path"));
  }
  if (paths.empty()) return InvalidArgumentError("'path' or 'paths' must be supplied");
  return paths;
}

StatusOr<Response> CapabilitiesAnswer(PolicyHandlerContext ctx,
                                      const std::vector<std::string>& policies,
                                      const std::vector<std::string>& paths) {
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const policy::Acl> acl, ctx.store.AclFor(policies));
  nlohmann::json data = nlohmann::json::object();
  for (const std::string& path : paths) data[path] = acl->Capabilities(path);
  // Kept by Vault for clients that asked about one path before "paths"
  // existed.
  if (paths.size() == 1) data["capabilities"] = data[paths.front()];
  Response r = Response::Data(std::move(data));
  r.shape = Response::Shape::kEnvelopeWithTopLevelData;
  return r;
}

// sys/capabilities and sys/capabilities-accessor: the capabilities of the
// token named by `field` ("token" or "accessor"), found with `policies_of`.
StatusOr<Response> CapabilitiesOfNamedToken(
    PolicyHandlerContext ctx, const Request& req, const char* field,
    const std::function<StatusOr<std::vector<std::string>>(const std::string&)>& policies_of) {
  TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(req.data, field));
  if (!name.has_value() || name->empty()) {
    return InvalidArgumentError("'" + std::string(field) + "' must be supplied");
  }
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, RequestedPaths(req));
  if (!policies_of) return InternalError(std::string(field) + " lookup is not configured");
  StatusOr<std::vector<std::string>> policies = policies_of(*name);
  if (!policies.ok()) {
    StatusCode code = policies.status().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kPermissionDenied) {
      return InvalidArgumentError("invalid " + std::string(field));
    }
    return policies.status();
  }
  return CapabilitiesAnswer(ctx, *policies, paths);
}

StatusOr<Response> HandleCapabilities(PolicyHandlerContext ctx, const Request& req) {
  return CapabilitiesOfNamedToken(ctx, req, "token", ctx.policies_of_token);
}

StatusOr<Response> HandleCapabilitiesAccessor(PolicyHandlerContext ctx, const Request& req) {
  return CapabilitiesOfNamedToken(ctx, req, "accessor", ctx.policies_of_accessor);
}

StatusOr<Response> HandleCapabilitiesSelf(PolicyHandlerContext ctx, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, RequestedPaths(req));
  return CapabilitiesAnswer(ctx, req.client_token_policies, paths);
}

// sys/internal/ui/resultant-acl: the caller's whole ACL, for UIs.
StatusOr<Response> HandleResultantAcl(PolicyHandlerContext ctx, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const policy::Acl> acl,
                          ctx.store.AclFor(req.client_token_policies));
  return Response::Data(acl->Describe());
}

// Routes for one of the two policy APIs.
void RegisterPolicyApi(SysRouter& router, const PolicyHandlerContext& ctx, Api api) {
  using std::placeholders::_1;
  std::string prefix(PrefixOf(api));
  std::string collection = prefix.substr(0, prefix.size() - 1);
  SysRoute list;
  list.handlers[Operation::kList] = std::bind(HandleList, ctx, api, _1);
  // The legacy API also lists on GET (hvac's list_policies reads it so).
  if (api == Api::kLegacy) list.handlers[Operation::kRead] = std::bind(HandleList, ctx, api, _1);
  router.Add(collection, std::move(list));

  SysRoute one;
  one.handlers[Operation::kRead] = std::bind(HandleRead, ctx, api, _1);
  one.handlers[Operation::kCreate] = std::bind(HandleWrite, ctx, api, _1);
  one.handlers[Operation::kUpdate] = std::bind(HandleWrite, ctx, api, _1);
  one.handlers[Operation::kDelete] = std::bind(HandleDelete, ctx, api, _1);
  router.AddPrefix(prefix, std::move(one));
}

}  // namespace

void RegisterPolicyHandlers(SysRouter& router, PolicyHandlerContext ctx) {
  using std::placeholders::_1;
  RegisterPolicyApi(router, ctx, Api::kLegacy);
  RegisterPolicyApi(router, ctx, Api::kAcl);

  SysRoute capabilities;
  capabilities.handlers[Operation::kCreate] = std::bind(HandleCapabilities, ctx, _1);
  capabilities.handlers[Operation::kUpdate] = std::bind(HandleCapabilities, ctx, _1);
  router.Add("sys/capabilities", std::move(capabilities));

  SysRoute by_accessor;
  by_accessor.handlers[Operation::kCreate] = std::bind(HandleCapabilitiesAccessor, ctx, _1);
  by_accessor.handlers[Operation::kUpdate] = std::bind(HandleCapabilitiesAccessor, ctx, _1);
  router.Add("sys/capabilities-accessor", std::move(by_accessor));

  SysRoute resultant;
  resultant.handlers[Operation::kRead] = std::bind(HandleResultantAcl, ctx, _1);
  router.Add("sys/internal/ui/resultant-acl", std::move(resultant));

  SysRoute self;
  self.any_token = true;
  self.handlers[Operation::kCreate] = std::bind(HandleCapabilitiesSelf, ctx, _1);
  self.handlers[Operation::kUpdate] = std::bind(HandleCapabilitiesSelf, ctx, _1);
  router.Add("sys/capabilities-self", std::move(self));
}

}  // namespace tresor::core

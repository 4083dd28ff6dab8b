#include "engines/auth/token/token_engine.h"

#include "common/logging.h"
#include "engines/auth/token/token_batch.h"
#include "engines/auth/token/token_responses.h"

namespace tresor::engines::token {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

bool IsWrite(Operation op) { return op == Operation::kUpdate || op == Operation::kCreate; }

Status Unsupported(const Request& request) {
  return UnsupportedOperationError(std::string(logical::OperationName(request.operation)) +
                                   " is not supported on auth/token/" + request.path);
}

// A required string field; `missing` is Vault's message when it is absent.
StatusOr<std::string> Required(FieldReader& fields, std::string_view name,
                               std::string_view missing) {
  TRESOR_ASSIGN_OR_RETURN(auto value, fields.String(name));
  if (!value.has_value() || value->empty()) return InvalidArgumentError(std::string(missing));
  return std::move(*value);
}

}  // namespace

std::unique_ptr<logical::Engine> NewTokenEngine(TokenStore& store) {
  return std::make_unique<TokenEngine>(store);
}

StatusOr<Response> TokenEngine::Handle(const Request& request) {
  const std::string& path = request.path;
  const bool against_role = path.starts_with("create/");
  if (path == "create" || path == "create-orphan" || against_role) {
    if (!IsWrite(request.operation)) return Unsupported(request);
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    return Create(request, fields, path == "create-orphan",
                  against_role ? path.substr(std::string_view("create/").size()) : "");
  }
  if (path == "roles" || path.starts_with("roles/")) return HandleRoles(request);
  if (path == "accessors") {
    if (request.operation != Operation::kList) return Unsupported(request);
    return ListAccessors();
  }

  // Every other endpoint reads a body or query; parse it once, up front, so
  // a malformed body is refused before anything is looked at.
  const bool is_read = request.operation == Operation::kRead;
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
  if (path == "lookup") {
    if (!is_read && !IsWrite(request.operation)) return Unsupported(request);
    TRESOR_ASSIGN_OR_RETURN(auto token, fields.String("token"));
    // As in Vault, no token means the caller's own.
    std::string id = token.value_or("").empty() ? request.client_token : *token;
    if (id.empty()) return InvalidArgumentError("missing token ID");
    return Lookup(id, id);
  }
  if (path == "lookup-self") {
    if (!is_read && !IsWrite(request.operation)) return Unsupported(request);
    return Lookup(request.client_token, request.client_token);
  }
  if (!IsWrite(request.operation)) {
    if (path == "lookup-accessor" || path == "renew" || path == "renew-self" ||
        path == "renew-accessor" || path == "revoke" || path == "revoke-self" ||
        path == "revoke-accessor" || path == "revoke-orphan" || path == "tidy") {
      return Unsupported(request);
    }
    return NotFoundError("unsupported path");
  }
  if (path == "lookup-accessor") return LookupAccessor(fields);
  if (path == "renew") {
    TRESOR_ASSIGN_OR_RETURN(std::string token, Required(fields, "token", "missing token ID"));
    TRESOR_ASSIGN_OR_RETURN(auto entry, store_.Lookup(token));
    return Renew(entry, token, fields);
  }
  if (path == "renew-self") {
    TRESOR_ASSIGN_OR_RETURN(auto entry, store_.Lookup(request.client_token));
    return Renew(entry, request.client_token, fields);
  }
  if (path == "renew-accessor") {
    TRESOR_ASSIGN_OR_RETURN(std::string accessor, Required(fields, "accessor", "missing accessor"));
    TRESOR_ASSIGN_OR_RETURN(auto entry, store_.LookupByAccessor(accessor));
    if (!entry.has_value()) return InvalidArgumentError("invalid accessor");
    return Renew(entry, "", fields);
  }
  if (path == "revoke") {
    TRESOR_ASSIGN_OR_RETURN(std::string token, Required(fields, "token", "missing token ID"));
    return RevokeTree(token);
  }
  if (path == "revoke-self") {
    if (request.client_token.empty()) return PermissionDeniedError();
    return RevokeTree(request.client_token);
  }
  if (path == "revoke-accessor") return RevokeAccessor(fields);
  if (path == "revoke-orphan") return RevokeOrphan(fields);
  if (path == "tidy") return Tidy();
  return NotFoundError("unsupported path");
}

StatusOr<std::optional<bool>> TokenEngine::Exists(const Request& request) {
  std::string_view path = request.path;
  if (!path.starts_with("roles/")) return std::optional<bool>();
  auto role = store_.ReadRole(path.substr(std::string_view("roles/").size()));
  if (!role.ok()) return std::optional<bool>();  // a bad name: Handle answers
  return std::optional<bool>(role->has_value());
}

StatusOr<Response> TokenEngine::RevokeTree(const std::string& token) {
  if (IsBatchToken(token)) {
    // Nothing is stored for it, so there is nothing to delete; an unknown
    // or expired one is answered as any unknown token is.
    TRESOR_ASSIGN_OR_RETURN(auto entry, store_.Lookup(token));
    if (entry.has_value()) return InvalidArgumentError("batch tokens cannot be revoked");
    return Response::Empty();
  }
  TRESOR_ASSIGN_OR_RETURN(std::string hash, store_.HashToken(token));
  TRESOR_RETURN_IF_ERROR(store_.Revoke(hash));
  return Response::Empty();
}

StatusOr<Response> TokenEngine::Lookup(const std::string& token, const std::string& id_to_show) {
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.Lookup(token));
  if (!entry.has_value()) return PermissionDeniedError("bad token");
  return Response::Data(LookupData(*entry, id_to_show, store_.clock().Now()));
}

StatusOr<Response> TokenEngine::LookupAccessor(FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(std::string accessor, Required(fields, "accessor", "missing accessor"));
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.LookupByAccessor(accessor));
  if (!entry.has_value()) return InvalidArgumentError("invalid accessor");
  return Response::Data(LookupData(*entry, "", store_.clock().Now()));
}

StatusOr<Response> TokenEngine::Renew(const std::optional<TokenEntry>& entry,
                                      const std::string& client_token, FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(auto increment, fields.Duration("increment"));
  if (!entry.has_value()) return InvalidArgumentError("token not found");
  if (entry->type == "batch") return InvalidArgumentError("batch tokens cannot be renewed");
  TRESOR_ASSIGN_OR_RETURN(
      RenewedToken renewed,
      store_.Renew(entry->id_hash, increment.value_or(std::chrono::seconds(0))));
  Response response;
  response.auth = AuthData(renewed.entry, client_token, renewed.entry.ttl.count());
  response.warnings = std::move(renewed.warnings);
  return response;
}

StatusOr<Response> TokenEngine::RevokeAccessor(FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(std::string accessor, Required(fields, "accessor", "missing accessor"));
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.LookupByAccessor(accessor));
  if (!entry.has_value()) return InvalidArgumentError("invalid accessor");
  TRESOR_RETURN_IF_ERROR(store_.Revoke(entry->id_hash));
  return Response::Empty();
}

StatusOr<Response> TokenEngine::RevokeOrphan(FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(std::string token, Required(fields, "token", "missing token ID"));
  TRESOR_ASSIGN_OR_RETURN(auto entry, store_.Lookup(token));
  if (!entry.has_value()) return InvalidArgumentError("token to revoke not found");
  if (entry->type == "batch") return InvalidArgumentError("batch tokens cannot be revoked");
  TRESOR_RETURN_IF_ERROR(store_.RevokeOrphan(entry->id_hash));
  return Response::Empty();
}

StatusOr<Response> TokenEngine::ListAccessors() {
  TRESOR_ASSIGN_OR_RETURN(auto accessors, store_.ListAccessors());
  return Response::Data({{"keys", std::move(accessors)}});
}

StatusOr<Response> TokenEngine::Tidy() {
  TRESOR_ASSIGN_OR_RETURN(TidyCounts counts, store_.Tidy());
  // Like Vault, the outcome goes to the server log, not to the client.
  spdlog::info(
      "token tidy: removed {} dangling accessor index entries and {} dangling parent links, "
      "revoked {} tokens whose parent was gone",
      counts.accessors_removed, counts.parent_links_removed, counts.orphaned_children_revoked);
  return Response::TidyStarted();
}

}  // namespace tresor::engines::token

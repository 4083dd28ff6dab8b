#include "http/request_parser.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cctype>
#include <string>

#include "common/duration.h"
#include "common/random.h"
#include "core/path_normalize.h"
#include "http/forwarder.h"
#include "http/query_string.h"

namespace tresor::http {
namespace {

namespace beast_http = boost::beast::http;

constexpr std::string_view kApiPrefix = "/v1/";

// Thrown from the JSON parser callback to abandon a too-deep document; it
// never leaves this file.
struct JsonTooDeep {};

// Go's strconv.ParseBool truth values, which Vault uses for ?list=.
bool IsTrue(std::string_view v) {
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

bool IsAllWhitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct MethodMapping {
  core::Operation operation;
  bool head_only = false;
  bool recover = false;  // Vault's RECOVER: a write from a loaded snapshot
};

StatusOr<MethodMapping> MapMethod(const HttpRequest& request) {
  switch (request.method()) {
    case beast_http::verb::get:
      return MethodMapping{core::Operation::kRead};
    case beast_http::verb::head:
      return MethodMapping{core::Operation::kRead, true};
    case beast_http::verb::post:
    case beast_http::verb::put:
      return MethodMapping{core::Operation::kUpdate};
    case beast_http::verb::patch:
      return MethodMapping{core::Operation::kPatch};
    case beast_http::verb::delete_:
      return MethodMapping{core::Operation::kDelete};
    default:
      break;
  }
  // LIST is not a verb Beast knows; methods are case-sensitive (RFC 9110).
  if (request.method_string() == "LIST") return MethodMapping{core::Operation::kList};
  if (request.method_string() == "RECOVER") {
    return MethodMapping{core::Operation::kUpdate, false, true};
  }
  return UnsupportedOperationError("unsupported method");
}

// The token from X-Vault-Token, else from "Authorization: Bearer <token>".
std::string ClientToken(const HttpRequest& request) {
  auto vault_token = request.find("X-Vault-Token");
  if (vault_token != request.end() && !Trim(ToStdView(vault_token->value())).empty()) {
    return std::string(Trim(ToStdView(vault_token->value())));
  }
  auto authorization = request.find(beast_http::field::authorization);
  if (authorization == request.end()) return "";
  std::string_view value = Trim(ToStdView(authorization->value()));
  // Other schemes may be meant for plugins; they are not a Vault token.
  constexpr std::string_view kBearer = "Bearer ";
  if (!StartsWithIgnoreCase(value, kBearer)) return "";
  return std::string(Trim(value.substr(kBearer.size())));
}

std::string_view HeaderValue(const HttpRequest& request, std::string_view name) {
  auto found = request.find(boost::beast::string_view(name.data(), name.size()));
  return found == request.end() ? std::string_view() : Trim(ToStdView(found->value()));
}

// Vault's namespace header, which Tresor does not implement: a client that
// sends one must not get an answer that silently ignored it (the write would
// land in the root namespace).
Status RefuseNamespaceHeader(const HttpRequest& request) {
  std::string_view ns = HeaderValue(request, "X-Vault-Namespace");
  while (!ns.empty() && ns.front() == '/') ns.remove_prefix(1);
  while (!ns.empty() && ns.back() == '/') ns.remove_suffix(1);
  if (!ns.empty() && ns != "root") {
    return InvalidArgumentError(
        "namespaces are not supported by Tresor: refusing the request rather than ignore its "
        "X-Vault-Namespace header (it would land in the root namespace); send it without the "
        "header (unset VAULT_NAMESPACE)");
  }
  return Status::Ok();
}

// X-Vault-Wrap-TTL: a duration ("90s", "5m") or whole seconds; 0 asks for no
// wrapping, as in Vault. Only the default (token) wrap format exists.
StatusOr<std::chrono::seconds> WrapTtlHeader(const HttpRequest& request) {
  std::string_view format = HeaderValue(request, "X-Vault-Wrap-Format");
  if (!format.empty() && format != "token") {
    return InvalidArgumentError(
        "X-Vault-Wrap-Format: only the default wrapping format (a wrapping token) is supported; "
        "the \"jwt\" format is not");
  }
  std::string_view ttl = HeaderValue(request, "X-Vault-Wrap-TTL");
  if (ttl.empty()) return std::chrono::seconds(0);
  auto parsed = ParseDuration(ttl);
  if (!parsed.ok()) {
    return InvalidArgumentError("X-Vault-Wrap-TTL: " + parsed.status().message() +
                                " (give a duration such as \"60s\" or a number of seconds)");
  }
  if (parsed->count() < 0) return InvalidArgumentError("X-Vault-Wrap-TTL: must not be negative");
  return *parsed;
}

// Snapshot recovery (core/snapshot_recovery.h): Vault 1.21's headers say
// what its query parameters say; RECOVER must name a snapshot.
Status TakeRecoverHeaders(const HttpRequest& request, bool recover_method,
                          std::map<std::string, std::string>& query) {
  static constexpr std::pair<std::string_view, const char*> kHeaders[] = {
      {"X-Vault-Recover-Snapshot-Id", "recover_snapshot_id"},
      {"X-Vault-Recover-Source-Path", "recover_source_path"}};
  for (const auto& [name, param] : kHeaders) {
    auto found = request.find(boost::beast::string_view(name.data(), name.size()));
    if (found == request.end()) continue;
    std::string value(Trim(ToStdView(found->value())));
    auto given = query.find(param);
    if (given != query.end() && given->second != value) {
      return InvalidArgumentError(std::string(name) + " and the " + param +
                                  " query parameter disagree");
    }
    query[param] = std::move(value);
  }
  if (recover_method && !query.contains("recover_snapshot_id")) {
    return InvalidArgumentError(
        "RECOVER needs the loaded snapshot's ID in the X-Vault-Recover-Snapshot-Id header");
  }
  return Status::Ok();
}

StatusOr<nlohmann::json> ParseBody(const std::string& body) {
  if (IsAllWhitespace(body)) return nlohmann::json();  // null: no body
  nlohmann::json data;
  try {
    data =
        nlohmann::json::parse(body, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
          if (depth > kMaxJsonDepth) throw JsonTooDeep{};
          return true;
        });
  } catch (const JsonTooDeep&) {
    return InvalidArgumentError("failed to parse JSON input: nesting deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels");
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() quotes the text it last read, which may be a secret: report
    // only where the error is.
    return InvalidArgumentError("failed to parse JSON input: syntax error at byte " +
                                std::to_string(e.byte));
  } catch (const nlohmann::json::exception&) {
    return InvalidArgumentError("failed to parse JSON input: invalid JSON");
  }
  if (!data.is_object()) {
    return InvalidArgumentError("failed to parse JSON input: the body must be a JSON object");
  }
  return data;
}

// `raw_path` is the target's path, known to start with kApiPrefix.
StatusOr<core::NormalizedPath> NormalizeApiPath(std::string_view raw_path) {
  // A NUL byte is refused before decoding as well as by NormalizePath,
  // because C APIs below would silently truncate the path at it.
  if (raw_path.find('\0') != std::string_view::npos ||
      raw_path.find("%00") != std::string_view::npos) {
    return InvalidArgumentError("invalid path: contains a NUL byte");
  }
  auto decoded_path = PercentDecodePath(raw_path.substr(kApiPrefix.size()));
  if (!decoded_path.ok()) return decoded_path.status().WithContext("invalid path");
  // The one normalisation step: routing, ACL checks and engines all see
  // exactly this path (docs/paths.md).
  return core::NormalizePath(*decoded_path);
}

}  // namespace

StatusOr<std::string> ApiPathOfTarget(std::string_view target) {
  const std::string_view raw_path = target.substr(0, target.find('?'));
  if (raw_path.substr(0, kApiPrefix.size()) != kApiPrefix) {
    return NotFoundError("no handler for route: only /v1/ paths are served");
  }
  TRESOR_ASSIGN_OR_RETURN(core::NormalizedPath normalized, NormalizeApiPath(raw_path));
  return std::move(normalized.path);
}

StatusOr<core::Request> ParseApiRequest(const HttpRequest& request,
                                        std::string_view remote_address) {
  TRESOR_ASSIGN_OR_RETURN(core::Request parsed, ParseApiRequestHead(request, remote_address));
  TRESOR_RETURN_IF_ERROR(ParseApiRequestBody(request, parsed));
  return parsed;
}

Status ParseApiRequestBody(const HttpRequest& request, core::Request& parsed) {
  TRESOR_ASSIGN_OR_RETURN(parsed.data, ParseBody(request.body()));
  return Status::Ok();
}

StatusOr<core::Request> ParseApiRequestHead(const HttpRequest& request,
                                            std::string_view remote_address) {
  const std::string_view target = ToStdView(request.target());
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  const std::string_view raw_query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  if (raw_path.substr(0, kApiPrefix.size()) != kApiPrefix) {
    return NotFoundError("no handler for route: only /v1/ paths are served");
  }
  TRESOR_ASSIGN_OR_RETURN(MethodMapping method, MapMethod(request));
  TRESOR_ASSIGN_OR_RETURN(core::NormalizedPath normalized, NormalizeApiPath(raw_path));
  TRESOR_RETURN_IF_ERROR(RefuseNamespaceHeader(request));
  TRESOR_ASSIGN_OR_RETURN(std::chrono::seconds wrap_ttl, WrapTtlHeader(request));

  core::Request result;
  result.operation = method.operation;
  result.head_only = method.head_only;
  result.path = std::move(normalized.path);
  result.trailing_slash = normalized.trailing_slash;
  TRESOR_ASSIGN_OR_RETURN(result.query, ParseQueryString(raw_query));
  if (request.method() == beast_http::verb::get) {
    auto list = result.query.find("list");
    if (list != result.query.end() && IsTrue(list->second)) {
      result.operation = core::Operation::kList;
      result.query.erase(list);
    }
  }
  TRESOR_RETURN_IF_ERROR(TakeRecoverHeaders(request, method.recover, result.query));
  result.client_token = ClientToken(request);
  auto content_type = request.find(beast_http::field::content_type);
  if (content_type != request.end()) result.content_type = std::string(content_type->value());
  result.remote_address = std::string(remote_address);
  if (!HeaderValue(request, kForwardedHeader).empty()) {
    result.forwarded = true;
    // The forwarding standby appended the address it saw last.
    std::string_view chain = HeaderValue(request, "X-Forwarded-For");
    result.forwarded_client_address = std::string(Trim(chain.substr(chain.rfind(',') + 1)));
  }
  result.request_id = RandomUuid();
  result.wrap_ttl = wrap_ttl;
  return result;
}

}  // namespace tresor::http

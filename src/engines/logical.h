// The logical request and response, and the contract every engine (secrets
// engine or auth method) implements. It sits in engines/ because engines sit
// below core/ and must see these types; core/request.h re-exports them for
// the layers above.
//
// A request reaches an engine after core has normalised the path, found the
// mount (longest prefix), authenticated the token and checked it against ACL
// policy. The engine sees the path relative to its mount and a storage view
// confined to its own mount (see EngineContext); it never sees raw storage.
//
// Threads: Engine::Handle is called concurrently from many threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "engines/raw_body.h"
#include "storage/backend.h"

namespace tresor::logical {

// Vault's logical operations. HTTP GET is kRead (kList with ?list=true),
// LIST is kList, POST and PUT are kUpdate until core tells kCreate from
// kUpdate with the engine's Exists(), PATCH is kPatch, DELETE is kDelete.
// HEAD is kRead with head_only set.
enum class Operation { kRead, kList, kCreate, kUpdate, kPatch, kDelete };

std::string_view OperationName(Operation op);

struct Request {
  Operation operation = Operation::kRead;
  // From http/: the path after "/v1/", without a leading or trailing '/'.
  // Core rewrites it to be relative to the mount before calling an engine
  // ("data/foo" for "secret/data/foo").
  std::string path;
  // The JSON body (an object), or null when there was none.
  nlohmann::json data;
  // Query parameters, decoded. Vault reads some GET parameters as data.
  std::map<std::string, std::string> query;
  // From X-Vault-Token or Authorization: Bearer; empty when absent.
  std::string client_token;
  std::string content_type;
  std::string remote_address;
  // Set only on a request a standby forwarded (it carries X-Tresor-Forwarded):
  // the client address that standby saw, the last X-Forwarded-For entry.
  // Anyone can send those headers, so it is never trusted alone: see
  // ClientInCidrs.
  std::string forwarded_client_address;
  // The request carries X-Tresor-Forwarded: a standby relayed it here,
  // taking this node for the active one (see core::Ha::ForwardTarget).
  bool forwarded = false;
  std::string request_id;
  bool head_only = false;
  // Whether the request path ended in '/' (for LIST of a folder).
  bool trailing_slash = false;
  // Set only for the paths whose handler asked for it
  // (core::RequestHandler::WantsRawBody): the body verbatim, of any size,
  // read from the connection as the handler reads it (engines/raw_body.h),
  // and then `data` is null (the body is not parsed as JSON). Null for every
  // other request.
  std::shared_ptr<const RawBody> raw_body;
  // From X-Vault-Wrap-TTL (or sys/wrapping/wrap's default): when non-zero,
  // core answers with a single-use wrapping token instead of the response
  // (docs/wrapping.md). Engines never see it set.
  std::chrono::seconds wrap_ttl{0};

  // --- Set by core before an engine sees the request. ---
  // The mount this request was routed to, with its trailing '/' ("secret/").
  std::string mount_point;
  // A stable, non-reversible identifier of the client token (hex HMAC under
  // the cluster's token salt): what cubbyhole keys its storage by. Never
  // the token itself.
  std::string client_token_hash;
  // The token's accessor and policies, for engines that report them.
  std::string client_token_accessor;
  std::vector<std::string> client_token_policies;
  // The mount's effective lease TTLs (as tuned, else the system's 768h);
  // 0 when the request did not come through a mount (engine unit tests).
  std::chrono::seconds mount_default_lease_ttl{0};
  std::chrono::seconds mount_max_lease_ttl{0};
};

struct Response {
  // How the body is shaped.
  enum class Shape {
    // Vault's envelope: request_id, lease_id, renewable, lease_duration,
    // data, wrap_info, warnings, auth. 204 with no body when data, auth and
    // warnings are all empty.
    kEnvelope,
    // `data` is the whole body, as for sys/seal-status, sys/init,
    // sys/health, sys/leader.
    kRaw,
    // The envelope, with data's fields also copied to the top level, as
    // Vault does for several older sys endpoints (sys/key-status, sys/mounts).
    kEnvelopeWithTopLevelData,
  };
  Shape shape = Shape::kEnvelope;
  // An HTTP status to use instead of the default (200, or 204 for an empty
  // envelope). sys/health uses it for its configurable codes.
  int http_status = 0;
  nlohmann::json data;  // null or an object
  nlohmann::json auth;  // null or an object
  // Set by core only, when the request asked for wrapping: token, accessor,
  // ttl, creation_time, creation_path, wrapped_accessor (docs/wrapping.md).
  nlohmann::json wrap_info;  // null or an object
  // Set by an auth method's login endpoint instead of `auth`: who logged in
  // and what their token may do. Core creates the token (bounded by the
  // mount's TTLs) and fills `auth` with it; an engine never mints tokens.
  struct Login {
    std::vector<std::string> policies;
    std::map<std::string, std::string> metadata;
    std::string display_name;          // "userpass-alice"
    long long ttl_seconds = 0;         // 0: the mount's default lease TTL
    long long max_ttl_seconds = 0;     // 0: the mount's max lease TTL
    long long num_uses = 0;            // 0: unlimited
    long long period_seconds = 0;      // 0: not periodic
    // "service", "batch", or "" / "default" (both mean service here).
    std::string token_type;
    // CIDR blocks the token may be used from; empty: anywhere.
    std::vector<std::string> bound_cidrs;
    // Whether "default" is left out of the token's policies.
    bool no_default_policy = false;
  };
  std::optional<Login> login;
  std::vector<std::string> warnings;
  std::string lease_id;
  bool renewable = false;
  long long lease_duration = 0;
  // Extra HTTP headers (for example Location on a redirect).
  std::map<std::string, std::string> headers;

  // A streaming body, for answers too large to hold in memory (a snapshot).
  // When set, http/ ignores shape, data, auth and the rest of the body
  // fields and answers 200 (or http_status when non-zero) with Content-Type
  // `content_type` (application/octet-stream when empty), `headers`, and
  // Transfer-Encoding: chunked. The contract:
  //   - the producer is called once, on the worker thread that ran the
  //     handler, after the handler returned; it calls `write` with
  //     consecutive pieces of the body (an empty piece is ignored);
  //   - each write() blocks until its bytes are on the socket, so only one
  //     piece is in flight and memory stays bounded however long the body;
  //     a write() that fails (the client went away or stopped reading for
  //     the listener's timeout) returns non-OK, and the producer should
  //     return promptly (returning that status is fine);
  //   - a producer error before its first non-empty write() becomes a normal
  //     error response ({"errors": [message]}, the status code of its code);
  //   - a producer error after that aborts the connection without the final
  //     empty chunk: the client sees a truncated chunked body, which it must
  //     treat as a failure. Returning OK ends the body properly.
  // The producer must not capture anything that dies with the handler's
  // stack frame. For HEAD it is not called.
  std::function<Status(const std::function<Status(std::string_view)>& write)> body_stream;
  // The Content-Type sent with body_stream; ignored without it.
  std::string content_type;

  static Response Raw(nlohmann::json body, int http_status = 0) {
    Response r;
    r.shape = Shape::kRaw;
    r.data = std::move(body);
    r.http_status = http_status;
    return r;
  }
  static Response Data(nlohmann::json data) {
    Response r;
    r.data = std::move(data);
    return r;
  }
  static Response Empty() { return Response(); }
  // Vault's answer to a tidy: 202, and a warning that the outcome goes to
  // the server log (where the caller has written it).
  static Response TidyStarted() {
    Response r;
    r.http_status = 202;
    r.warnings.push_back(
        "Tidy operation successfully started. Any information from the operation will be "
        "printed to Tresor's server logs.");
    return r;
  }
};

// What an engine is given when its mount is created or loaded at unseal.
struct EngineContext {
  // The engine's own storage, inside the barrier, confined to its mount
  // ("logical/<uuid>/" or "auth/<uuid>/"). Outlives the engine.
  storage::Backend& storage;
  Clock& clock;
  // The mount's options (for kv: {"version": "2"}), as Vault stores them.
  std::map<std::string, std::string> options;
};

// Whether the client of `request` may act from within `cidrs` (a token's
// bound_cidrs, an AppRole secret ID's cidr_list): the connection's own
// address must lie inside, and so must the address a forwarding standby
// reports. Through a standby that is outside the blocks, a bound client is
// refused (closed, never open: a forged forwarding header cannot widen it).
bool ClientInCidrs(const Request& request, const std::vector<std::string>& cidrs);

class Engine {
 public:
  virtual ~Engine() = default;

  // Answers one request; request.path is relative to the mount. A non-OK
  // status becomes {"errors": [message]} with the HTTP code of its code.
  virtual StatusOr<Response> Handle(const Request& request) = 0;

  // Whether request.path names something that already exists, so core can
  // tell kCreate from kUpdate for ACL policy (Vault's existence check).
  // std::nullopt: the engine does not distinguish, and writes are updates.
  virtual StatusOr<std::optional<bool>> Exists(const Request& request) {
    return std::optional<bool>();
  }

  // How many secrets the engine holds, for the usage gauge
  // vault.secret.kv.count; std::nullopt for engines that are not counted.
  // Walks the engine's storage a page at a time (bounded memory).
  virtual StatusOr<std::optional<std::uint64_t>> CountSecrets() {
    return std::optional<std::uint64_t>();
  }

  // Paths (relative to the mount) that need the sudo capability as well as
  // the operation's own, as Vault's root-protected paths do. An entry ending
  // in '*' matches every path with that prefix.
  virtual std::vector<std::string> SudoPaths() const { return {}; }

  // Paths (relative to the mount, '*' suffix as above) answered without a
  // token and without an ACL check: an auth method's login endpoints.
  virtual std::vector<std::string> UnauthenticatedPaths() const { return {}; }
};

}  // namespace tresor::logical

// Turns a complete HTTP request into a core::Request, as Vault's HTTP layer
// reads one: the path after "/v1/", the logical operation from the method,
// the client token, the decoded query and the JSON body.
//
// Called by connection.cc on a worker thread for every request it has read
// in full; unit-tested without sockets. Errors are Statuses whose codes
// status_mapping.cc turns into 400, 404 or 405.
//
// Thread safety: a pure function (apart from drawing a random request ID).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "core/request.h"
#include "http/http_types.h"

namespace tresor::http {

// The deepest JSON nesting accepted in a body; Vault's default max_json_depth.
inline constexpr int kMaxJsonDepth = 300;

// Parses `request`, which came from `remote_address` ("ip:port").
//
// Mapping: GET -> kRead (kList when the query has a true "list"), LIST ->
// kList, POST and PUT -> kUpdate, PATCH -> kPatch, DELETE -> kDelete, HEAD
// -> kRead with head_only. The "list" parameter that selected kList is
// removed from the query.
//
// Returns on failure:
//   NotFound             the target is not under "/v1/"
//   UnsupportedOperation any other method
//   InvalidArgument      a malformed escape, a NUL byte (raw or "%00") in the
//                        path, or a body that is not a JSON object
//                        ("failed to parse JSON input: ...", never quoting
//                        the body, which may hold secrets)
// An empty (or all-whitespace) body gives data = null.
StatusOr<core::Request> ParseApiRequest(const HttpRequest& request,
                                        std::string_view remote_address);

// ParseApiRequest in two steps, for a standby that relays the request as it
// came and so never needs its body parsed: everything but the body (data
// stays null), then the body into `parsed.data`. Errors: as ParseApiRequest,
// the body's for the second step.
StatusOr<core::Request> ParseApiRequestHead(const HttpRequest& request,
                                            std::string_view remote_address);
Status ParseApiRequestBody(const HttpRequest& request, core::Request& parsed);

// The path of request `target` ("/v1/sys/storage/raft/snapshot?x=1") as
// ParseApiRequest puts it in core::Request::path ("sys/storage/raft/
// snapshot"), the query ignored: what connection.cc hands to
// RequestHandler::WantsRawBody before the body is read. Fails as
// ParseApiRequest does for the path (NotFound, InvalidArgument).
StatusOr<std::string> ApiPathOfTarget(std::string_view target);

}  // namespace tresor::http

// The request pipeline's input and output, independent of HTTP. The types
// are defined in engines/logical.h (engines sit below core and need them);
// this header gives them their core:: names for http/ and core/.
//
// http/ turns an HTTP request into a core::Request, calls
// RequestHandler::Handle, and turns the core::Response (or the Status) into
// an HTTP response: the mapping from Status codes to HTTP codes lives in
// http/status_mapping.cc alone.
//
// Threads: Handle is called concurrently from many worker threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engines/logical.h"

namespace tresor::core {

using Operation = logical::Operation;
using Request = logical::Request;
using Response = logical::Response;
using logical::OperationName;
using logical::RawBody;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one request. A non-OK status becomes {"errors": [message]} with
  // the HTTP code for its StatusCode.
  virtual StatusOr<Response> Handle(const Request& request) = 0;

  // High availability: where a standby sends this request instead of
  // handling it. std::nullopt: handle it here (this node is the active one,
  // is sealed, is not clustered, or the path is one every node answers for
  // itself, such as sys/health). Otherwise the active node's api_addr
  // ("http://10.0.0.1:8200"), or "" when this node is a standby that knows of
  // no active node right now (answered 503). http/ forwards the request
  // there and returns the answer, or redirects with 307 (see http/forwarder.h).
  virtual std::optional<std::string> ForwardTarget(const Request& request) {
    return std::nullopt;
  }

  // Whether a `method` ("PUT" or "POST"; never asked for other methods) to
  // `path` (as in Request::path: after "/v1/", normalised, no leading or
  // trailing '/') takes its body raw: http/ then streams the body, of any
  // size up to 64 GiB and regardless of the listener's max_request_size,
  // into an unlinked temporary file, does not parse it as JSON, and hands it
  // over as Request::raw_body (see engines/raw_body.h).
  //
  // Such a request is never forwarded by a standby: when ForwardTarget
  // names an active node, the answer is a 307 to it (503 when it names
  // none), sent before the body is read, and the client (the CLI does)
  // follows the redirect and sends the body there.
  //
  // Called on an I/O thread as soon as the request header has arrived, so it
  // must be fast, must not block, and may depend only on its arguments.
  virtual bool WantsRawBody(std::string_view method, std::string_view path) const {
    return false;
  }

  // Whether a standby answers `request` with a 307 to the active node
  // instead of forwarding it, as Vault does for a snapshot download (GET
  // sys/storage/raft/snapshot): the forwarder holds whole bodies in memory,
  // and a streamed answer must not be. Asked on a worker thread, only when
  // ForwardTarget returned an address; a raw-body request (WantsRawBody) is
  // redirected without asking.
  virtual bool RedirectOnly(const Request& request) const { return false; }
};

}  // namespace tresor::core

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

#include "engines/logical.h"

namespace tresor::core {

using Operation = logical::Operation;
using Request = logical::Request;
using Response = logical::Response;
using logical::OperationName;

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
};

}  // namespace tresor::core

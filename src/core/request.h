// The request pipeline's input and output, independent of HTTP.
//
// http/ turns an HTTP request into a core::Request, calls
// RequestHandler::Handle, and turns the core::Response (or the Status) into
// an HTTP response: the mapping from Status codes to HTTP codes lives in
// http/status_mapping.cc alone.
//
// Threads: Handle is called concurrently from many worker threads.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace tresor::core {

// Vault's logical operations. HTTP GET is kRead (kList with ?list=true),
// LIST is kList, POST and PUT are kUpdate (the router tells kCreate from
// kUpdate where a policy needs it), PATCH is kPatch, DELETE is kDelete.
// HEAD is kRead with head_only set.
enum class Operation { kRead, kList, kCreate, kUpdate, kPatch, kDelete };

std::string_view OperationName(Operation op);

struct Request {
  Operation operation = Operation::kRead;
  // The path after "/v1/", without a leading or trailing '/'
  // ("sys/seal-status", "secret/data/foo").
  std::string path;
  // The JSON body (an object), or null when there was none.
  nlohmann::json data;
  // Query parameters, decoded. Vault reads some GET parameters as data.
  std::map<std::string, std::string> query;
  // From X-Vault-Token or Authorization: Bearer; empty when absent.
  std::string client_token;
  std::string content_type;
  std::string remote_address;
  std::string request_id;
  bool head_only = false;
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
    // Vault does for several older sys endpoints (sys/key-status).
    kEnvelopeWithTopLevelData,
  };
  Shape shape = Shape::kEnvelope;
  // An HTTP status to use instead of the default (200, or 204 for an empty
  // envelope). sys/health uses it for its configurable codes.
  int http_status = 0;
  nlohmann::json data;  // null or an object
  nlohmann::json auth;  // null or an object
  std::vector<std::string> warnings;
  std::string lease_id;
  bool renewable = false;
  long long lease_duration = 0;
  // Extra HTTP headers (for example Location on a redirect).
  std::map<std::string, std::string> headers;

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
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one request. A non-OK status becomes {"errors": [message]} with
  // the HTTP code for its StatusCode.
  virtual StatusOr<Response> Handle(const Request& request) = 0;
};

}  // namespace tresor::core

// Turns the core's answer (a core::Response or a Status) into the HTTP
// response Vault would send: the envelope or a raw body, the error shape
// {"errors": [message]}, the status code (via status_mapping.h, the only
// place codes are mapped) and the standard headers.
//
// Called by connection.cc, on a worker thread for handled requests and on
// the connection's strand for errors found while reading (413, 400).
//
// Thread safety: a pure function.
#pragma once

#include <string>

#include "common/status.h"
#include "core/request.h"
#include "http/http_types.h"

namespace tresor::http {

// What the response needs to know about the request it answers.
struct ResponseContext {
  // Goes into the envelope's request_id.
  std::string request_id;
  // HEAD: the same status and headers (Content-Length included) as for
  // GET, but no body.
  bool head_only = false;
  // 10 or 11, as Beast counts HTTP versions.
  unsigned http_version = 11;
  bool keep_alive = true;
};

// Builds the HTTP response for `result`:
//   - a non-OK Status: HttpStatusForCode(code), body {"errors":[message]};
//   - kEnvelope: {"request_id","lease_id","renewable","lease_duration",
//     "data","wrap_info":null,"warnings","auth"}, or 204 with no body when
//     data and auth are null or empty and there are no warnings;
//   - kRaw: `data` is the whole body (no body and 204 when it is null);
//   - kEnvelopeWithTopLevelData: the envelope plus each field of data at the
//     top level (an envelope key keeps its envelope value).
// A non-zero Response::http_status replaces the code chosen above (a 204 or
// 304 still gets no body). Every response carries Content-Type:
// application/json, Cache-Control: no-store and Response::headers, and
// prepare_payload() has been applied. Strings that are not valid UTF-8 are
// written with U+FFFD rather than failing.
HttpResponse BuildHttpResponse(const StatusOr<core::Response>& result,
                               const ResponseContext& context);

// The header for a response with a streaming body (response.body_stream
// set): status 200, or response.http_status when non-zero; Content-Type
// response.content_type (application/octet-stream when empty);
// Cache-Control: no-store; response.headers; keep-alive as context says.
// HTTP/1.1: Transfer-Encoding: chunked, so that the client can tell a
// complete body from one cut short. HTTP/1.0 has no chunked encoding: no
// length at all and keep-alive off, the body ends when the connection
// closes. HEAD (context.head_only): neither chunked nor a length, since the
// length is unknown without producing the body.
StreamingResponseHeader BuildStreamingResponseHeader(const core::Response& response,
                                                     const ResponseContext& context);

}  // namespace tresor::http

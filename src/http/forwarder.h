// Request forwarding from a standby to the active node (high availability).
//
// A standby does not answer API requests itself: connection.cc asks
// core::RequestHandler::ForwardTarget and, when that names the active node's
// api_addr, calls AnswerAsStandby, which relays the request there with
// ForwardRequest (a small synchronous HTTP/1.1 client over Beast, http or
// https) and hands back the active's answer unchanged. The client never
// notices, except through the 307 and 503 answers documented below.
// docs/ha.md ("Request forwarding") describes the behaviour for operators.
//
// Forwarding grants nothing: the client's own token travels with the
// request and the active authenticates and authorises it as if the client
// had called it directly.
//
// Threads: every function here is thread-safe and blocks the calling thread
// (a worker, never an I/O thread) for at most the timeout given. Connections
// to the active are kept open between calls in a pool (one connection per
// request in flight, idle ones closed after 30 s); a connection is used by
// one call at a time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/http_types.h"
#include "http/response_writer.h"

namespace tresor::http {

// Vault's answer (503) from a standby that knows no active node.
inline constexpr std::string_view kNoActiveNodeMessage =
    "local node not active but active cluster node not found";
// Vault's opt-out: a request carrying this header (any value) is answered
// with a 307 to the active node instead of being forwarded.
inline constexpr std::string_view kNoForwardingHeader = "X-Vault-No-Request-Forwarding";
// Set on every request a standby forwards. A node that receives a request
// carrying it never forwards it again, so two nodes that each believe the
// other is active (briefly, during a leadership change) answer 503 instead
// of bouncing the request between them until the timeouts expire.
inline constexpr std::string_view kForwardedHeader = "X-Tresor-Forwarded";
// Set on the 503 a node answers, without acting, to a request a standby
// forwarded to it while it is not the active node (any more). The standby
// then asks again where the active is (IsNotActiveAnswer): the request can
// go there safely, nothing was done with it.
inline constexpr std::string_view kNotActiveHeader = "X-Tresor-Not-Active";
// How long a standby goes on asking again after such answers before it
// passes the 503 on: about as long as an election can take.
inline constexpr std::chrono::seconds kReforwardWindow{5};
// How long a standby waits for the active's answer (Vault waits as long).
inline constexpr std::chrono::seconds kForwardTimeout{60};

struct ForwardOptions {
  // The whole exchange (resolve, connect, TLS handshake, write, read) must
  // finish within this time.
  std::chrono::seconds timeout = kForwardTimeout;
  // The original client's address ("ip:port", "[v6]:port" or a bare ip),
  // appended to X-Forwarded-For without its port. Empty: none is added.
  std::string client_address;
  // For https: a PEM file of the CAs to trust instead of the system's
  // default verify paths. Empty: the system's CAs.
  std::string tls_ca_file;
};

// Sends `request` to `base_url` ("http://host:port" or "https://host:port",
// optionally with a path prefix; the default ports are 80 and 443) and
// returns the whole response as the server sent it, minus hop-by-hop
// headers; a chunked body arrives buffered with Content-Length set.
//
// The forwarded request keeps the method (LIST included), the target (path
// and query, after base_url's path prefix), the body and every end-to-end
// header. Dropped: Connection and the headers it names, Keep-Alive,
// Transfer-Encoding, Upgrade, Proxy-*, TE, Trailer, Expect (the body is
// already here) and Content-Length (recomputed). Host becomes base_url's
// host:port; options.client_address is appended to X-Forwarded-For; the
// kForwardedHeader is set. The request goes on an idle pooled connection to
// base_url when one is still open (for a write, only one idle for less than
// a second), else on a new one; after a complete keep-alive answer the
// connection returns to the pool. On a pooled connection the request is
// sent again, once, on a new one when the send failed (the active closed
// it unread), or, for a read (GET, HEAD, OPTIONS, LIST), when the
// connection closed before any byte of an answer.
// https verifies the peer's chain and its name (DNS name or IP address, with
// SNI for names) when a connection is made.
//
// Returns:
//   InvalidArgument  base_url is not an http(s) URL with a host
//   Unavailable      nothing was sent: the host could not be resolved or
//                    connected to, or the TLS handshake or verification
//                    failed, or all that did not finish within the timeout
//   IOError          the request was (perhaps partly) sent, so the active
//                    may have acted on it, but no valid answer came back
//                    within the timeout: the connection broke, the answer
//                    was not HTTP or was larger than 256 MiB
// Error messages name the base URL and the failure, never the request's
// headers or body (they hold tokens and secrets).
StatusOr<HttpResponse> ForwardRequest(const std::string& base_url, const HttpRequest& request,
                                      const ForwardOptions& options);

// The response a standby sends for `request` (from `client_address`),
// given `active_url`, the non-null value of RequestHandler::ForwardTarget:
//   - "" or the request was already forwarded once (kForwardedHeader):
//     503 {"errors":[kNoActiveNodeMessage]}, with kNotActiveHeader when it
//     was forwarded;
//   - the request carries kNoForwardingHeader: 307 with
//     Location: <active_url><request target> and no body;
//   - otherwise the active's response from ForwardRequest (timeout
//     kForwardTimeout), status, headers and body unchanged. When nothing
//     could be sent (Unavailable), a warning is logged and the answer is the
//     307 above, so a client that follows redirects reaches the active
//     itself. When the request may have reached the active (IOError), the
//     answer is 500 {"errors":["error forwarding to <url>: ..."]}: a
//     redirect would make the client send a write twice.
// The result has context.http_version; connection.cc sets keep-alive. For
// HEAD the active's Content-Length is kept and the body is empty.
HttpResponse AnswerAsStandby(const std::string& active_url, const HttpRequest& request,
                             std::string_view client_address, const ResponseContext& context);

// The response a standby sends, without forwarding, for a request that must
// reach the active node directly because its body or its answer is
// streamed (core::RequestHandler::WantsRawBody or RedirectOnly): 503
// {"errors":[kNoActiveNodeMessage]} when `active_url` is "" or the request
// was already forwarded once, else the 307 of AnswerAsStandby (Location:
// <active_url><request target>, no body). Only `request`'s header is used,
// so it may come from a parser that has not read the body.
HttpResponse RedirectAsStandby(const std::string& active_url, const HttpRequest& request,
                               const ResponseContext& context);

// Whether `answer` (from AnswerAsStandby) is another node's refusal of a
// forwarded request because it is not the active node: nothing was done,
// and the request may be forwarded again once the active is known.
bool IsNotActiveAnswer(const HttpResponse& answer);

}  // namespace tresor::http

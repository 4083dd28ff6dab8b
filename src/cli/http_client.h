// The CLI's HTTP client: one synchronous request at a time to a Tresor (or
// Vault) server, with JSON bodies and the token in X-Vault-Token.
//
// HttpClient is an interface so that the command tests can run the commands
// against an in-process fake (FakeHttpClient, fake_http_client_for_test.h)
// instead of a server on a socket. The product's implementation, made by
// Create(), is built on Boost.Beast (http_client_internal.h), over plain TCP
// or TLS; every network step runs against one deadline so a dead server
// cannot hang a command. This header includes no network library.
//
// TLS verifies the server's chain (the -ca-cert / -ca-path bundle, else the
// system store) and its name (DNS name or IP SAN of the address's host, or of
// -tls-server-name), sends SNI for DNS names, and requires TLS 1.2 or newer;
// -tls-skip-verify turns verification off. A 307/308 redirect (a standby
// pointing at the active node) is followed up to three times.
//
// Large bodies (snapshots) go through Download() and Upload(), which stream
// them in pieces with bounded memory; their timeout applies to each step
// (connecting, each piece written or read) rather than to the whole
// transfer, so a multi-GiB transfer is limited by progress, not by size.
// Each takes an optional TransferProgress, for a progress line (progress.h).
//
// Who calls it: CLI commands, through Send(), Call(), Download(), Upload();
// they get a client from NewClientFromFlags (commands/common.h).
// Thread safety: one HttpClient per thread; calls are not concurrent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/environment.h"
#include "cli/url.h"
#include "common/status.h"

namespace tresor::cli {

// Insertion-ordered, so -format=json prints fields in the order the server
// (or the command) produced them, as Vault's Go structs do.
using Json = nlohmann::ordered_json;

// How far the body of a Download() or Upload() has got, called on the
// caller's thread from inside the transfer after each piece: the body's bytes
// received or sent so far, and its whole size when known (an upload's
// `size`; a download's Content-Length, absent for a chunked body). A
// followed redirect starts the count again from 0. It must not call the
// client. An empty function is not called.
using TransferProgress =
    std::function<void(std::uint64_t bytes_done, std::optional<std::uint64_t> bytes_total)>;

struct HttpResponse {
  int status = 0;
  Json body;             // the parsed body, or null when empty or not JSON
  std::string raw_body;  // exactly as received
  std::string location;  // the Location header, "" when absent
};

class HttpClient {
 public:
  // The Beast client. Parses the address and prepares TLS (CA bundle, client
  // certificate). Returns InvalidArgument for a bad address, IOError for
  // unreadable TLS files. Takes ownership of the options (and so of the
  // token).
  static StatusOr<std::unique_ptr<HttpClient>> Create(ClientOptions options);
  virtual ~HttpClient() = default;

  // Sends `method` (GET, PUT, POST, DELETE, PATCH, or LIST, which is sent as
  // GET with ?list=true as Vault's client does) to `path` ("/v1/sys/init"),
  // with `body` serialised as JSON when not null (Content-Type
  // application/json, or application/merge-patch+json for PATCH).
  // Returns the response whatever its HTTP status. Returns Unavailable when
  // no response arrived, with a message in the style of Vault's Go client:
  //   Put "http://127.0.0.1:8200/v1/sys/init": dial tcp 127.0.0.1:8200: connect: connection refused
  virtual StatusOr<HttpResponse> Send(std::string_view method, std::string_view path,
                                      const Json& body = Json()) = 0;

  // Send(), then: 2xx returns the body (null for 204 or an empty body); any
  // other status becomes a Status whose message is Vault's text
  //   Error making API request.\n\nURL: PUT <url>\nCode: 400. Errors:\n\n* <message>
  // and whose code follows the HTTP status (see ApiErrorStatus). Not
  // virtual: every implementation turns answers into errors the same way.
  StatusOr<Json> Call(std::string_view method, std::string_view path, const Json& body = Json());

  // GET `path` ("/v1/sys/storage/raft/snapshot"), following 307/308 as
  // Send does, and streams a 2xx body to `sink` in pieces as it arrives
  // (never holding the whole body); each view is valid only during its
  // call. Returns the final HTTP status. For any other status the (small)
  // body is not given to `sink` but read, up to 1 MiB, into
  // *error_response (when not null) for FormatApiError / ApiErrorStatus.
  // Returns:
  //   Unavailable  no response (connection refused, TLS, a step timed out)
  //   IOError      the body ended early: the connection closed before the
  //                last chunk of a chunked body, or before Content-Length
  //                bytes (the server failed midway); what `sink` already got
  //                must be thrown away
  //   the first non-OK status `sink` returned, as is (reading stops there)
  // Each step (connect, send, each piece read) must finish within
  // options().timeout; the transfer as a whole has no deadline. `progress`
  // is told of every piece given to `sink`.
  virtual StatusOr<int> Download(std::string_view path,
                                 const std::function<Status(std::string_view)>& sink,
                                 HttpResponse* error_response,
                                 const TransferProgress& progress) = 0;
  // Download() without progress. (Not virtual: implementations override
  // the one above.)
  StatusOr<int> Download(std::string_view path, const std::function<Status(std::string_view)>& sink,
                         HttpResponse* error_response) {
    return Download(path, sink, error_response, TransferProgress());
  }

  // Sends `method` ("POST" or "PUT") to `path` with the first `size` bytes
  // of the file `fd` as the body (Content-Type: application/octet-stream,
  // Content-Length: size), read with pread from offset 0 in pieces, so the
  // file is never held in memory and the caller's file offset is untouched.
  // Sends Expect: 100-continue and waits up to a second for the server's
  // go-ahead, so a standby's 307 or a refusal comes before the body is
  // sent. A 307/308 is followed (up to three times) by sending the body
  // again from its first byte to the new location. Returns the final
  // response whatever its status, as Send does; Unavailable when no
  // response arrived; IOError when the file cannot be read or is shorter
  // than `size`. Each step must finish within options().timeout.
  // `progress` is told of every piece written.
  // REQUIRES: fd is open for reading and stays open during the call.
  virtual StatusOr<HttpResponse> Upload(std::string_view method, std::string_view path, int fd,
                                        std::uint64_t size, const TransferProgress& progress) = 0;
  // Upload() without progress. (Not virtual, as for Download.)
  StatusOr<HttpResponse> Upload(std::string_view method, std::string_view path, int fd,
                                std::uint64_t size) {
    return Upload(method, path, fd, size, TransferProgress());
  }

  // The parsed address (error messages show url().Format(path)) and the
  // options the client was made with; valid as long as the client.
  virtual const Url& url() const = 0;
  virtual const ClientOptions& options() const = 0;
};

// Vault's error text for a non-2xx response to `method` `url`: the errors
// from {"errors":[...]} as "* msg" lines, or the raw body when there are none.
std::string FormatApiError(std::string_view method, std::string_view url,
                           const HttpResponse& response);
// FormatApiError() with a StatusCode chosen from the HTTP status: 400
// InvalidArgument, 403 PermissionDenied, 404 NotFound, 405
// UnsupportedOperation, 413 TooLarge, 503 Unavailable, other Internal.
Status ApiErrorStatus(std::string_view method, std::string_view url, const HttpResponse& response);

}  // namespace tresor::cli

// The CLI's HTTP client: one synchronous request at a time to a Tresor (or
// Vault) server, over plain TCP or TLS, with JSON bodies and the token in
// X-Vault-Token. Built on Boost.Beast; every network step runs against one
// deadline so a dead server cannot hang a command.
//
// TLS verifies the server's chain (the -ca-cert / -ca-path bundle, else the
// system store) and its name (DNS name or IP SAN of the address's host, or of
// -tls-server-name), sends SNI for DNS names, and requires TLS 1.2 or newer;
// -tls-skip-verify turns verification off. A 307/308 redirect (a standby
// pointing at the active node) is followed up to three times.
//
// Who calls it: CLI commands, through Send() or Call().
// Thread safety: one HttpClient per thread; calls are not concurrent.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/environment.h"
#include "cli/url.h"
#include "common/status.h"

namespace tresor::cli {

// Insertion-ordered, so -format=json prints fields in the order the server
// (or the command) produced them, as Vault's Go structs do.
using Json = nlohmann::ordered_json;

struct HttpResponse {
  int status = 0;
  Json body;             // the parsed body, or null when empty or not JSON
  std::string raw_body;  // exactly as received
  std::string location;  // the Location header, "" when absent
};

class HttpClient {
 public:
  // Parses the address and prepares TLS (CA bundle, client certificate).
  // Returns InvalidArgument for a bad address, IOError for unreadable TLS
  // files. Takes ownership of the options (and so of the token).
  static StatusOr<std::unique_ptr<HttpClient>> Create(ClientOptions options);
  ~HttpClient();

  // Sends `method` (GET, PUT, POST, DELETE, PATCH, or LIST, which is sent as
  // GET with ?list=true as Vault's client does) to `path` ("/v1/sys/init"),
  // with `body` serialised as JSON when not null (Content-Type
  // application/json, or application/merge-patch+json for PATCH).
  // Returns the response whatever its HTTP status. Returns Unavailable when
  // no response arrived, with a message in the style of Vault's Go client:
  //   Put "http://127.0.0.1:8200/v1/sys/init": dial tcp 127.0.0.1:8200: connect: connection refused
  StatusOr<HttpResponse> Send(std::string_view method, std::string_view path,
                              const Json& body = Json());

  // Send(), then: 2xx returns the body (null for 204 or an empty body); any
  // other status becomes a Status whose message is Vault's text
  //   Error making API request.\n\nURL: PUT <url>\nCode: 400. Errors:\n\n* <message>
  // and whose code follows the HTTP status (see ApiErrorStatus).
  StatusOr<Json> Call(std::string_view method, std::string_view path, const Json& body = Json());

  const Url& url() const { return url_; }
  const ClientOptions& options() const { return options_; }

 private:
  struct Tls;
  HttpClient(ClientOptions options, Url url, std::unique_ptr<Tls> tls);

  StatusOr<HttpResponse> SendOnce(const Url& url, std::string_view method,
                                  const std::string& target, const std::string& body);

  ClientOptions options_;
  Url url_;
  std::unique_ptr<Tls> tls_;  // null for http://
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

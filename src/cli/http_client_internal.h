// Internal to the CLI's HTTP client: what http_client.cc (Send) and
// http_client_transfer.cc (Download, Upload) share. Not for commands.
//
// Thread safety: stateless functions; HttpClient::Tls is read-only once
// HttpClient::Create has set it up.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "cli/http_client.h"
#include "common/version.h"

namespace tresor::cli {

struct HttpClient::Tls {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_client};
};

namespace internal {

// How many 307/308 redirects a request follows.
inline constexpr int kMaxRedirects = 3;

// Go's url.Error names the method "Get", "Put", ...; Vault users know that form.
std::string GoMethod(std::string_view method);

// Splits an absolute redirect target into the base URL and request target.
// Unavailable for a relative location; InvalidArgument for a bad URL.
StatusOr<std::pair<Url, std::string>> ParseRedirect(const std::string& location);

// Method, target, version and the headers every request carries: Host,
// User-Agent, X-Vault-Request, and X-Vault-Token when `token` is not empty.
template <class Body>
void SetRequestLine(boost::beast::http::request<Body>& request, const Url& url,
                    std::string_view method, const std::string& target, const std::string& token) {
  namespace http = boost::beast::http;
  request.method_string(boost::beast::string_view(method.data(), method.size()));
  request.target(target);
  request.version(11);
  request.set(http::field::host, url.HostPort());
  request.set(http::field::user_agent, std::string("tresor-cli/") + kVersion);
  request.set("X-Vault-Request", "true");
  if (!token.empty()) request.set("X-Vault-Token", token);
}

// The body parsed as JSON, or null when it is empty or not JSON.
inline Json ParseJsonBody(const std::string& raw_body) {
  if (raw_body.empty()) return nullptr;
  Json body = Json::parse(raw_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return nullptr;
  return body;
}

}  // namespace internal
}  // namespace tresor::cli

// Internal to the CLI's HTTP client: BeastHttpClient, the product's
// HttpClient, and what http_client.cc (Send) and http_client_transfer.cc
// (Download, Upload) share. Not for commands; they use HttpClient.
//
// Thread safety: one BeastHttpClient per thread, as HttpClient says; its TLS
// context is read-only once HttpClient::Create has set it up.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "cli/http_client.h"
#include "cli/http_wire.h"

namespace tresor::cli {

// HttpClient over Boost.Beast: one connection per request, no keep-alive.
// Made by HttpClient::Create (http_client.cc).
class BeastHttpClient final : public HttpClient {
 public:
  // `tls` is null for http://.
  BeastHttpClient(ClientOptions options, Url url, std::unique_ptr<boost::asio::ssl::context> tls);

  StatusOr<HttpResponse> Send(std::string_view method, std::string_view path,
                              const Json& body) override;
  StatusOr<int> Download(std::string_view path, const std::function<Status(std::string_view)>& sink,
                         HttpResponse* error_response, const TransferProgress& progress) override;
  StatusOr<HttpResponse> Upload(std::string_view method, std::string_view path, int fd,
                                std::uint64_t size, const TransferProgress& progress) override;
  const Url& url() const override { return url_; }
  const ClientOptions& options() const override { return options_; }

 private:
  StatusOr<HttpResponse> SendOnce(const Url& url, std::string_view method,
                                  const std::string& target, const std::string& body);
  // One attempt of Download: a 2xx body goes to `sink`, anything else
  // (redirects included) into *other.
  StatusOr<int> DownloadOnce(const Url& url, const std::string& target,
                             const std::function<Status(std::string_view)>& sink,
                             HttpResponse* other, const TransferProgress& progress);
  StatusOr<HttpResponse> UploadOnce(const Url& url, std::string_view method,
                                    const std::string& target, int fd, std::uint64_t size,
                                    const TransferProgress& progress);
  // Where a 307/308 `response` to a request to the current URL leads:
  // true and the next (url, target); false when it is not a redirect to
  // follow; an error for a bad or cross-scheme Location.
  StatusOr<bool> NextHop(const HttpResponse& response, int redirects, Url& url,
                         std::string& target) const;

  ClientOptions options_;
  Url url_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null for http://
};

namespace internal {

// Method, target, version and CommonHeaders (http_wire.h).
template <class Body>
void SetRequestLine(boost::beast::http::request<Body>& request, const Url& url,
                    std::string_view method, const std::string& target,
                    const ClientOptions& options) {
  request.method_string(boost::beast::string_view(method.data(), method.size()));
  request.target(target);
  request.version(11);
  for (const auto& [name, value] : CommonHeaders(url, options, target)) request.set(name, value);
}

}  // namespace internal
}  // namespace tresor::cli
